import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type SQLite from "better-sqlite3";
import type { Db, JobFilesTable, Trx } from "../db/schema.js";
import { newId, nowIso } from "../util.js";

/**
 * Uploaded key files and export results, stored in the database in chunks (migration 0011), so
 * that every server process sharing the database reads a file another process received or wrote:
 * several processes behind a load balancer share nothing else. Files stream in and out one chunk
 * at a time; none is ever whole in memory.
 */

/** Bytes per stored chunk: large enough that a 512 MB upload is 2,048 rows, small enough to hold a few in memory. */
export const CHUNK_BYTES = 256 * 1024;
/** How much of a file's beginning a writer keeps for format detection. */
const HEAD_BYTES = 4096;
/** A file never attached to a job (an upload cut short, a crash between upload and queueing) is removed after this. */
export const ORPHAN_FILE_MS = 60 * 60 * 1000;

export type StoredFile = JobFilesTable;

/** Registers a new, still incomplete file; its chunks follow through {@link chunkWriter}. */
export async function createStoredFile(
  db: Db | Trx,
  file: { kind: StoredFile["kind"]; jobId: string | null; name: string | null },
): Promise<string> {
  const id = newId();
  await db
    .insertInto("job_files")
    .values({ id, kind: file.kind, job_id: file.jobId, name: file.name, bytes: 0, complete: 0, created_at: nowIso() })
    .execute();
  return id;
}

/** A writable stream storing what it receives as chunks of {@link CHUNK_BYTES}; `bytes` and `head` once finished. */
export class ChunkWriter extends Writable {
  bytes = 0;
  /** The first bytes written (up to 4 KiB), to detect a file's format without reading it back. */
  head: Buffer = Buffer.alloc(0);
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private seq = 0;

  constructor(
    private readonly db: Db,
    readonly fileId: string,
  ) {
    super({ highWaterMark: CHUNK_BYTES });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.head.length < HEAD_BYTES) this.head = Buffer.concat([this.head, chunk.subarray(0, HEAD_BYTES - this.head.length)]);
    this.bytes += chunk.length;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.flushFull().then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.flushFull()
      .then(() => (this.pendingBytes > 0 ? this.store(Buffer.concat(this.pending)) : undefined))
      .then(() => {
        this.pending = [];
        this.pendingBytes = 0;
        cb();
      }, cb);
  }

  private async flushFull(): Promise<void> {
    while (this.pendingBytes >= CHUNK_BYTES) {
      const all = Buffer.concat(this.pending);
      this.pending = [all.subarray(CHUNK_BYTES)];
      this.pendingBytes = all.length - CHUNK_BYTES;
      await this.store(all.subarray(0, CHUNK_BYTES));
    }
  }

  private async store(data: Buffer): Promise<void> {
    // A copy: `data` may be a view into a larger buffer kept for the next chunk.
    await this.db
      .insertInto("job_file_chunks")
      .values({ file_id: this.fileId, seq: this.seq++, data: Buffer.from(data) })
      .execute();
  }
}

/** Marks a file fully written (in the caller's transaction, e.g. with the job's SUCCEEDED state). */
export async function completeStoredFile(db: Db | Trx, fileId: string, bytes: number): Promise<void> {
  await db.updateTable("job_files").set({ complete: 1, bytes }).where("id", "=", fileId).execute();
}

/** Attaches an uploaded file to the job that will read it (so it is kept while the job may run). */
export async function attachStoredFile(db: Db | Trx, fileId: string, jobId: string): Promise<void> {
  await db.updateTable("job_files").set({ job_id: jobId }).where("id", "=", fileId).execute();
}

export function findStoredFile(db: Db | Trx, fileId: string): Promise<StoredFile | undefined> {
  return db.selectFrom("job_files").selectAll().where("id", "=", fileId).executeTakeFirst();
}

