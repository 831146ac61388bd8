import type { RequestContext } from "../actor.js";
import type { Db } from "../db/schema.js";
import type { JobKinds } from "../jobs/registry.js";

type ImportParams = JobKinds["keys.import"];

import type { JobRunner } from "../jobs/runner.js";
import { loadableBulkForKeys } from "../keys/bulkAccess.js";
import type { QueuedJob } from "./keyGenerator.js";

/** A key file received into the database's file store, and how to read and load it. */
export type UploadedKeyFile = Omit<ImportParams, "bulkPk">;

/**
 * Starts a `keys.import` job. The caller's right to load keys and the bulk's state are checked
 * before `receive` stores the upload (nothing is stored for a refused request); the job then owns
 * the stored file, from the same transaction that queues it.
 */
export async function keyImportStarter(
  db: Db,
  jobs: () => JobRunner,
  ctx: RequestContext,
  bulkPk: string,
  receive: () => Promise<UploadedKeyFile>,
): Promise<QueuedJob> {
  await loadableBulkForKeys(db, ctx, bulkPk);
  const upload = await receive();
  const params: ImportParams = { bulkPk, ...upload };
  const jobId = await jobs().enqueue(db, ctx, "keys.import", bulkPk, params, null, { files: [upload.upload] });
  return { jobId, state: "QUEUED" };
}
