import { newestFirst, type Page, type PageRequest } from "../paging.js";
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
  let q = withEntitlementId(db);
  if (f.bulkId) q = q.where("jobs.bulk_id", "=", f.bulkId);
  if (f.states) q = q.where("jobs.state", "in", f.states);
  if (f.type) q = q.where("jobs.type", "=", f.type);
  // Webhook deliveries are many small jobs with their own log (Settings > Webhooks): the list shows
  // them only when asked for by type, so they never bury the loads and exports people look for.
  else q = q.where("jobs.type", "!=", "webhook.deliver");
  return newestFirst(q, "jobs.id", page);
}

export async function findJob(db: Db | Trx, id: string): Promise<JobRow | undefined> {
  return withEntitlementId(db).where("jobs.id", "=", id).executeTakeFirst();
}
