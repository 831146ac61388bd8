import { KEY_LIMITS } from "../../../common/src/limits.js";
import type { RequestContext } from "../actor.js";
import type { LoadReport } from "../domain/keys.js";
import type { JobRunner } from "../jobs/runner.js";
import { loadableBulkForKeys } from "../keys/bulkAccess.js";
import { type KeyLoadDeps, runKeyLoad } from "../keys/keyLoad.js";

/** A request too large to answer at once became this queued job. */
export interface QueuedJob {
  jobId: string;
  state: "QUEUED";
}

/**
 * Generates `count` keys: up to KEY_LIMITS.syncGenerateMax at once (the load's report), more as a
 * background `keys.generate` job (the queued job). `jobs` is asked for only when a job is needed.
 */
export async function keyGenerator(
  deps: KeyLoadDeps,
  jobs: () => JobRunner,
  ctx: RequestContext,
  bulkPk: string,
  input: { count: number },
): Promise<{ report: LoadReport } | { job: QueuedJob }> {
  await loadableBulkForKeys(deps.db, ctx, bulkPk);
  if (input.count <= KEY_LIMITS.syncGenerateMax)
    return { report: await runKeyLoad(deps, ctx, bulkPk, { generate: input.count }, "all") };
  const jobId = await jobs().enqueue(deps.db, ctx, "keys.generate", bulkPk, { bulkPk, count: input.count }, input.count);
  return { job: { jobId, state: "QUEUED" } };
}