/** The complete file of `kind` a job owns (an export's result), if any. */
export function findJobFile(db: Db | Trx, jobId: string, kind: StoredFile["kind"]): Promise<StoredFile | undefined> {
  return db
    .selectFrom("job_files")
    .selectAll()
    .where("job_id", "=", jobId)
    .where("kind", "=", kind)
    .where("complete", "=", 1)
    .executeTakeFirst();
}

/**
 * A readable stream of a stored file, one chunk per read. On SQLite pass the better-sqlite3 handle:
 * a key load holds the connection in a transaction while it reads its upload, and a query through
 * Kysely would wait for that very transaction; a synchronous read on the handle does not.
 */
export function storedFileStream(db: Db, raw: SQLite.Database | null, fileId: string): Readable {
  let seq = 0;
  const rawChunk = raw?.prepare("SELECT data FROM job_file_chunks WHERE file_id = ? AND seq = ?").pluck();
  return new Readable({
    highWaterMark: 1,
    objectMode: false,
    read() {
      const at = seq++;
      const next: Promise<Buffer | undefined> = rawChunk
        ? Promise.resolve(rawChunk.get(fileId, at) as Buffer | undefined)
        : db
            .selectFrom("job_file_chunks")
            .select("data")
            .where("file_id", "=", fileId)
            .where("seq", "=", at)
            .executeTakeFirst()
            .then((r) => r?.data);
      next.then(
        (data) => this.push(data && data.length > 0 ? Buffer.from(data) : null),
        (err) => this.destroy(err as Error),
      );
    },
  });
}

/** Deletes a file and its chunks. */
export async function deleteStoredFile(db: Db | Trx, fileId: string): Promise<void> {
  await db.deleteFrom("job_file_chunks").where("file_id", "=", fileId).execute();
  await db.deleteFrom("job_files").where("id", "=", fileId).execute();
}

/** Deletes every file a job owns (of `kind`, when given). */
export async function deleteJobFiles(db: Db, jobId: string, kind?: StoredFile["kind"]): Promise<void> {
  let q = db.selectFrom("job_files").select("id").where("job_id", "=", jobId);
  if (kind) q = q.where("kind", "=", kind);
  for (const f of await q.execute()) await deleteStoredFile(db, f.id);
}

/**
 * Files nobody needs any more, whichever process left them: uploads never attached to a job (older
 * than {@link ORPHAN_FILE_MS}: an upload may be under way), uploads of jobs that ended, and
 * incomplete exports of jobs that ended (an attempt cut short by a crash). Returns how many.
 */
export async function sweepStoredFiles(db: Db, now = Date.now()): Promise<number> {
  const cutoff = new Date(now - ORPHAN_FILE_MS).toISOString();
  const stale = await db
    .selectFrom("job_files")
    .select("id")
    .where((eb) =>
      eb.or([
        eb.and([eb("job_id", "is", null), eb("created_at", "<", cutoff)]),
        eb.and([
          eb("job_id", "is not", null),
          eb.or([eb("kind", "=", "upload"), eb("complete", "=", 0)]),
          eb.not(
            eb.exists(
              eb
                .selectFrom("jobs")
                .select("jobs.id")
                .whereRef("jobs.id", "=", "job_files.job_id")
                .where("jobs.state", "in", ["QUEUED", "RUNNING"]),
            ),
          ),
        ]),
      ]),
    )
    .execute();
  for (const f of stale) await deleteStoredFile(db, f.id);
  return stale.length;
}

/** Stores a whole stream as a complete file (the CLI and tests; the upload route checks limits in between). */
export async function storeFile(
  db: Db,
  file: { kind: StoredFile["kind"]; jobId: string | null; name: string | null },
  source: Readable | Iterable<Buffer | string> | AsyncIterable<Buffer | string>,
): Promise<{ id: string; bytes: number; head: Buffer }> {
  const id = await createStoredFile(db, file);
  const out = new ChunkWriter(db, id);
  try {
    await pipeline(source, out);
    await completeStoredFile(db, id, out.bytes);
  } catch (err) {
    await deleteStoredFile(db, id);
    throw err;
  }
  return { id, bytes: out.bytes, head: out.head };
}
