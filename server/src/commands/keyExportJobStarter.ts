import crypto from "node:crypto";
import type { KeyStatus } from "../../../common/src/rules/keys.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Db } from "../db/schema.js";
import type { JobKinds } from "../jobs/registry.js";

type ExportParams = JobKinds["keys.export"];

import type { JobRunner } from "../jobs/runner.js";
import { bulkForKeys } from "../keys/bulkAccess.js";
import { safeFileName } from "../keys/keyExport.js";
import type { QueuedJob } from "./keyGenerator.js";

/**
 * Starts a `keys.export` job writing the keys to a CSV file (for sets too large to stream in one
 * request). Its `keys.exported` audit (format `csv-job`) and the queued job commit together.
 */
export async function keyExportJobStarter(
  db: Db,
  jobs: () => JobRunner,
  ctx: RequestContext,
  bulkPk: string,
  input: { status?: KeyStatus | undefined },
): Promise<QueuedJob> {
  const bulk = await bulkForKeys(db, ctx, bulkPk, "keys.read");
  const runner = jobs();
  const output = `${safeFileName(bulk.entitlement_id)}-${Date.now()}-${crypto.randomBytes(4).toString("hex")}.csv`;
  const params: ExportParams = { bulkPk, status: input.status ?? null, output };
  const jobId = await db.transaction().execute(async (trx) => {
    await recordAudit(trx, ctx, {
      action: "keys.exported",
      objectType: "entitlement",
      objectId: bulkPk,
      after: { format: "csv-job" },
    });
    return runner.enqueue(trx, ctx, "keys.export", bulkPk, params, null);
  });
  // Queued once committed: wake the worker now rather than at its next poll.
  runner.kick();
  return { jobId, state: "QUEUED" };
}
