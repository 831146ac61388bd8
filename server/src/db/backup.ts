import fs from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { LATEST_MIGRATION, migrationNames } from "./migrations/index.js";
import { runningServers } from "./running.js";

/**
 * Online backup and checked restore of the embedded SQLite database (`licensor backup`,
 * `licensor restore`). PostgreSQL has its own tools (pg_dump/pg_restore, see the README).
 */

const HEADER = Buffer.from("SQLite format 3\u0000", "latin1");

export interface BackupProgress {
  totalPages: number;
  remainingPages: number;
}

/** Pages copied per step: about 4 MB at SQLite's 4 KiB pages, so a progress line comes often. */
const STEP_PAGES = 1000;
/**
 * After this many restarts (another process wrote while the copy was going step by step, which
 * makes SQLite begin again) the rest is copied in one step: one read transaction, which in WAL
 * mode never blocks the server's writes, so the copy ends however busy the server is.
 */
const RESTARTS_BEFORE_ONE_STEP = 3;

/**
 * Copies the database at `source` to `out` with SQLite's online backup API while servers keep
 * reading and writing it: the copy is one consistent moment of the database. It is written to a
 * temporary file beside `out` (0600), checked (`PRAGMA integrity_check`), and only then renamed to
 * `out`, so `out` is never a half-written file.
 */
export async function backupSqlite(source: string, out: string, onProgress: (p: BackupProgress) => void): Promise<void> {
  if (!fs.existsSync(source)) throw new Error(`no database at ${source} (LICENSOR_DATA_DIR)`);
  const target = path.resolve(out);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  const db = new SQLite(source, { fileMustExist: true });
  db.pragma("busy_timeout = 15000");
  try {
    // Created 0600 before SQLite writes into it: the copy holds keys and sealed signing keys.
    fs.closeSync(fs.openSync(tmp, "w", 0o600));
    let last = Number.POSITIVE_INFINITY;
    let total = 0;
    let restarts = 0;
    await db.backup(tmp, {
      progress(p) {
        if (p.remainingPages > last) restarts++;
        last = p.remainingPages;
        total = p.totalPages;
        onProgress(p);
        return restarts >= RESTARTS_BEFORE_ONE_STEP ? Math.max(p.totalPages, 1) * 2 : STEP_PAGES;
      },
    });
    onProgress({ totalPages: total, remainingPages: 0 });
    const copy = new SQLite(tmp, { fileMustExist: true });
    try {
      const problems = integrityProblems(copy);
      if (problems.length) throw new Error(`the copy failed its integrity check: ${problems.slice(0, 3).join("; ")}`);
      // One file, nothing beside it: the copy leaves no -wal to carry along.
      copy.pragma("journal_mode = DELETE");
    } finally {
      copy.close();
    }
    fs.chmodSync(tmp, 0o600);
    fsyncFile(tmp);
    fs.renameSync(tmp, target);
    fsyncDir(path.dirname(target));
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    fs.rmSync(`${tmp}-journal`, { force: true });
    throw err;
  } finally {
    db.close();
  }
}

function integrityProblems(db: SQLite.Database): string[] {
  const rows = db.pragma("integrity_check") as { integrity_check: string }[];
  return rows.map((r) => r.integrity_check).filter((r) => r !== "ok");
}

/** What a checked backup holds. */
export interface BackupFacts {
  newestMigration: string;
  /** The `kek_id`s its signing keys are sealed under (the secret that opens them). */
  kekIds: string[];
}

/**
 * Checks that `file` is a Licensor database this build can run: an SQLite file (its header), whole
 * (`PRAGMA integrity_check`), with Licensor's migrations table, and no migration this build does
 * not know (a backup of a newer release). Throws saying which check failed.
 */
