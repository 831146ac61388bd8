import { type ChildProcess, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { afterEach, beforeEach } from "vitest";
import type { Config } from "../src/config.js";
import { type DbHandle, type Dialect, migrateToLatest, openDatabase } from "../src/db/connect.js";
import type { Db } from "../src/db/schema.js";
import { DEFAULT_KEY_FORMAT, generateKeys } from "../src/domain/keyFormat.js";
import { storeFile } from "../src/jobs/fileStore.js";
import { JobRunner } from "../src/jobs/runner.js";
import { insertBulk } from "./factories.js";
import type { ChildSpec } from "./fixtures/importChild.js";
import { testConfig } from "./helpers.js";
import { pgUrlFor, templateName, withPgAdmin } from "./pg.js";

/**
 * Helpers of the tests that run servers as real child processes on one database and kill them
 * (keysCrash.test.ts, jobsLease.test.ts) or load keys over several connections (keysConcurrency):
 * the shared database, a stored upload, the importing child (fixtures/importChild.ts), and what a
 * load wrote, counted.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
export const BULK = "CRASH-BULK";

export interface Env {
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
export async function sharedDatabase(dialect: Dialect): Promise<Env> {
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

/** Stores `n` generated keys as an uploaded text file, where the keys.import job looks for it (the file store). */
export async function writeUpload(db: Db, n: number): Promise<{ upload: string; keys: string[] }> {
  const keys = generateKeys(n, DEFAULT_KEY_FORMAT);
  const { id } = await storeFile(db, { kind: "upload", jobId: null, name: "keys.txt" }, [Buffer.from(`${keys.join("\n")}\n`)]);
  return { upload: id, keys };
}

export const uploadStored = async (db: Db, id: string) =>
  (await db.selectFrom("job_files").select("id").where("id", "=", id).where("complete", "=", 1).executeTakeFirst()) !== undefined;

/** The importing server: a child process; `lines` collects what it printed. */
export function startImporter(spec: ChildSpec) {
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
 * seen by any reader.
 */
const VISIBLE = sql`(load_id IS NULL OR NOT EXISTS (SELECT 1 FROM key_loads kl WHERE kl.id = load_id))`;
export async function counts(db: Db, jobId: string) {
  const r = await sql<Record<string, number | string>>`SELECT
      (SELECT count(*) FROM web_register_keys WHERE job_id = ${jobId} AND ${VISIBLE}) AS "ofJob",
      (SELECT count(*) FROM web_register_keys WHERE bulk_id = ${BULK} AND ${VISIBLE}) AS "inBulk",
      (SELECT count(DISTINCT key) FROM web_register_keys WHERE bulk_id = ${BULK} AND ${VISIBLE}) AS "distinct",
      (SELECT key_count FROM entitlements WHERE id = ${BULK}) AS "keyCount",
      (SELECT count(*) FROM entitlement_events WHERE entitlement_id = ${BULK}) AS "events",
      (SELECT count(*) FROM audit_events WHERE object_id = ${BULK} AND action = 'keys.imported') AS "audits"`.execute(db);
  return Object.fromEntries(Object.entries(r.rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
}

export const jobRow = (db: Db, id: string) => db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

/** What counts() finds after a load of `n` keys written once: every key, its counter, one history and one audit event. */
export const loadedOnce = (n: number) => ({ ofJob: n, inBulk: n, distinct: n, keyCount: n, events: 1, audits: 1 });

export type Importer = ReturnType<typeof startImporter>;

/**
 * The set-up of a describe whose tests share a database with other processes: before each test a
 * fresh shared database holding the bulk entitlement BULK; after it, the importers it started that
 * still run are killed, its job runners stopped and the database dropped. `env` is the current
 * test's database (its fields are replaced before each test).
 */
export function eachWithSharedDatabase(dialect: Dialect) {
  const env = {} as Env;
  const importers: Importer[] = [];
  const runners: JobRunner[] = [];
  beforeEach(async () => {
    const fresh = await sharedDatabase(dialect);
    Object.assign(env, fresh, {
      // fresh.reopen() replaces fresh's connections: this view follows it.
      reopen: async () => {
        await fresh.reopen();
        env.handle = fresh.handle;
        env.db = fresh.db;
      },
    });
    await insertBulk(env.db, BULK);
  });
  afterEach(async () => {
    for (const i of importers.splice(0)) {
      if (i.child.exitCode === null && i.child.signalCode === null) {
        i.child.kill("SIGKILL");
        await i.exited;
      }
    }
    for (const r of runners.splice(0)) await r.stop();
    await env.close?.();
  });
  /** What a server in this process would run jobs with, on the shared database. */
  const deps = (config: Partial<Config> = {}) => ({
    db: env.db,
    dialect: env.dialect,
    config: testConfig({ dataDir: env.dataDir, ...config }),
    bulk: env.handle.bulk,
  });
  return {
    env,
    deps,
    /** An importing child on the shared database, into BULK unless told (killed after the test if it still runs). */
    importer(spec: Omit<ChildSpec, keyof Env["where"] | "bulkPk"> & { bulkPk?: string }): Importer {
      const i = startImporter({ ...env.where, bulkPk: BULK, ...spec });
      importers.push(i);
      return i;
    },
    /** A job runner in this process (stopped after the test). */
    runner(config: Partial<Config> = {}): JobRunner {
      const r = new JobRunner(deps(config));
      runners.push(r);
      return r;
    },
  };
}
