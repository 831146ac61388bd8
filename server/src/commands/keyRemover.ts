import { KEY_LIMITS } from "../../../common/src/limits.js";
import type { RequestContext } from "../actor.js";
import { keyCounts } from "../db/repos/keys.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import type { JobRunner } from "../jobs/runner.js";
import { bulkForKeys } from "../keys/bulkAccess.js";
import { deleteUnredeemedKeys } from "../keys/keyDeleter.js";
import type { QueuedJob } from "./keyGenerator.js";

/**
 * Deletes unredeemed keys of a bulk entitlement: the listed ones (all or nothing), or with `all`
 * every unredeemed one — above KEY_LIMITS.syncDeleteAllMax of them as a background `keys.delete` job.
 */
export async function keyRemover(
  db: Db,
  jobs: () => JobRunner,
  ctx: RequestContext,
  bulkPk: string,
  input: { keys?: string[] | undefined; all?: boolean | undefined },
): Promise<{ deleted: number } | { job: QueuedJob }> {
  const bulk = await bulkForKeys(db, ctx, bulkPk, "keys.write");
  if (!!input.keys === !!input.all) throw errors.validation("keys", "give either a list of keys or all: true");
  const unredeemed = input.all ? ((await keyCounts(db, bulk.id))?.unredeemed ?? 0) : 0;
  if (unredeemed > KEY_LIMITS.syncDeleteAllMax) {
    const jobId = await jobs().enqueue(db, ctx, "keys.delete", bulkPk, { bulkPk }, unredeemed);
    return { job: { jobId, state: "QUEUED" } };
  }
  return deleteUnredeemedKeys(db, ctx, bulkPk, input.all ? null : (input.keys as string[]));
}