export function checkBackupFile(file: string): BackupFacts {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
  const head = Buffer.alloc(HEADER.length);
  try {
    fs.readSync(fd, head, 0, HEADER.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (!head.equals(HEADER)) throw new Error(`${file} is not an SQLite database (its first bytes are not the SQLite header)`);
  let db: SQLite.Database;
  try {
    db = new SQLite(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new Error(`${file} cannot be opened as an SQLite database: ${(err as Error).message}`);
  }
  try {
    let problems: string[];
    try {
      problems = integrityProblems(db);
    } catch (err) {
      throw new Error(`${file} failed its integrity check: ${(err as Error).message}`);
    }
    if (problems.length) throw new Error(`${file} failed its integrity check: ${problems.slice(0, 3).join("; ")}`);
    const hasMigrations = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kysely_migration'").get();
    if (!hasMigrations) throw new Error(`${file} is not a Licensor database (it has no migrations table)`);
    const applied = (db.prepare("SELECT name FROM kysely_migration ORDER BY name").all() as { name: string }[]).map(
      (r) => r.name,
    );
    if (applied.length === 0) throw new Error(`${file} is not a Licensor database (no migration was applied to it)`);
    const known = new Set(migrationNames);
    const unknown = applied.filter((n) => !known.has(n));
    if (unknown.length)
      throw new Error(
        `${file} comes from a newer Licensor: it has migration(s) ${unknown.join(", ")}, this build knows up to ${LATEST_MIGRATION}; restore it with that release`,
      );
    const kekIds = (db.prepare("SELECT DISTINCT kek_id FROM signing_keys").all() as { kek_id: string }[]).map((r) => r.kek_id);
    return { newestMigration: applied.at(-1) as string, kekIds };
  } finally {
    db.close();
  }
}

/**
 * Replaces the database at `target` with the checked backup `file`: refuses while a server runs on
 * `dataDir`; the backup is copied beside the target first (0600), then renamed over it in one step,
 * so the target is at every moment the old database or the new one. The old one is kept as
 * `<target>.before-restore-<time>` (its WAL folded in first, so the kept file is whole).
 */
export async function restoreSqlite(
  dataDir: string,
  target: string,
  file: string,
): Promise<{ kept: string | null; facts: BackupFacts }> {
  const refuseIfRunning = () => {
    const live = runningServers(dataDir);
    if (live.length)
      throw new Error(
        `a Licensor server is running on ${dataDir} (process ${live.join(", ")}): stop it before restoring; nothing was changed`,
      );
  };
  refuseIfRunning();
  const facts = checkBackupFile(file);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.restore-${process.pid}.tmp`);
  try {
    fs.closeSync(fs.openSync(tmp, "w", 0o600));
    const src = new SQLite(file, { readonly: true, fileMustExist: true });
    try {
      await src.backup(tmp);
    } finally {
      src.close();
    }
    const copy = new SQLite(tmp, { fileMustExist: true });
    try {
      // The server opens it in WAL mode; the copy itself is one file.
      copy.pragma("journal_mode = DELETE");
    } finally {
      copy.close();
    }
    fs.chmodSync(tmp, 0o600);
    fsyncFile(tmp);
    let kept: string | null = null;
    if (fs.existsSync(target)) {
      // A server that died left its last commits in the -wal: fold them into the file before keeping it.
      const old = new SQLite(target, { fileMustExist: true });
      try {
        old.pragma("wal_checkpoint(TRUNCATE)");
        old.pragma("journal_mode = DELETE");
      } finally {
        old.close();
      }
      refuseIfRunning();
      kept = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, "-")}`;
      fs.linkSync(target, kept);
    }
    fs.renameSync(tmp, target);
    for (const side of ["-wal", "-shm"]) fs.rmSync(`${target}${side}`, { force: true });
    fsyncDir(path.dirname(target));
    return { kept, facts };
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    fs.rmSync(`${tmp}-journal`, { force: true });
    throw err;
  }
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, "r+");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Not every platform lets a directory be opened for fsync; the rename itself is atomic.
  }
}
