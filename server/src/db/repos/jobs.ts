import { after, decodeCursor, type Page, type PageRequest, pageLimit, toPage } from "../paging.js";
import type { Db, JobsTable, Trx } from "../schema.js";

/** A job row, with its bulk entitlement's entitlement ID (as people see it) when it has one. */
export type JobRow = JobsTable & { bulk_entitlement_id: string | null };

export interface JobFilter {
  bulkId?: string | undefined;
  states?: string[] | undefined;
  type?: string | undefined;
}

const withEntitlementId = (db: Db | Trx) =>
  db
    .selectFrom("jobs")
    .leftJoin("entitlements", "entitlements.id", "jobs.bulk_id")
    .selectAll("jobs")
    .select("entitlements.entitlement_id as bulk_entitlement_id");

/** Jobs newest first (ids are time-ordered). */
export async function listJobs(db: Db, f: JobFilter, page: PageRequest): Promise<Page<JobRow>> {
  const limit = pageLimit(page);
  const cur = decodeCursor(page.cursor, 1);
  let q = withEntitlementId(db);
  if (f.bulkId) q = q.where("jobs.bulk_id", "=", f.bulkId);
  if (f.states) q = q.where("jobs.state", "in", f.states);
  if (f.type) q = q.where("jobs.type", "=", f.type);
  if (cur) q = q.where((eb) => after(eb, ["jobs.id"], cur, "desc"));
  const rows = await q
    .orderBy("jobs.id", "desc")
    .limit(limit + 1)
    .execute();
  return toPage(
    rows,
    limit,
    (r) => [r.id],
    (r) => r,
  );
}

export async function findJob(db: Db | Trx, id: string): Promise<JobRow | undefined> {
  return withEntitlementId(db).where("jobs.id", "=", id).executeTakeFirst();
}
