import { type ChildProcess, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DbHandle, type Dialect, migrateToLatest, openDatabase } from "../src/db/connect.js";
import type { Db } from "../src/db/schema.js";
import { DEFAULT_KEY_FORMAT, generateKeys } from "../src/domain/keyFormat.js";
import { JobRunner } from "../src/jobs/runner.js";
import type { ChildSpec } from "./fixtures/importChild.js";
import { DIALECTS, testConfig } from "./helpers.js";
import { pgUrlFor, templateName, withPgAdmin } from "./pg.js";

/**
 * A key import is one transaction holding the keys, the counters, the audit/history rows and the
 * job's SUCCEEDED state. Killing the importing process (kill -9, no chance to clean up) must leave
 * all of it or none of it, never part; the job left RUNNING is found by recovery, queued again and
 * then loads every key exactly once. The importing server is a real child process on the same
 * database (a SQLite file, or a PostgreSQL database), killed with SIGKILL mid-load or just after
 * its commit.
 */

const KEYS = 300_000;
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
const BULK = "CRASH-BULK";

interface Env {
  dialect: Dialect;
  handle: DbHandle;
  db: Db;
  dataDir: string;
  /** Where the child finds the same database. */
  where: Pick<ChildSpec, "dialect" | "dataDir" | "sqliteFile" | "databaseUrl">;
  /** Closes this process's connections and opens new ones, as a restarted server would. */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

/** A database another process can open: a SQLite file in a temp dir, or a fresh PostgreSQL database. */
async function sharedDatabase(dialect: Dialect): Promise<Env> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "licensor-crash-"));
  if (dialect === "sqlite") {
    const open = () => openDatabase({ dataDir, sqliteFile: "crash.sqlite" });
    const handle = open();
    await migrateToLatest(handle.db);
    const env: Env = {
      dialect,
      handle,
      db: handle.db,
      dataDir,
      where: { dialect, dataDir, sqliteFile: "crash.sqlite" },
      reopen: async () => {
        await env.handle.close();
        env.handle = open();
        env.db = env.handle.db;
      },
      close: async () => {
        await env.handle.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
    return env;
  }
  const name = `licensor_t_${process.env.LICENSOR_TEST_RUN_ID ?? "local"}_${crypto.randomBytes(5).toString("hex")}`;
  await withPgAdmin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${templateName()}`));
  const databaseUrl = pgUrlFor(name);
  const open = () => openDatabase({ databaseUrl, dataDir, poolSize: 5 });
  const handle = open();
  const env: Env = {
    dialect,
    handle,
    db: handle.db,
    dataDir,
    where: { dialect, dataDir, databaseUrl },
    reopen: async () => {
      await env.handle.close();
      env.handle = open();
      env.db = env.handle.db;
    },
    close: async () => {
      await env.handle.close();
      await withPgAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return env;
}

/** A deployed bulk entitlement, inserted directly: a key load needs only its row. */
async function insertBulk(db: Db, pk: string) {
  const now = new Date().toISOString();
  await db
    .insertInto("entitlements")
    .values({
      id: pk,
      entitlement_id: pk,
      id_generated: 0,
      kind: "BULK",
      state: "DEPLOYED",
      description: null,
      ship_to_email: null,
      ship_to_address: null,
      order_id: null,
      order_line_number: null,
      allow_portal_login: 0,
      custom_attributes: "{}",
      parent_bulk_id: null,
      created_by: null,
      created_by_label: null,
      created_at: now,
      updated_by: null,
      updated_at: now,
    })
    .execute();
}

/** Writes `n` generated keys as an uploaded text file, where the keys.import job looks for it. */
function writeUpload(dataDir: string, n: number): { upload: string; keys: string[] } {
  const dir = path.join(dataDir, "uploads");
  fs.mkdirSync(dir, { recursive: true });
  const upload = `${crypto.randomBytes(6).toString("hex")}.upload`;
  const keys = generateKeys(n, DEFAULT_KEY_FORMAT);
  fs.writeFileSync(path.join(dir, upload), `${keys.join("\n")}\n`);
  return { upload, keys };
}

/** The importing server: a child process; `lines` collects what it printed. */
function startImporter(spec: ChildSpec) {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", path.join(here, "fixtures/importChild.ts"), JSON.stringify(spec)],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines: string[] = [];
  let stderr = "";
  let buf = "";
  child.stdout?.on("data", (d) => {
    buf += d;
    const parts = buf.split("\n");
    buf = parts.pop() ?? "";
    lines.push(...parts);
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  /** Resolves with the first line matching `pred`; fails if the child exits first or after `ms`. */
  const waitFor = async (pred: (line: string) => boolean, ms = 90_000): Promise<string> => {
    const until = Date.now() + ms;
    let done = false;
    void exited.then(() => {
      done = true;
    });
    for (;;) {
      const hit = lines.find(pred);
      if (hit) return hit;
      if (done) throw new Error(`importer exited before the expected line; stdout:\n${lines.join("\n")}\nstderr:\n${stderr}`);
      if (Date.now() > until) throw new Error(`timed out; stdout:\n${lines.join("\n")}\nstderr:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { child, lines, exited, waitFor, stderr: () => stderr };
}

/**
 * What a load writes that anyone can see, counted: its keys, the counter, the history event and the
 * audit event. Keys of a load still staged (SQLite writes a load in short transactions) are not
 * seen by any reader; `staged` counts them, whatever their state.
 */
const VISIBLE = sql`(load_id IS NULL OR NOT EXISTS (SELECT 1 FROM key_loads kl WHERE kl.id = load_id))`;
async function counts(db: Db, jobId: string) {
  const r = await sql<Record<string, number | string>>`SELECT
      (SELECT count(*) FROM web_register_keys WHERE job_id = ${jobId} AND ${VISIBLE}) AS "ofJob",
      (SELECT count(*) FROM web_register_keys WHERE bulk_id = ${BULK} AND ${VISIBLE}) AS "inBulk",
      (SELECT count(DISTINCT key) FROM web_register_keys WHERE bulk_id = ${BULK} AND ${VISIBLE}) AS "distinct",
      (SELECT key_count FROM entitlements WHERE id = ${BULK}) AS "keyCount",
      (SELECT count(*) FROM entitlement_events WHERE entitlement_id = ${BULK}) AS "events",
      (SELECT count(*) FROM audit_events WHERE object_id = ${BULK} AND action = 'keys.imported') AS "audits"`.execute(db);
  return Object.fromEntries(Object.entries(r.rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
}

const jobRow = (db: Db, id: string) => db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

for (const dialect of DIALECTS) {
  describe(`key import killed with SIGKILL [${dialect}]`, () => {
    let env: Env;
    let importer: ReturnType<typeof startImporter> | undefined;
    beforeEach(async () => {
      env = await sharedDatabase(dialect);
      await insertBulk(env.db, BULK);
    });
    afterEach(async () => {
      if (importer && importer.child.exitCode === null && importer.child.signalCode === null) {
        importer.child.kill("SIGKILL");
        await importer.exited;
      }
      importer = undefined;
      await env?.close();
    });

    it("mid-load leaves nothing; recovery queues the job again and it then loads every key once", async () => {
      const { upload, keys } = writeUpload(env.dataDir, KEYS);
      importer = startImporter({ ...env.where, bulkPk: BULK, upload, mode: "all", linger: true });
      const jobId = (await importer.waitFor((l) => l.startsWith("job "))).slice(4);
      // Well into the load: a third of the file read and inserted inside the open transaction.
      await importer.waitFor((l) => l.startsWith("progress ") && Number(l.slice(9)) >= KEYS / 3);
      expect((await jobRow(env.db, jobId)).state).toBe("RUNNING");
      const pid = importer.child.pid as number;
      process.kill(pid, "SIGKILL");
      expect(await importer.exited).toEqual({ code: null, signal: "SIGKILL" });
      expect(importer.lines.some((l) => l === "committed" || l.startsWith("finished"))).toBe(false);
      // What a restarted server sees: new connections to the same database.
      await env.reopen();

      // None of it: no key, no counter, no history or audit row; the job still says RUNNING.
      expect(await counts(env.db, jobId)).toEqual({ ofJob: 0, inBulk: 0, distinct: 0, keyCount: 0, events: 0, audits: 0 });
      const orphan = await jobRow(env.db, jobId);
      expect(orphan).toMatchObject({ state: "RUNNING", attempts: 1, finished_at: null });

      const deps = { db: env.db, dialect: env.dialect, config: testConfig({ dataDir: env.dataDir }), bulk: env.handle.bulk };
      if (dialect === "postgres") {
        // On shared PostgreSQL a RUNNING job belongs to whoever heartbeats it; a fresh heartbeat
        // means "alive", so recovery leaves it alone ...
        expect(await new JobRunner(deps).recover()).toBe(0);
        expect((await jobRow(env.db, jobId)).state).toBe("RUNNING");
        // ... until it is 30 s stale. Age the heartbeat rather than wait.
        await env.db
          .updateTable("jobs")
          .set({ heartbeat_at: new Date(Date.now() - 60_000).toISOString() })
          .where("id", "=", jobId)
          .execute();
      }
      const runner = new JobRunner(deps);
      expect(await runner.recover()).toBe(1);
      const requeued = await jobRow(env.db, jobId);
      expect(requeued).toMatchObject({ state: "QUEUED", worker: null, done: 0, finished_at: null });
      expect(requeued.error).toMatch(/interrupted/i);
      expect(requeued.error).toContain("nothing was applied");
      // The upload is kept for the retry.
      expect(fs.existsSync(path.join(env.dataDir, "uploads", upload))).toBe(true);

      await runner.start();
      try {
        let job = await jobRow(env.db, jobId);
        for (let i = 0; i < 1200 && (job.state === "QUEUED" || job.state === "RUNNING"); i++) {
          await new Promise((r) => setTimeout(r, 100));
          job = await jobRow(env.db, jobId);
        }
        expect(job).toMatchObject({ state: "SUCCEEDED", attempts: 2, done: KEYS });
        expect(JSON.parse(job.result as string)).toMatchObject({ status: "SUCCESS", read: KEYS, loaded: KEYS, rejected: 0 });
      } finally {
        await runner.stop();
      }
      // Every key of the file, exactly once, all from this job; counters, history and audit once;
      // and no row of the killed attempt is left behind, seen or not.
      expect(Number((await sql<{ n: number }>`SELECT count(*) AS n FROM web_register_keys`.execute(env.db)).rows[0]?.n)).toBe(
        KEYS,
      );
      expect(await env.db.selectFrom("key_loads").selectAll().execute()).toEqual([]);
      expect(await counts(env.db, jobId)).toEqual({
        ofJob: KEYS,
        inBulk: KEYS,
        distinct: KEYS,
        keyCount: KEYS,
        events: 1,
        audits: 1,
      });
      const sample = keys.filter((_, i) => i % 9973 === 0);
      const found = await env.db.selectFrom("web_register_keys").select("key").where("key", "in", sample).execute();
      expect(found.map((r) => r.key).sort()).toEqual([...sample].sort());
      // The finished job removed its upload.
      expect(fs.existsSync(path.join(env.dataDir, "uploads", upload))).toBe(false);
    }, 180_000);

    it("just after the commit leaves everything, and the job truthfully SUCCEEDED", async () => {
      const { upload } = writeUpload(env.dataDir, KEYS);
      importer = startImporter({ ...env.where, bulkPk: BULK, upload, mode: "all", linger: true });
      const jobId = (await importer.waitFor((l) => l.startsWith("job "))).slice(4);
      await importer.waitFor((l) => l === "committed" || l.startsWith("finished "));
      process.kill(importer.child.pid as number, "SIGKILL");
      expect((await importer.exited).signal).toBe("SIGKILL");
      expect(importer.lines).toContain("committed");
      await env.reopen();

      const job = await jobRow(env.db, jobId);
      expect(job).toMatchObject({ state: "SUCCEEDED", attempts: 1, done: KEYS, error: null });
      expect(job.finished_at).not.toBeNull();
      expect(JSON.parse(job.result as string)).toMatchObject({ status: "SUCCESS", loaded: KEYS });
      expect(await counts(env.db, jobId)).toEqual({
        ofJob: KEYS,
        inBulk: KEYS,
        distinct: KEYS,
        keyCount: KEYS,
        events: 1,
        audits: 1,
      });
      // A restart finds nothing to recover and changes nothing.
      const deps = { db: env.db, dialect: env.dialect, config: testConfig({ dataDir: env.dataDir }), bulk: env.handle.bulk };
      expect(await new JobRunner(deps).recover()).toBe(0);
      expect((await jobRow(env.db, jobId)).state).toBe("SUCCEEDED");
    }, 180_000);
  });
}
