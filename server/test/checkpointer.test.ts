import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { Checkpointer } from "../src/db/checkpointer.js";
import { openDatabase } from "../src/db/connect.js";
import type { Database } from "../src/db/schema.js";

// SQLite-only: PostgreSQL checkpoints in its own processes.
const dirs: string[] = [];
const tempFile = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "licensor-ckpt-"));
  dirs.push(dir);
  return path.join(dir, "t.sqlite");
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A WAL database file with a checkpointer, closed (worker first) whatever the test does. */
async function withCheckpointer(
  options: ConstructorParameters<typeof Checkpointer>[3],
  test: (t: { file: string; raw: SQLite.Database; db: Kysely<Database>; checkpointer: Checkpointer }) => Promise<void>,
) {
  const file = tempFile();
  const raw = new SQLite(file);
  raw.pragma("journal_mode = WAL");
  raw.pragma("synchronous = NORMAL");
  raw.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  const checkpointer = new Checkpointer(file, db, raw, options);
  try {
    await test({ file, raw, db, checkpointer });
  } finally {
    await checkpointer.stop();
    await db.destroy();
  }
}

/** Commits one 3 KB row at a time, yielding to the event loop between commits as a server does. */
async function writeSteadily(db: Kysely<Database>, commits: number, pause: "timer" | "immediate" = "timer") {
  const filler = "x".repeat(3000);
  for (let i = 0; i < commits; i++) {
    await sql`INSERT INTO t (v) VALUES (${filler})`.execute(db);
    await new Promise((r) => (pause === "timer" ? setTimeout(r, 1) : setImmediate(r)));
  }
}

/** The WAL header's checkpoint sequence number: SQLite adds one each time the WAL starts over. */
function walSequence(file: string): number {
  const header = Buffer.alloc(32);
  const fd = fs.openSync(`${file}-wal`, "r");
  try {
    fs.readSync(fd, header, 0, 32, 0);
  } finally {
    fs.closeSync(fd);
  }
  return header.readUInt32BE(12);
}

describe("SQLite checkpoints off the event loop", () => {
  it("copies the WAL back in a worker and starts it over under a steady stream of commits", () =>
    withCheckpointer({ passEveryMs: 10, restartFrames: 100, backstopFrames: 1_000_000 }, async ({ file, raw, db }) => {
      // The main connection's own checkpoint is out of the way: only the worker can keep the WAL small.
      expect(raw.pragma("wal_autocheckpoint", { simple: true })).toBe(1_000_000);
      await writeSteadily(db, 1);
      const before = walSequence(file);
      await writeSteadily(db, 1500);
      // Counted, not timed: without the worker the WAL would never have been copied nor started over.
      expect(walSequence(file)).toBeGreaterThan(before);
      expect(raw.prepare("SELECT count(*) FROM t").pluck().get()).toBe(1501);
      // The rows reached the database file itself (3 KB each, one page per row at least).
      expect(fs.statSync(file).size).toBeGreaterThan(1000 * 4096);
    }));

  it("starts the WAL over even when commits never leave a gap for a pass to catch up", () =>
    withCheckpointer({ passEveryMs: 5, restartFrames: 200, backstopFrames: 1_000_000 }, async ({ file, raw, db }) => {
      // Back to back: a pass never copies the last frame, so only holding the connection for the
      // last bit (the finish) lets the WAL start over.
      await writeSteadily(db, 1, "immediate");
      const before = walSequence(file);
      await writeSteadily(db, 6000, "immediate");
      expect(walSequence(file)).toBeGreaterThan(before);
      expect(raw.prepare("SELECT count(*) FROM t").pluck().get()).toBe(6001);
    }));

  it("gives the main connection SQLite's own checkpoint back if the worker stops", () =>
    withCheckpointer({ backstopFrames: 50_000 }, async ({ raw, checkpointer }) => {
      expect(raw.pragma("wal_autocheckpoint", { simple: true })).toBe(50_000);
      await checkpointer["worker"].terminate();
      expect(raw.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    }));

  it("keeps a server's WAL near restartFrames under a load that never pauses", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "licensor-ckpt-"));
    dirs.push(dir);
    const h = openDatabase({ dataDir: dir });
    try {
      const db = h.db as unknown as Kysely<Database>;
      await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`.execute(db);
      const file = path.join(dir, "licensor.sqlite");
      const before = walSequence(file);
      // ~4 frames a commit (a 10 KB row overflows onto three pages of its own), back to back, never a
      // quiet moment: the WAL starts over past the default restartFrames (16,000 frames, ~4,000
      // commits), whatever the disk's speed, long before 9,000 commits (~36,000 frames, where only
      // a forced restart or the main connection's own backstop would have started it over).
      const filler = "y".repeat(10_000);
      for (let i = 0; i < 9_000 && walSequence(file) === before; i++) {
        await sql`INSERT INTO t (v) VALUES (${filler})`.execute(db);
        await new Promise((r) => setImmediate(r));
      }
      expect(walSequence(file)).toBeGreaterThan(before);
    } finally {
      await h.close();
    }
  });

  it("is started for a database file, and closing leaves the file complete with no WAL behind", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "licensor-ckpt-"));
    dirs.push(dir);
    const h = openDatabase({ dataDir: dir });
    // The checkpointer's mark: the main connection's automatic checkpoint moved to the backstop.
    expect(h.bulk().raw?.pragma("wal_autocheckpoint", { simple: true })).toBe(64_000);
    await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`.execute(h.db);
    await writeSteadily(h.db as unknown as Kysely<Database>, 50);
    await h.close();
    expect(fs.existsSync(path.join(dir, "licensor.sqlite-wal"))).toBe(false);
    const check = new SQLite(path.join(dir, "licensor.sqlite"), { readonly: true });
    expect(check.prepare("SELECT count(*) FROM t").pluck().get()).toBe(50);
    check.close();
  });
});
