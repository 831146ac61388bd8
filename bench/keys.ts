import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import SQLite from "better-sqlite3";
import pg from "pg";
import { canonicalKey } from "../common/src/keyCheck.js";
import { systemContext } from "../server/src/actor.js";
import { type DbHandle, type Dialect, migrateToLatest, openDatabase } from "../server/src/db/connect.js";
import { canonicalKeySql } from "../server/src/db/migrations/0006_key_identity.js";
import { encodeCursor } from "../server/src/db/paging.js";
import { keyCounts, listKeys } from "../server/src/db/repos/keys.js";
import type { Db } from "../server/src/db/schema.js";
import { DEFAULT_KEY_FORMAT, generateKeys } from "../server/src/domain/keyFormat.js";
import { readKeyFile } from "../server/src/keyfiles/readKeyFile.js";
import { generatedKeyBatches } from "../server/src/keys/keyLoad.js";
import { loadKeys } from "../server/src/keys/keyLoader.js";

/**
 * keys.load: a million web register keys into one bulk entitlement.
 *
 * - import: `loadKeys` fed by `readKeyFile(createReadStream(file), "text")`, exactly what the
 *   keys.import job runs, in a child process of its own so its peak RSS is the importer's;
 * - generate: `loadKeys` fed by `generatedKeyBatches(n)` (CSPRNG keys with their check symbol);
 * - baseline: the bare driver inserting the same rows (bulk_id, key, key_canon, 'UNREDEEMED',
 *   created_at, job_id, and on SQLite the staged load's load_id) into the same table with the same
 *   indexes in one transaction, the keys already in memory, each refused if it is an activation ID
 *   (the probe of line_items' canonical index every load must make): a better-sqlite3 prepared
 *   statement in a loop, or on PostgreSQL one `INSERT … SELECT FROM unnest($keys)` per 10,000 keys.
 *
 * Every run (baseline, import, generate, in each round) is its own child process writing into its
 * own fresh copy of one migrated database holding the bulk entitlement, so none inherits another's
 * pages, WAL or dead tuples; the order alternates between rounds. Then, on the imported database
 * with its million keys: the key counts and pages of 100 (first, middle, last by keyset) through
 * the repository functions the API calls, beside the bare SQL.
 *
 * Run alone: `tsx bench/keys.ts`; `npm run bench` runs it after accounts.create.
 */

export interface RunFigures {
  /** The operation itself (the child's clock), including its commit. */
  ms: number;
  keysPerSec: number;
  /** CPU time (user + system) of the child during the operation: less disturbed by other load than wall time. */
  cpuMs: number;
  /** Resident set just before the operation (modules loaded, database open), MB. */
  startRssMb: number;
  /** Peak resident set of the child process over its whole life, MB. */
  peakRssMb: number;
  /** The child process from spawn to exit (start-up, tsx, opening the database). */
  processMs: number;
}

export interface QueryFigures {
  name: string;
  /** Median of QUERY_RUNS through the repository function (Kysely on the server's connection setup). */
  medianMs: number;
  /** Median of QUERY_RUNS of the bare SQL (COUNT_SQL, PAGE_SQL) through a prepared statement on the bare driver. */
  bareMedianMs: number;
  /** The bare query's plan. */
  plan: string;
}

export interface KeysResult {
  database: Dialect;
  n: number;
  rounds: number;
  baseline: RunFigures;
  import: RunFigures;
  generate: RunFigures;
  /** import time ÷ baseline time (target ≤ 1.5), median of the per-round ratios. */
  importRatio: number;
  /** generate time ÷ baseline time (target ≤ 2), median of the per-round ratios. */
  generateRatio: number;
  /**
   * The same ratios in CPU time of the loading process, less disturbed by other work on the machine.
   * SQLite only: on PostgreSQL most of the work is the server's, not in these figures.
   */
  importCpuRatio: number | null;
  generateCpuRatio: number | null;
  queries: QueryFigures[];
  targets: { importRatio: boolean; generateRatio: boolean; importPeakRss: boolean; queries: boolean };
  perRound: {
    order: string[];
    baselineMs: number;
    importMs: number;
    generateMs: number;
    baselineCpuMs: number;
    importCpuMs: number;
    generateCpuMs: number;
    importPeakRssMb: number;
    /** One-minute load average of the machine after the round: other work competing for the CPUs. */
    loadAverage: number;
  }[];
}

