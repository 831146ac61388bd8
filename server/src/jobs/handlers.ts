import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { KeyStatus } from "../../../common/src/rules/keys.js";
import { keyCounts } from "../db/repos/keys.js";
import type { Db, JobsTable } from "../db/schema.js";
import { keysCsv } from "../keyfiles/csvExport.js";
import { KeyFileError, type KeyFileFormat } from "../keyfiles/readKeyFile.js";
import { deleteUnredeemedKeys } from "../keys/keyDeleter.js";
import { exportedKeyCount, keyExportBatches } from "../keys/keyExport.js";
import { type KeySource, runKeyLoad } from "../keys/keyLoad.js";
import { LoadCancelled } from "../keys/keyLoader.js";
import {
  ChunkWriter,
  completeStoredFile,
  createStoredFile,
  deleteJobFiles,
  deleteStoredFile,
  findStoredFile,
  storedFileStream,
} from "./fileStore.js";
import { JobCancelled, type JobContext, type JobDeps, JobRefused, registerJobHandler } from "./registry.js";

/**
 * The key jobs, by type with their params: loading (import, generate), deleting and exporting a
 * bulk entitlement's keys. Each kind registers with the job registry when this module is loaded
 * (at the end of it); the runner finds it there.
 */
interface KeyJobs {
  "keys.import": ImportParams;
  "keys.generate": GenerateParams;
  "keys.delete": DeleteParams;
  "keys.export": ExportParams;
}
type KeyJobType = keyof KeyJobs;

declare module "./registry.js" {
  interface JobKinds extends KeyJobs {}
}

export interface ImportParams {
  bulkPk: string;
  /**
   * The uploaded file's id in the database's file store (jobs/fileStore.ts), kept until the job
   * ends so a retry on any process can redo it. Jobs queued before the file store name a file in
   * the data folder's uploads/ instead.
   */
  upload: string;
  fileName: string | null;
  format: KeyFileFormat;
  mode: "all" | "partial";
}
export interface GenerateParams {
  bulkPk: string;
  count: number;
}
export interface DeleteParams {
  bulkPk: string;
}
export interface ExportParams {
  bulkPk: string;
  status: KeyStatus | null;
  /** The file's name as downloaded. The file itself is stored in the database, owned by the job. */
  output: string;
}

/** Where exports were written before the file store; still read for downloads of those. */
export const exportsDir = (deps: Pick<JobDeps, "config">) => path.join(deps.config.dataDir, "exports");

/** Where uploads were kept before the file store; still read for jobs queued then. */
export const uploadsDir = (deps: Pick<JobDeps, "config">) => path.join(deps.config.dataDir, "uploads");

/** A load job: the one key-load use case, followed by the job's progress and cancellation, finished with it. */
async function runLoad(jc: JobContext, bulkPk: string, source: KeySource, mode: "all" | "partial") {
  try {
    const report = await runKeyLoad(jc.deps, jc.ctx, bulkPk, source, mode, {
      jobId: jc.job.id,
      onProgress: (n) => jc.progress(n),
      cancelled: jc.cancelled,
      // A partial load that refused lines is not a plain success: the Jobs list and the load dialog say so.
      beforeCommit: (trx, r) => jc.succeed(trx, r, r.status === "PARTIAL_FAILURE" ? "PARTIAL_FAILURE" : "SUCCEEDED"),
    });
    if (report.status === "FAILURE") {
      throw new JobRefused(
        report.read === 0
          ? "The file has no keys."
          : `${report.rejected} bad line${report.rejected === 1 ? "" : "s"}; nothing was loaded.`,
        report,
      );
    }
  } catch (err) {
    if (err instanceof LoadCancelled) throw new JobCancelled();
    // A file that cannot be read (not UTF-8, broken XML or CSV): say where, as the CLI does.
    if (err instanceof KeyFileError) throw new Error(`Line ${err.line}: ${err.message}; nothing was loaded.`);
    throw err;
  }
}

