import fs from "node:fs";
import path from "node:path";
import type { Actor, RequestContext } from "../actor.js";
import { currentOwnerAccountId } from "../db/repos/entitlements.js";
import { findJob } from "../db/repos/jobs.js";
import type { Db, JobsTable } from "../db/schema.js";
import { errors } from "../errors.js";
import { bulkForKeys } from "../keys/bulkAccess.js";
import { authorize, can } from "../policies/index.js";
import { findJobFile, type StoredFile } from "./fileStore.js";
import { type ExportParams, exportsDir } from "./handlers.js";
import type { JobDeps } from "./registry.js";

/**
 * `jobs.read` for one job. Producer staff pass without a query; anyone else only for a key export
 * of a bulk entitlement whose keys they may read, so its current owner is looked up then.
 */
export async function authorizeJobRead(db: Db, actor: Actor, j: Pick<JobsTable, "type" | "bulk_id">): Promise<void> {
  if (can(actor, "jobs.read", { type: j.type, bulkOwnerAccountId: null })) return;
  const owner = j.type === "keys.export" && j.bulk_id ? await currentOwnerAccountId(db, j.bulk_id) : null;
  authorize(actor, "jobs.read", { type: j.type, bulkOwnerAccountId: owner });
}

/** A missing job: 404 to those who see every job; 403 to others, as for a job not theirs, so ids do not leak. */
export const jobNotFound = (actor: Actor, id: string) =>
  can(actor, "jobs.list") ? errors.notFound("Job", id) : errors.forbidden();

/** A job the caller may read (404/403 as {@link jobNotFound} otherwise). */
export async function readableJob(db: Db, actor: Actor, id: string) {
  const j = await findJob(db, id);
  if (!j) throw jobNotFound(actor, id);
  await authorizeJobRead(db, actor, j);
  return j;
}

/** Where a finished export's file is: in the database's file store, or (exports made before it) in the data folder. */
export type ExportFile = { stored: StoredFile } | { legacyPath: string };

/**
 * The file a finished export job wrote, once the caller may read the job and — keys are secrets —
 * the keys of its bulk entitlement.
 */
export async function exportFileOf(deps: Pick<JobDeps, "db" | "config">, ctx: RequestContext, id: string): Promise<ExportFile> {
  const j = await readableJob(deps.db, ctx.actor, id);
  if (j.type !== "keys.export" || j.state !== "SUCCEEDED")
    throw errors.invalidState("Only a finished export job has a file to download.");
  await bulkForKeys(deps.db, ctx, j.bulk_id as string, "keys.read");
  // Stored in the database by whichever process ran the export, streamed chunk by chunk.
  const stored = await findJobFile(deps.db, j.id, "export");
  if (stored) return { stored };
  const legacy = path.join(exportsDir(deps), path.basename((JSON.parse(j.params) as ExportParams).output));
  if (!fs.existsSync(legacy)) throw errors.notFound("Export file", id);
  return { legacyPath: legacy };
}