export const TARGETS = { importRatio: 1.5, generateRatio: 2, importPeakRssMb: 300, queryMs: 20 };
const QUERY_RUNS = 50;
const BULK_PK = "BENCH-BULK";
const JOB_TAG = "bench-job";
const BATCH = 10_000;
const here = fileURLToPath(import.meta.url);
const repoRoot = path.resolve(path.dirname(here), "..");

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const round1 = (x: number) => Math.round(x * 10) / 10;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Writes `n` generated keys, one per line, to `file` (the import's input). */
export function writeKeyFile(file: string, n: number) {
  const fd = fs.openSync(file, "w");
  try {
    for (let done = 0; done < n; done += BATCH) {
      const keys = generateKeys(Math.min(BATCH, n - done), DEFAULT_KEY_FORMAT);
      fs.writeSync(fd, `${keys.join("\n")}\n`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The bulk entitlement the keys load into, inserted directly: only its own row matters to a load. */
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
      description: "bench/keys.ts",
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

// ---------------------------------------------------------------------------------------------
// Child processes: one run each.

type Mode = "baseline" | "import" | "generate";

interface ChildSpec {
  mode: Mode;
  dialect: Dialect;
  /** SQLite file path or PostgreSQL URL. */
  location: string;
  file: string;
  n: number;
}

interface ChildOut {
  ms: number;
  cpuMs: number;
  loaded: number;
  startRssKb: number;
  maxRssKb: number;
}

/** Clocks an operation: wall and CPU time, resident set before it and the process's peak. */
async function clocked(op: () => Promise<number> | number): Promise<ChildOut> {
  const startRssKb = Math.round(process.memoryUsage().rss / 1024);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const loaded = await op();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, loaded, startRssKb, maxRssKb: process.resourceUsage().maxRSS };
}

function readKeysIntoMemory(file: string): string[] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((k) => k.length > 0);
}

async function childMain(spec: ChildSpec): Promise<ChildOut> {
  const now = new Date().toISOString();
  if (spec.mode === "baseline") {
    const keys = readKeysIntoMemory(spec.file);
    // The same row as a load writes, identity included (migration 0006), worked out before the clock.
    const canons = keys.map((k) => canonicalKey(k));
    if (spec.dialect === "sqlite") {
      const db = new SQLite(spec.location);
      // The server's pragmas (server/src/db/connect.ts).
      db.pragma("journal_mode = WAL");
      db.pragma("foreign_keys = ON");
      db.pragma("busy_timeout = 15000");
      db.pragma("synchronous = NORMAL");
      // The row a staged load writes (its load_id, 36 characters like Licensor's ids), and the
      // activation-ID check every load must make, as one statement: the floor does the work the
      // product must do, in the fewest calls into the driver.
      const loadId = crypto.randomUUID();
      const insert = db.prepare(
        `INSERT INTO web_register_keys (bulk_id, key, key_canon, status, created_at, job_id, load_id)
         SELECT ?, ?, ?, 'UNREDEEMED', ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM line_items WHERE ${canonicalKeySql(false, "activation_id")} = ?)`,
      );
      const out = await clocked(() => {
        db.transaction(() => {
          for (let i = 0; i < keys.length; i++) insert.run(BULK_PK, keys[i], canons[i], now, JOB_TAG, loadId, canons[i]);
        })();
        return keys.length;
      });
      db.close();
      return out;
    }
    const c = new pg.Client({ connectionString: spec.location });
    await c.connect();
    const text = `INSERT INTO web_register_keys (bulk_id, key, key_canon, status, created_at, job_id) SELECT $1, k, c, 'UNREDEEMED', $2, $3 FROM unnest($4::text[], $5::text[]) AS t(k, c)
       WHERE NOT EXISTS (SELECT 1 FROM line_items WHERE ${canonicalKeySql(true, "activation_id")} = c)`;
    const out = await clocked(async () => {
      await c.query("BEGIN");
      for (let i = 0; i < keys.length; i += BATCH) {
        await c.query({
          name: "bench_keys",
          text,
          values: [BULK_PK, now, JOB_TAG, keys.slice(i, i + BATCH), canons.slice(i, i + BATCH)],
        });
      }
      await c.query("COMMIT");
      return keys.length;
    });
    await c.end();
    return out;
  }
  const handle =
    spec.dialect === "sqlite"
      ? openDatabase({ dataDir: path.dirname(spec.location), sqliteFile: path.basename(spec.location) })
      : openDatabase({ databaseUrl: spec.location, dataDir: "." });
  const conn = handle.bulk();
  try {
    return await clocked(async () => {
      const report = await loadKeys(conn, spec.dialect, {
        ctx: systemContext("bench"),
        bulkPk: BULK_PK,
        batches:
          spec.mode === "import" ? readKeyFile(fs.createReadStream(spec.file), "text", BATCH) : generatedKeyBatches(spec.n),
        mode: "all",
        jobId: JOB_TAG,
        verb: spec.mode === "import" ? "imported" : "generated",
      });
      if (report.status !== "SUCCESS") throw new Error(`load ${report.status}: ${JSON.stringify(report.badLines.slice(0, 3))}`);
      return report.loaded;
    });
  } finally {
    await conn.release();
    await handle.close();
  }
}

/** Runs one child and returns its figures; BENCH_KEYS_PROF=<dir> writes a CPU profile of it there. */
function runChild(spec: ChildSpec): Promise<RunFigures> {
  const prof = process.env.BENCH_KEYS_PROF;
  const args = [
    ...(prof
      ? ["--cpu-prof", "--cpu-prof-dir", prof, "--cpu-prof-name", `${spec.dialect}-${spec.mode}-${Date.now()}.cpuprofile`]
      : []),
    "--import",
    "tsx",
    here,
    "--child",
    JSON.stringify(spec),
  ];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const processMs = performance.now() - started;
      const last = out.trim().split("\n").pop() ?? "";
      if (code !== 0) return reject(new Error(`${spec.mode} child on ${spec.dialect} exited ${code}: ${err || out}`));
      try {
        const r = JSON.parse(last) as ChildOut;
        if (r.loaded !== spec.n) return reject(new Error(`${spec.mode} loaded ${r.loaded} keys, expected ${spec.n}`));
        resolve({
          ms: Math.round(r.ms),
          keysPerSec: Math.round((spec.n * 1000) / r.ms),
          cpuMs: Math.round(r.cpuMs),
          startRssMb: round1(r.startRssKb / 1024),
          peakRssMb: round1(r.maxRssKb / 1024),
          processMs: Math.round(processMs),
        });
      } catch {
        reject(new Error(`${spec.mode} child printed no result: ${out}${err}`));
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The rounds and the queries, per database.

interface Target {
  dialect: Dialect;
  /** A fresh database (copy of the migrated template with the bulk entitlement); returns its location. */
  fresh(name: string): Promise<string>;
  drop(location: string): Promise<void>;
}

async function rounds(target: Target, file: string, n: number, count: number) {
  const per: KeysResult["perRound"] = [];
  const all: Record<Mode, RunFigures[]> = { baseline: [], import: [], generate: [] };
  let kept = "";
  for (let r = 0; r < count; r++) {
    // Alternate the order so neither side always runs first or last.
    const order: Mode[] = r % 2 === 0 ? ["baseline", "import", "generate"] : ["generate", "import", "baseline"];
    const got = {} as Record<Mode, RunFigures>;
    for (const mode of order) {
      const location = await target.fresh(`r${r}-${mode}`);
      got[mode] = await runChild({ mode, dialect: target.dialect, location, file, n });
      all[mode].push(got[mode]);
      // The first round's imported database stays for the queries.
      if (mode === "import" && r === 0) kept = location;
      else await target.drop(location);
    }
    per.push({
      order,
      baselineMs: got.baseline.ms,
      importMs: got.import.ms,
      generateMs: got.generate.ms,
      baselineCpuMs: got.baseline.cpuMs,
      importCpuMs: got.import.cpuMs,
      generateCpuMs: got.generate.cpuMs,
      importPeakRssMb: got.import.peakRssMb,
      loadAverage: round1(os.loadavg()[0] as number),
    });
    process.stderr.write(
      `  ${target.dialect} round ${r + 1}/${count}: baseline ${got.baseline.ms} ms, import ${got.import.ms} ms (peak RSS ${got.import.peakRssMb} MB), generate ${got.generate.ms} ms; load average ${os.loadavg()[0]?.toFixed(1)}\n`,
    );
  }
  const med = (xs: RunFigures[]): RunFigures => ({
    ms: Math.round(median(xs.map((x) => x.ms))),
    keysPerSec: Math.round(median(xs.map((x) => x.keysPerSec))),
    cpuMs: Math.round(median(xs.map((x) => x.cpuMs))),
    startRssMb: Math.max(...xs.map((x) => x.startRssMb)),
    // The worst round, not the median: the limit is on the peak.
    peakRssMb: Math.max(...xs.map((x) => x.peakRssMb)),
    processMs: Math.round(median(xs.map((x) => x.processMs))),
  });
  // Each round's ratio pairs runs made next to each other in time; the median of those is the figure.
  const ratio = (f: (p: (typeof per)[number]) => number) => round3(median(per.map(f)));
  return {
    baseline: med(all.baseline),
    import: med(all.import),
    generate: med(all.generate),
    importRatio: ratio((p) => p.importMs / p.baselineMs),
    generateRatio: ratio((p) => p.generateMs / p.baselineMs),
    importCpuRatio: target.dialect === "sqlite" ? ratio((p) => p.importCpuMs / p.baselineCpuMs) : null,
    generateCpuRatio: target.dialect === "sqlite" ? ratio((p) => p.generateCpuMs / p.baselineCpuMs) : null,
    perRound: per,
    kept,
  };
}

interface QueryCase {
  name: string;
  repo: () => Promise<unknown>;
  bare: () => Promise<unknown> | unknown;
  /** The bare query's plan, one line. */
  plan: () => Promise<string> | string;
}

/** Alternates the repository call and the bare query, QUERY_RUNS each after a warm-up, and keeps the medians. */
async function timeQueries(cases: QueryCase[]): Promise<QueryFigures[]> {
  const out: QueryFigures[] = [];
  for (const c of cases) {
    for (let i = 0; i < 5; i++) {
      await c.repo();
      await c.bare();
    }
    const repo: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < QUERY_RUNS; i++) {
      let t = performance.now();
      await c.repo();
      repo.push(performance.now() - t);
      t = performance.now();
      await c.bare();
      bare.push(performance.now() - t);
    }
    out.push({ name: c.name, medianMs: round3(median(repo)), bareMedianMs: round3(median(bare)), plan: await c.plan() });
  }
  return out;
}

export const COUNT_SQL = "SELECT count(*) AS n FROM web_register_keys WHERE bulk_id = ?";
export const PAGE_SQL = "SELECT * FROM web_register_keys WHERE bulk_id = ? AND id > ? ORDER BY id LIMIT 100";

interface BareQueries {
  count: () => Promise<unknown> | unknown;
  page: (after: number) => Promise<unknown> | unknown;
  plan: (sql: string, params: (string | number)[]) => Promise<string> | string;
}

/** The count and the pages: the first, after the ~n/2-th key, and the last 100 keys. */
function queryCases(handle: DbHandle, n: number, ids: { middle: number; last: number }, bare: BareQueries): QueryCase[] {
  const page = (cursor?: string) => async () => {
    const p = await listKeys(handle.db, BULK_PK, {}, { limit: 100, ...(cursor ? { cursor } : {}) });
    if (p.items.length !== 100) throw new Error(`page of ${p.items.length}`);
    return p;
  };
  const checkCount = async () => {
    const c = await keyCounts(handle.db, BULK_PK);
    if (c?.total !== n) throw new Error(`keyCounts says ${c?.total}, expected ${n}`);
  };
  const pageCase = (name: string, after: number): QueryCase => ({
    name,
    repo: page(after ? encodeCursor([after]) : undefined),
    bare: () => bare.page(after),
    plan: () => bare.plan(PAGE_SQL, [BULK_PK, after]),
  });
  return [
    { name: "count", repo: checkCount, bare: bare.count, plan: () => bare.plan(COUNT_SQL, [BULK_PK]) },
    pageCase("first page", 0),
    pageCase("middle page", ids.middle),
    pageCase("last page", ids.last),
  ];
}

function assemble(
  database: Dialect,
  n: number,
  count: number,
  r: Awaited<ReturnType<typeof rounds>>,
  queries: QueryFigures[],
): KeysResult {
  const { kept: _kept, ...figures } = r;
  return {
    database,
    n,
    rounds: count,
    ...figures,
    queries,
    targets: {
      importRatio: r.importRatio <= TARGETS.importRatio,
      generateRatio: r.generateRatio <= TARGETS.generateRatio,
      importPeakRss: r.import.peakRssMb <= TARGETS.importPeakRssMb,
      queries: queries.every((x) => x.medianMs <= TARGETS.queryMs),
    },
  };
}

/** SQLite files in a temp directory: a migrated template copied fresh for every run. */
export async function benchKeysSqlite(n: number, count: number, file: string): Promise<KeysResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "licensor-bench-keys-"));
  try {
    const template = path.join(dir, "template.sqlite");
    const t = openDatabase({ dataDir: dir, sqliteFile: "template.sqlite" });
    await migrateToLatest(t.db);
    await insertBulk(t.db, BULK_PK);
    await t.close(); // the last connection closing checkpoints and removes the WAL
    const target: Target = {
      dialect: "sqlite",
      fresh: async (name) => {
        const f = path.join(dir, `${name}.sqlite`);
        fs.copyFileSync(template, f);
        return f;
      },
      drop: async (f) => {
        for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(f + suffix, { force: true });
      },
    };
    const r = await rounds(target, file, n, count);

    // The server's own connection setup for the repository functions; a bare one beside it.
    const handle = openDatabase({ dataDir: dir, sqliteFile: path.basename(r.kept) });
    const raw = new SQLite(r.kept, { readonly: true });
    try {
      const idAt = raw.prepare("SELECT id FROM web_register_keys WHERE bulk_id = ? ORDER BY id LIMIT 1 OFFSET ?").pluck();
      const ids = { middle: idAt.get(BULK_PK, Math.floor(n / 2) - 1) as number, last: idAt.get(BULK_PK, n - 101) as number };
      const countStmt = raw.prepare(COUNT_SQL).pluck();
      const pageStmt = raw.prepare(PAGE_SQL);
      const queries = await timeQueries(
        queryCases(handle, n, ids, {
          count: () => countStmt.get(BULK_PK),
          page: (after) => pageStmt.all(BULK_PK, after),
          plan: (sql, params) =>
            (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((x) => x.detail).join("; "),
        }),
      );
      return assemble("sqlite", n, count, r, queries);
    } finally {
      raw.close();
      await handle.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Throwaway databases on the server named by `adminUrl`: a migrated template cloned for every run, all dropped after. */
export async function benchKeysPostgres(n: number, count: number, file: string, adminUrl: string): Promise<KeysResult> {
  const tag = crypto.randomBytes(4).toString("hex");
  const tpl = `licensor_bench_${tag}_keys_tpl`;
  const urlFor = (db: string) => {
    const u = new URL(adminUrl);
    u.pathname = `/${db}`;
    return u.toString();
  };
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const created = new Set<string>();
  try {
    await admin.query(`CREATE DATABASE ${tpl}`);
    created.add(tpl);
    const t = openDatabase({ databaseUrl: urlFor(tpl), dataDir: "." });
    await migrateToLatest(t.db);
    await insertBulk(t.db, BULK_PK);
    await t.close();
    await waitForNoConnections(admin, tpl);
    const target: Target = {
      dialect: "postgres",
      fresh: async (name) => {
        const db = `licensor_bench_${tag}_keys_${name.replace(/[^a-z0-9]/g, "_")}`;
        await admin.query(`CREATE DATABASE ${db} TEMPLATE ${tpl}`);
        created.add(db);
        return urlFor(db);
      },
      drop: async (url) => {
        const db = new URL(url).pathname.slice(1);
        await dropWhenFree(admin, db);
        created.delete(db);
      },
    };
    const r = await rounds(target, file, n, count);

    const c = new pg.Client({ connectionString: r.kept });
    await c.connect();
    // A million fresh rows: what autovacuum does shortly after such a load, done now so the
    // planner has statistics and the visibility map is set (index-only scans for the bare count).
    await c.query("VACUUM ANALYZE web_register_keys");
    const handle = openDatabase({ databaseUrl: r.kept, dataDir: ".", poolSize: 2 });
    try {
      const idAt = "SELECT id FROM web_register_keys WHERE bulk_id = $1 ORDER BY id LIMIT 1 OFFSET $2";
      const middle = Number((await c.query(idAt, [BULK_PK, Math.floor(n / 2) - 1])).rows[0].id);
      const last = Number((await c.query(idAt, [BULK_PK, n - 101])).rows[0].id);
      const pgSql = (s: string) => {
        let i = 0;
        return s.replace(/\?/g, () => `$${++i}`);
      };
      const queries = await timeQueries(
        queryCases(
          handle,
          n,
          { middle, last },
          {
            // Named statements: prepared once, like better-sqlite3's.
            count: async () => (await c.query({ name: "count", text: pgSql(COUNT_SQL), values: [BULK_PK] })).rows,
            page: async (after) => (await c.query({ name: "page", text: pgSql(PAGE_SQL), values: [BULK_PK, after] })).rows,
            plan: async (sql, params) =>
              (await c.query<{ "QUERY PLAN": string }>(`EXPLAIN (COSTS OFF) ${pgSql(sql)}`, params)).rows
                .map((x) => x["QUERY PLAN"].trim())
                .join("; "),
          },
        ),
      );
      return assemble("postgres", n, count, r, queries);
    } finally {
      await c.end();
      await handle.close();
    }
  } finally {
    for (const db of created) await dropWhenFree(admin, db);
    await admin.end();
  }
}

/** CREATE DATABASE … TEMPLATE refuses a template with connections; pg-pool's end() returns before they close. */
async function waitForNoConnections(admin: pg.Client, db: string) {
  for (let i = 0; i < 100; i++) {
    const { rows } = await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [db]);
    if (rows[0]?.n === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** As in bench/accounts.ts: wait for the connections to go rather than force them, force as a last resort. */
async function dropWhenFree(admin: pg.Client, name: string) {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== "55006") throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

// ---------------------------------------------------------------------------------------------
// Reporting and the entry point.

const fmt = (x: number) => x.toLocaleString("en-US").replace(/,/g, " ");
const mark = (ok: boolean) => (ok ? "ok" : "MISSED");

export function reportKeys(r: KeysResult) {
  console.log(
    `keys.load on ${r.database}: ${fmt(r.n)} keys into one bulk entitlement in one transaction, median of ${r.rounds} round${r.rounds === 1 ? "" : "s"}`,
  );
  console.log(`  ${"".padEnd(30)} ${"keys/s".padStart(9)} ${"wall".padStart(10)} ${"CPU".padStart(10)}  peak RSS (before)`);
  const line = (label: string, f: RunFigures, extra = "") =>
    console.log(
      `  ${label.padEnd(30)} ${fmt(f.keysPerSec).padStart(9)} ${fmt(f.ms).padStart(7)} ms ${fmt(f.cpuMs).padStart(7)} ms  ${f.peakRssMb} MB (${f.startRssMb} MB)${extra}`,
    );
  line("bare insert baseline", r.baseline);
  const cpu = (x: number | null) => (x === null ? "" : `, ${x.toFixed(3)} CPU`);
  line("import: text file → loadKeys", r.import);
  line("generate: loadKeys", r.generate);
  console.log(
    `  import/baseline   ${r.importRatio.toFixed(3)} wall${cpu(r.importCpuRatio)}  (≤ ${TARGETS.importRatio}: ${mark(r.targets.importRatio)}); import peak RSS ≤ ${TARGETS.importPeakRssMb} MB: ${mark(r.targets.importPeakRss)}`,
  );
  console.log(
    `  generate/baseline ${r.generateRatio.toFixed(3)} wall${cpu(r.generateCpuRatio)}  (≤ ${TARGETS.generateRatio}: ${mark(r.targets.generateRatio)})`,
  );
  const table = (title: string, qs: QueryFigures[]) => {
    console.log(title);
    console.log(`    ${"query".padEnd(12)} ${"Licensor".padStart(10)} ${"bare SQL".padStart(10)}  bare plan`);
    for (const q of qs)
      console.log(
        `    ${q.name.padEnd(12)} ${q.medianMs.toFixed(3).padStart(7)} ms ${q.bareMedianMs.toFixed(3).padStart(7)} ms  ${q.plan}`,
      );
  };
  table(
    `  with ${fmt(r.n)} keys loaded, medians of ${QUERY_RUNS} runs (≤ ${TARGETS.queryMs} ms: ${mark(r.targets.queries)}):`,
    r.queries,
  );
}

export interface KeysOptions {
  n: number;
  /** Rounds on SQLite and on PostgreSQL (default 2 each: the order of the runs alternates). */
  rounds: { sqlite: number; postgres: number };
  pgUrl: string;
  databases: Dialect[];
}

/** Both databases (PostgreSQL when `pgUrl` is a postgres:// URL); prints as it goes. */
export async function benchKeys(opts: KeysOptions): Promise<{ results: KeysResult[]; skipped: Record<string, string> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "licensor-bench-keyfile-"));
  const file = path.join(dir, "keys.txt");
  const results: KeysResult[] = [];
  const skipped: Record<string, string> = {};
  try {
    writeKeyFile(file, opts.n);
    if (opts.databases.includes("sqlite")) {
      results.push(await benchKeysSqlite(opts.n, opts.rounds.sqlite, file));
      reportKeys(results[results.length - 1] as KeysResult);
    } else skipped.sqlite = "left out by BENCH_KEYS_DATABASES";
    if (!opts.databases.includes("postgres")) skipped.postgres = "left out by BENCH_KEYS_DATABASES";
    else if (/^postgres(ql)?:\/\//.test(opts.pgUrl)) {
      results.push(await benchKeysPostgres(opts.n, opts.rounds.postgres, file, opts.pgUrl));
      reportKeys(results[results.length - 1] as KeysResult);
    } else {
      skipped.postgres = "set LICENSOR_TEST_PG_URL (or DATABASE_URL) to a postgres:// URL to include PostgreSQL";
      console.log(`keys.load on postgres: skipped (${skipped.postgres})`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { results, skipped };
}

const intEnv = (name: string, dflt: number) => Number.parseInt(process.env[name] ?? String(dflt), 10);

/** BENCH_KEYS_N (default 1,000,000), BENCH_KEYS_ROUNDS (SQLite, 2), BENCH_KEYS_PG_ROUNDS (2), BENCH_KEYS_DATABASES. */
export const keysOptionsFromEnv = (): KeysOptions => ({
  n: intEnv("BENCH_KEYS_N", 1_000_000),
  rounds: { sqlite: intEnv("BENCH_KEYS_ROUNDS", 2), postgres: intEnv("BENCH_KEYS_PG_ROUNDS", 2) },
  pgUrl: process.env.LICENSOR_TEST_PG_URL || process.env.DATABASE_URL || "",
  databases: (process.env.BENCH_KEYS_DATABASES ?? "sqlite,postgres").split(",") as Dialect[],
});

/** The summary object `npm run bench` and a lone run print last. */
export function keysSummary(opts: KeysOptions, results: KeysResult[], skipped: Record<string, string>) {
  return {
    benchmark: "keys.load",
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    n: opts.n,
    rounds: opts.rounds,
    targets: TARGETS,
    results,
    skipped,
  };
}

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === here;
if (isMain && process.argv[2] === "--child") {
  const out = await childMain(JSON.parse(process.argv[3] as string) as ChildSpec);
  console.log(JSON.stringify(out));
} else if (isMain) {
  const opts = keysOptionsFromEnv();
  const { results, skipped } = await benchKeys(opts);
  console.log(JSON.stringify(keysSummary(opts, results, skipped)));
}
