import type { RequestContext } from "../actor.js";
import type { BulkConnection, Dialect } from "../db/connect.js";
import { loadSettings } from "../db/repos/settings.js";
import type { Db } from "../db/schema.js";
import { DEFAULT_KEY_FORMAT, generateKeys, type KeyFormat } from "../domain/keyFormat.js";
import type { KeyRecord, LoadReport } from "../domain/keys.js";
import { type KeyFileFormat, readKeyFile } from "../keyfiles/readKeyFile.js";
import { keyLoads, keysLoaded } from "../metrics.js";
import { type LoadArgs, LoadRejected, loadKeys } from "./keyLoader.js";

/** Keys per batch read from a file: the API's jobs and the CLI read the same size. */
export const KEY_FILE_BATCH = 10_000;

/** Keys generated per batch: generation is synchronous, so small batches keep other requests going. */
const GENERATE_BATCH = 2_000;

/**
 * Where a load's keys come from. Each source names its load in the audit and history as it always
 * has: generated, imported (a file or a list), added (one key by hand).
 */
export type KeySource =
  | { generate: number }
  | { list: string[]; verb: "added" | "imported" }
  | { file: NodeJS.ReadableStream | AsyncIterable<Buffer | string>; format: KeyFileFormat };

/** What a load needs of the process: the database and the connection long bulk writes run on. */
export interface KeyLoadDeps {
  db: Db;
  dialect: Dialect;
  bulk: () => BulkConnection;
}

/** How the caller follows the load: its job (if any), progress, cancellation, and a last write in its transaction. */
export type KeyLoadOptions = Pick<LoadArgs, "onProgress" | "cancelled" | "beforeCommit"> & { jobId?: string | null };

/** `count` new keys in the configured format, in batches, numbered from line 1. */
export async function* generatedKeyBatches(count: number, format: KeyFormat = DEFAULT_KEY_FORMAT): AsyncGenerator<KeyRecord[]> {
  for (let done = 0; done < count; done += GENERATE_BATCH) {
    const n = Math.min(GENERATE_BATCH, count - done);
    yield generateKeys(n, format).map((key, i) => ({ line: done + i + 1, key }));
  }
}

/**
 * The one key-load use case, whoever asks: the API's synchronous routes, the background job
 * handlers and the CLI. It turns the source into batches of {@link KeyRecord}, runs the
 * all-or-nothing (or `partial`) load on the bulk connection and returns the report; refused lines
 * are in the report, not thrown. Authorization is the caller's, made when the load was asked for
 * (a job runs long after, as its creator without roles). Throws `KeyFileError` for a file that
 * cannot be read and `LoadCancelled` when `cancelled()` turned true: each caller words those its way.
 */
export async function runKeyLoad(
  deps: KeyLoadDeps,
  ctx: RequestContext,
  bulkPk: string,
  source: KeySource,
  mode: "all" | "partial",
  opts: KeyLoadOptions = {},
): Promise<LoadReport> {
  const { batches, verb } = await batchesOf(deps.db, source);
  const conn = deps.bulk();
  try {
    const report = await loadKeys(conn, deps.dialect, {
      ctx,
      bulkPk,
      batches,
      mode,
      verb,
      jobId: opts.jobId ?? null,
      onProgress: opts.onProgress,
      cancelled: opts.cancelled,
      beforeCommit: opts.beforeCommit,
    });
    keyLoads.labels(report.status).inc();
    keysLoaded.inc(report.loaded);
    return report;
  } catch (err) {
    // A refused load wrote nothing; anything else (a cancel, a lost lease, a database error) is an error.
    keyLoads.labels(err instanceof LoadRejected ? "FAILURE" : "ERROR").inc();
    throw err;
  } finally {
    await conn.release();
  }
}

async function batchesOf(db: Db, source: KeySource): Promise<Pick<LoadArgs, "batches" | "verb">> {
  if ("generate" in source)
    return { batches: generatedKeyBatches(source.generate, (await loadSettings(db)).keyFormat), verb: "generated" };
  if ("list" in source) return { batches: once(source.list.map((k, i) => ({ line: i + 1, key: k.trim() }))), verb: source.verb };
  return { batches: readKeyFile(source.file, source.format, KEY_FILE_BATCH), verb: "imported" };
}

async function* once(records: KeyRecord[]): AsyncGenerator<KeyRecord[]> {
  yield records;
}