const HANDLERS: Record<KeyJobType, (jc: JobContext) => Promise<void>> = {
  async "keys.import"(jc) {
    const p = JSON.parse(jc.job.params) as ImportParams;
    // Stored in the database, so whichever process received the upload, this one reads it.
    const stored = await findStoredFile(jc.deps.db, p.upload);
    const legacy = path.join(uploadsDir(jc.deps), path.basename(p.upload));
    let source: NodeJS.ReadableStream;
    if (stored?.complete === 1) source = storedFileStream(jc.deps.db, jc.deps.bulk().raw, stored.id);
    else if (!stored && fs.existsSync(legacy)) source = fs.createReadStream(legacy);
    else throw new Error("The uploaded file is not available any more; upload it again.");
    jc.progress(0, null);
    await runLoad(jc, p.bulkPk, { file: source, format: p.format }, p.mode);
  },
  async "keys.generate"(jc) {
    const p = JSON.parse(jc.job.params) as GenerateParams;
    jc.progress(0, p.count);
    await runLoad(jc, p.bulkPk, { generate: p.count }, "all");
  },
  async "keys.export"(jc) {
    const p = JSON.parse(jc.job.params) as ExportParams;
    const counts = await keyCounts(jc.deps.db, p.bulkPk);
    const total = counts ? exportedKeyCount(counts, p.status) : 0;
    jc.progress(0, total);
    // What an earlier attempt of this job (cut short by a crash) wrote is of no use.
    await deleteJobFiles(jc.deps.db, jc.job.id, "export");
    const fileId = await createStoredFile(jc.deps.db, { kind: "export", jobId: jc.job.id, name: p.output });
    let done = 0;
    async function* rows() {
      for await (const batch of keyExportBatches(jc.deps.db, p.bulkPk, p.status)) {
        if (jc.cancelled()) throw new JobCancelled();
        done += batch.length;
        jc.progress(done);
        yield batch;
      }
    }
    // Into the database in chunks, so the download works through any process.
    const out = new ChunkWriter(jc.deps.db, fileId);
    try {
      await pipeline(keysCsv(rows()), out);
      // The file becomes downloadable exactly when the job reads SUCCEEDED.
      await jc.deps.db.transaction().execute(async (trx) => {
        await completeStoredFile(trx, fileId, out.bytes);
        await jc.succeed(trx, { rows: done, bytes: out.bytes, format: "csv" });
      });
    } catch (err) {
      await deleteStoredFile(jc.deps.db, fileId);
      throw err;
    }
  },
  async "keys.delete"(jc) {
    const p = JSON.parse(jc.job.params) as DeleteParams;
    const r = await deleteUnredeemedKeys(jc.deps.db, jc.ctx, p.bulkPk, null, async (trx, deleted) => {
      jc.progress(deleted, deleted);
      await jc.succeed(trx, { deleted });
    });
    jc.progress(r.deleted, r.deleted);
  },
};

/** Removes what a finished job kept (its upload; a failed export's partial file). */
async function cleanupJob(deps: Pick<JobDeps, "config" | "db">, job: JobsTable): Promise<void> {
  if (job.type === "keys.export") {
    // A finished export keeps its file for download; a failed or cancelled one leaves nothing.
    const row = await (deps.db as Db).selectFrom("jobs").select("state").where("id", "=", job.id).executeTakeFirst();
    if (row && (row.state === "FAILED" || row.state === "CANCELLED")) {
      await deleteJobFiles(deps.db, job.id, "export");
      await fs.promises.rm(path.join(exportsDir(deps), path.basename((JSON.parse(job.params) as ExportParams).output)), {
        force: true,
      });
    }
    return;
  }
  if (job.type !== "keys.import") return;
  const row = await (deps.db as Db).selectFrom("jobs").select("state").where("id", "=", job.id).executeTakeFirst();
  if (row && (row.state === "QUEUED" || row.state === "RUNNING")) return;
  const p = JSON.parse(job.params) as ImportParams;
  // Its file is no longer needed once the job has ended, whichever process ran it.
  await deleteStoredFile(deps.db, p.upload);
  await fs.promises.rm(path.join(uploadsDir(deps), path.basename(p.upload)), { force: true });
}

for (const [kind, run] of Object.entries(HANDLERS) as [KeyJobType, (jc: JobContext) => Promise<void>][])
  registerJobHandler(kind, { run, cleanup: cleanupJob });
