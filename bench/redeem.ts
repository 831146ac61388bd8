import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import SQLite from "better-sqlite3";
import pg from "pg";
import { Pool } from "undici";
import { ROOT, type RunningServer, startServer, tempDir } from "../e2e/harness.js";
import {
  adminQuery,
  benchCatalog,
  benchServerOptions,
  copyDatabaseForFloor,
  pct,
  postRedemption,
  serverPoolSize,
  withDatabase,
} from "./setup.js";

/**
 * Redemption over HTTP on loopback against the real built server, beside the floor measured in
 * the same run: a bare `node:http` server doing the same database work per redemption through the
 * bare driver, on a copy of the same database (bench/redeemFloor.ts). Licensor's figure is its
 * redemptions per second as a ratio to the floor's (target ≥ 0.75), then its latency at half its
 * peak rate (paced, open loop; target p99 < 10 ms on SQLite, < 25 ms on PostgreSQL). The same
 * server's GET /api/health throughput is kept beside them, as before.
 *
 * Both servers redeem the same keys, each in its own copy of the database, in alternating
 * segments so that a change in the machine's load falls on both; after the run the rows both
 * wrote are counted table by table and one key's rows compared column by column (all but IDs,
 * times and request IDs), and any difference fails the run.
 *
 * The load comes from undici's Pool over kept-alive connections, not fetch(): fetch costs the
 * client about three times what health costs the server, so with it the baseline measured the
 * client (1,390 req/s against 4,140 with the pool and 4,320 with wrk, same machine and minute).
 */
export interface Redemptions {
  /** Closed loop at the benchmark's concurrency. */
  rps: number;
  /**
   * CPU time of the server's process (all its threads, user + system) per redemption at peak, in
   * µs; null where /proc is not there. The database backends of PostgreSQL are not in it. On a
   * machine shared with other work this moves much less than the rates do.
   */
  cpuUsPerRedemption: number | null;
  /**
   * CPU time of the PostgreSQL backends serving this server's database per redemption at peak, in
   * µs (a local server's backends, from /proc); null on SQLite or where they cannot be read. With
   * the server's own figure, what a redemption costs the machine.
   */
  dbCpuUsPerRedemption: number | null;
  /** The load generator's own CPU per redemption at peak, in µs (it parses each answer's headers and body). */
  clientCpuUsPerRedemption: number;
  /**
   * Share of the peak's wall time the server's main thread was ready to run but waiting for a CPU
   * (Linux schedstat; null elsewhere). Above a few percent the machine was too busy for the rates
   * to say much: they measured the scheduler's share as much as the code.
   */
  mainThreadWaitingForCpu: number | null;
  peak: { p50Ms: number; p99Ms: number };
  /** Paced at half this server's own peak rate. */
  halfRate: { rps: number; p50Ms: number; p99Ms: number; errors: number };
}

export interface RedeemResult {
  database: "sqlite" | "postgres";
  concurrency: number;
  /** Redemptions at peak per server (the same keys on each). */
  keys: number;
  /** Licensor's GET /api/health in the same run (the earlier baseline, kept for comparison). */
  healthRps: number;
  /** Licensor's redemptions. */
  licensor: Redemptions;
  /** The bare node:http server with the bare driver (bench/redeemFloor.ts). */
  floor: Redemptions;
  /** Licensor's peak redemptions per second over the floor's (target ≥ 0.75). */
  ratioToFloor: number;
  /** The floor's CPU per redemption over Licensor's (1 would be no overhead at all). */
  cpuRatioToFloor: number | null;
  /** Licensor's peak redemptions over its health requests per second. */
  ratioToHealth: number;
  targets: { ratioToFloor: number; halfRateP99Ms: number; met: boolean };
  /** Rows in each table after the run, the same on both sides (checked). */
  rows: Record<string, number>;
  /** The guard the server keeps, as the floor mirrors it: `count`, or `reserve` (miss places taken and given back). */
  guard: string;
}

/** Rows a redemption touches, counted in each database after the run (both must agree). */
const ROW_COUNTS: Record<string, string> = {
  entitlements: "SELECT count(*) AS n FROM entitlements",
  entitlement_partners: "SELECT count(*) AS n FROM entitlement_partners",
  line_items: "SELECT count(*) AS n FROM line_items",
  line_item_products: "SELECT count(*) AS n FROM line_item_products",
  entitlement_events: "SELECT count(*) AS n FROM entitlement_events",
  audit_events: "SELECT count(*) AS n FROM audit_events",
  events: "SELECT count(*) AS n FROM events",
  redeemed_keys: "SELECT count(*) AS n FROM web_register_keys WHERE status = 'REDEEMED'",
  redeemed_counter: "SELECT coalesce(sum(redeemed), 0) AS n FROM key_redemption_counts",
  rate_counted: "SELECT coalesce(sum(count), 0) AS n FROM rate_counters",
};

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
/** Statuses of failed requests in this process, named in the error that stops a run. */
const failed: number[] = [];
const failedStatuses = () => [...new Set(failed)].join(", ");

async function closedLoop(n: number, concurrency: number, one: (i: number) => Promise<number>) {
  const lat: number[] = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) {
        const s = performance.now();
        const status = await one(i);
        lat.push(performance.now() - s);
        if (status >= 400) {
          errors++;
          failed.push(status);
        }
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  return { rps: n / secs, lat, errors };
}

async function openLoop(n: number, rate: number, one: (i: number) => Promise<number>) {
  const lat: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      (async () => {
        const s = performance.now();
        const status = await one(i);
        lat.push(performance.now() - s);
        if (status >= 400) {
          errors++;
          failed.push(status);
        }
      })(),
    );
  }
  await Promise.all(pending);
  return { rps: n / ((performance.now() - t0) / 1000), lat, errors };
}

/** The floor server (bench/redeemFloor.ts) as a child process, like Licensor's. */
export async function startFloor(
  database: string,
  poolSize: number,
  guard: string,
): Promise<{ url: string; pid: number | null; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      // e.g. BENCH_FLOOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the floor under load.
      ...(process.env.BENCH_FLOOR_NODE_ARGS?.split(" ").filter(Boolean) ?? []),
      "--import",
      "tsx",
      path.join(ROOT, "bench/redeemFloor.ts"),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, FLOOR_DATABASE: database, FLOOR_POOL_SIZE: String(poolSize), FLOOR_GUARD: guard },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the floor server did not start:\n${out}`)), 30_000);
    child.stdout?.on("data", (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr?.on("data", (d) => {
      out += d;
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the floor server exited with code ${code}:\n${out}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? null,
    stop: async () => {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(killer);
      if (/Error/.test(out) || process.env.BENCH_FLOOR_DEBUG) console.error(`floor server output:\n${out}`);
    },
  };
}

/** The process listening on a loopback port (Linux `ss`); null when it cannot be told. */
function pidOfPort(port: number): number | null {
  try {
    const out = execFileSync("ss", ["-Hltnp", `sport = :${port}`], { encoding: "utf8" });
    const m = /pid=(\d+)/.exec(out);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Nanoseconds the process's main thread has waited on a run queue so far (schedstat's second field). */
function runQueueWaitNs(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    return Number(fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").split(" ")[1]);
  } catch {
    return null;
  }
}

/** CPU seconds a process has used so far (user + system, all threads), from /proc; null elsewhere. */
function cpuSeconds(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of proc(5), in clock ticks (100 a second on Linux).
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * CPU seconds used so far by each PostgreSQL backend connected to `database` (pid to seconds), when
 * the server runs on this machine; null otherwise. A backend that ends between two readings takes
 * its time with it, so pools are warmed before anything is measured.
 */
async function backendCpuSeconds(admin: pg.Client | null, database: string): Promise<Map<number, number> | null> {
  if (!admin) return null;
  const { rows } = await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1", [database]);
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    const cpu = cpuSeconds(pid);
    if (cpu === null) return null;
    out.set(pid, cpu);
  }
  return out;
}

/** CPU seconds the backends used between two readings (a backend that started since counts from 0). */
function backendCpuDelta(before: Map<number, number> | null, after: Map<number, number> | null): number | null {
  if (!before || !after) return null;
  let sum = 0;
  for (const [pid, cpu] of after) sum += cpu - (before.get(pid) ?? 0);
  return sum;
}

/** Which redemption guard the server keeps (FLOOR_GUARD in redeemFloor.ts): "reserve" once a success left miss counters. */
export async function floorGuard(database: "sqlite" | "postgres", where: string): Promise<"reserve" | "count"> {
  return readDatabase(database, where, async (q) =>
    Number((await q("SELECT count(*) AS n FROM rate_counters WHERE bucket LIKE 'miss:%'"))[0]?.n) > 0 ? "reserve" : "count",
  );
}

type Query = (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/** Runs `read` against one of the benchmark's databases (`$n` parameters on both). */
export async function readDatabase<T>(
  database: "sqlite" | "postgres",
  where: string,
  read: (q: Query) => Promise<T>,
): Promise<T> {
  if (database === "sqlite") {
    const db = new SQLite(where, { readonly: true });
    try {
      return await read(
        async (text, params = []) => db.prepare(text.replace(/\$\d+/g, "?")).all(...params) as Record<string, unknown>[],
      );
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: where });
  await c.connect();
  try {
    return await read(async (text, params = []) => (await c.query(text, params)).rows);
  } finally {
    await c.end();
  }
}

async function countRows(q: Query): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [name, text] of Object.entries(ROW_COUNTS)) counts[name] = Number((await q(text))[0]?.n);
  return counts;
}

/**
 * What one redemption wrote, without the values that differ by design (generated IDs, times,
 * request IDs): the two databases must hold the same for the same key.
 */
async function rowsOfKey(q: Query, key: string): Promise<Record<string, unknown>> {
  const ent = `SELECT id FROM entitlements WHERE entitlement_id = $1`;
  const strip = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r)).sort();
  return {
    key: strip(
      await q("SELECT status, redeemed_by, redeemed_by_label, sold_to, owner FROM web_register_keys WHERE key = $1", [key]),
    ),
    entitlement: strip(
      await q(
        `SELECT entitlement_id, id_generated, kind, state, description, ship_to_email, ship_to_address, order_id,
           order_line_number, allow_portal_login, custom_attributes, parent_bulk_id, created_by, created_by_label, updated_by
         FROM entitlements WHERE entitlement_id = $1`,
        [`${key}ENT`],
      ),
    ),
    partners: strip(
      await q(
        `SELECT tier, account_id, contact_user_id, current_owner FROM entitlement_partners WHERE entitlement_id = (${ent})`,
        [`${key}ENT`],
      ),
    ),
    lineItem: strip(
      await q(
        `SELECT role, position, activation_id, id_generated, state, part_number_id, license_model_id, alt_license_model1_id,
           alt_license_model2_id, license_model_attributes, start_date_option, start_date, is_permanent, term_count, term_unit,
           expiration_date, version_date_option, version_date, number_of_copies, fulfilled_count, line_item_type,
           parent_line_item_id, order_id, order_line_number, description
         FROM line_items WHERE activation_id = $1`,
        [key],
      ),
    ),
    products: strip(
      await q(
        "SELECT p.product_id, p.quantity, p.position FROM line_item_products p JOIN line_items l ON l.id = p.line_item_id WHERE l.activation_id = $1",
        [key],
      ),
    ),
    history: strip(
      await q(`SELECT event, user_id, user_label, description FROM entitlement_events WHERE entitlement_id = (${ent})`, [
        `${key}ENT`,
      ]),
    ),
    audit: strip(
      await q(
        `SELECT actor_type, actor_id, actor_label, token_id, action, object_type, ip FROM audit_events WHERE object_id = (${ent})`,
        [`${key}ENT`],
      ),
    ),
  };
}

export interface RedeemOptions {
  keys: number;
  concurrency: number;
  /** Peak segments per server, alternated (Licensor, floor, Licensor, floor…). */
  segments?: number;
  /** Redemptions on each server before measuring (JIT, statement caches, connections). */
  warmup?: number;
  env?: Record<string, string>;
}

export async function benchRedeem(
  database: "sqlite" | "postgres",
  pgUrl: string,
  // bench/run.ts passes none: BENCH_REDEEM_KEYS and BENCH_REDEEM_CONCURRENCY size the run there too.
  opts: RedeemOptions = redeemOptionsFromEnv(),
): Promise<RedeemResult> {
  const segments = opts.segments ?? 4;
  const warmup = opts.warmup ?? 500;
  const suffix = crypto.randomBytes(4).toString("hex");
  const dbName = `licensor_bench_redeem_${suffix}`;
  const floorDbName = `licensor_bench_floor_${suffix}`;
  const dataDir = tempDir("licensor-bench-redeem-");
  const floorDir = tempDir("licensor-bench-floor-");
  const env: Record<string, string> = {
    LICENSOR_REDEEM_IP_PER_MINUTE: "100000000",
    LICENSOR_REDEEM_ACCOUNT_PER_MINUTE: "100000000",
    LICENSOR_REDEEM_MISSES_BEFORE_LOCK: "100000000",
    LOG_LEVEL: "warn",
    ...opts.env,
  };
  if (database === "postgres") {
    await adminQuery(pgUrl, `CREATE DATABASE ${dbName}`);
    env.DATABASE_URL = withDatabase(pgUrl, dbName);
  }
  // Licensor's default (config.ts), unless the run sets it: the floor gets the same pool.
  const poolSize = serverPoolSize(env);
  const serverOptions = benchServerOptions(env, dataDir);
  let server: RunningServer | null = null;
  let floor: Awaited<ReturnType<typeof startFloor>> | null = null;
  /** Reads which backends serve which database, for their CPU time (PostgreSQL only). */
  let admin: pg.Client | null = null;
  const pools: Pool[] = [];
  try {
    server = await startServer(serverOptions);
    const base = server.url;
    const { headers, newBulk, generateKeys } = await benchCatalog(base);
    const bulk = await newBulk();
    // One key more than measured: the probe below.
    const keys = await generateKeys(bulk.id, warmup + opts.keys + Math.ceil(opts.keys / 2) + 1);
    // One redemption before the copy tells which guard the server keeps (see FLOOR_GUARD in
    // redeemFloor.ts); both databases then hold it.
    const probe = keys.pop() as string;
    const probed = await fetch(`${base}/api/v1/redemptions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ key: probe, soldTo: "CUST" }),
    });
    if (probed.status !== 201) throw new Error(`the probe redemption failed: ${probed.status} ${await probed.text()}`);

    // The floor's database: a copy of this one taken with the server stopped (same schema,
    // indexes, catalog, token and keys); then Licensor starts again on its own.
    await server.stop();
    server = null;
    const licWhere = database === "postgres" ? (env.DATABASE_URL as string) : path.join(dataDir, "licensor.sqlite");
    const guard = await floorGuard(database, licWhere);
    const floorDatabase = await copyDatabaseForFloor({ database, pgUrl, dbName, floorDbName, dataDir, floorDir });
    server = await startServer(serverOptions);
    floor = await startFloor(floorDatabase, poolSize, guard);

    // Closed loop: one connection per client. Open loop: enough connections that pacing, not the
    // pool, decides when a request leaves.
    const side = (url: string) => {
      const closed = new Pool(url, { connections: opts.concurrency });
      const open = new Pool(url, { connections: opts.concurrency * 8 });
      pools.push(closed, open);
      const redeem = (pool: Pool) => (key: string) => postRedemption(pool, headers, key);
      return { closed, open, redeemClosed: redeem(closed), redeemOpen: redeem(open) };
    };
    const lic = { ...side(server.url), pid: pidOfPort(server.port) };
    const flo = { ...side(floor.url), pid: floor.pid };
    const health = (pool: Pool) => async (_i: number) => {
      const r = await pool.request({ method: "GET", path: "/api/health" });
      await r.body.dump();
      return r.statusCode;
    };

    // Warm-up: the same keys on both sides (each in its own database), both pools' connections.
    // Half through the closed loop's pool, half through the open loop's, so both pools have their
    // connections before anything is measured.
    const warmClosed = keys.slice(0, Math.floor(warmup / 2));
    const warmOpen = keys.slice(Math.floor(warmup / 2), warmup);
    for (const x of [lic, flo]) {
      const a = await closedLoop(warmClosed.length, opts.concurrency, (i) => x.redeemClosed(warmClosed[i] as string));
      const b = await closedLoop(warmOpen.length, opts.concurrency * 8, (i) => x.redeemOpen(warmOpen[i] as string));
      if (a.errors || b.errors)
        throw new Error(`${a.errors + b.errors} redemptions failed in the warm-up (statuses ${failedStatuses()})`);
    }
    await closedLoop(500, opts.concurrency, health(lic.closed));
    await closedLoop(500, opts.concurrency * 8, health(lic.open));
    const h = await closedLoop(opts.keys * 4, opts.concurrency, health(lic.closed));

    if (database === "postgres") {
      admin = new pg.Client({ connectionString: pgUrl });
      await admin.connect();
    }
    // Peak: alternating segments of the same keys, so a change in the machine's load falls on both.
    const peakKeys = keys.slice(warmup, warmup + opts.keys);
    const peak = {
      lic: {
        secs: 0,
        cpu: 0 as number | null,
        dbCpu: 0 as number | null,
        clientCpu: 0,
        waitNs: 0 as number | null,
        lat: [] as number[],
        errors: 0,
      },
      flo: {
        secs: 0,
        cpu: 0 as number | null,
        dbCpu: 0 as number | null,
        clientCpu: 0,
        waitNs: 0 as number | null,
        lat: [] as number[],
        errors: 0,
      },
    };
    const per = Math.ceil(peakKeys.length / segments);
    for (let seg = 0; seg < segments; seg++) {
      const part = peakKeys.slice(seg * per, (seg + 1) * per);
      // Which side goes first alternates too.
      const order = seg % 2 === 0 ? (["lic", "flo"] as const) : (["flo", "lic"] as const);
      for (const which of order) {
        const x = which === "lic" ? lic : flo;
        const cpu0 = cpuSeconds(x.pid);
        const db0 = await backendCpuSeconds(admin, which === "lic" ? dbName : floorDbName);
        const client0 = process.cpuUsage();
        const wait0 = runQueueWaitNs(x.pid);
        const r = await closedLoop(part.length, opts.concurrency, (i) => x.redeemClosed(part[i] as string));
        const cpu1 = cpuSeconds(x.pid);
        const client = process.cpuUsage(client0);
        const db1 = await backendCpuSeconds(admin, which === "lic" ? dbName : floorDbName);
        const wait1 = runQueueWaitNs(x.pid);
        const p = peak[which];
        p.cpu = p.cpu === null || cpu0 === null || cpu1 === null ? null : p.cpu + cpu1 - cpu0;
        p.clientCpu += (client.user + client.system) / 1e6;
        const dbCpu = backendCpuDelta(db0, db1);
        p.dbCpu = p.dbCpu === null || dbCpu === null ? null : p.dbCpu + dbCpu;
        p.waitNs = p.waitNs === null || wait0 === null || wait1 === null ? null : p.waitNs + wait1 - wait0;
        peak[which].secs += part.length / r.rps;
        peak[which].lat.push(...r.lat);
        peak[which].errors += r.errors;
      }
    }
    if (peak.lic.errors || peak.flo.errors)
      throw new Error(
        `redemptions failed at peak: ${peak.lic.errors} on Licensor, ${peak.flo.errors} on the floor (statuses ${failedStatuses()})`,
      );
    const licRps = peakKeys.length / peak.lic.secs;
    const floRps = peakKeys.length / peak.flo.secs;

    const halfKeys = keys.slice(warmup + opts.keys, warmup + opts.keys + Math.ceil(opts.keys / 2));
    // Half rate, each server at half its own peak, in two segments each: Licensor, floor, floor, Licensor.
    const halfParts = [halfKeys.slice(0, Math.ceil(halfKeys.length / 2)), halfKeys.slice(Math.ceil(halfKeys.length / 2))];
    const half = { lic: [] as Awaited<ReturnType<typeof openLoop>>[], flo: [] as Awaited<ReturnType<typeof openLoop>>[] };
    for (const [which, part] of [
      ["lic", halfParts[0]],
      ["flo", halfParts[0]],
      ["flo", halfParts[1]],
      ["lic", halfParts[1]],
    ] as const) {
      const x = which === "lic" ? lic : flo;
      const keysOf = part as string[];
      half[which].push(
        await openLoop(keysOf.length, (which === "lic" ? licRps : floRps) / 2, (i) => x.redeemOpen(keysOf[i] as string)),
      );
    }
    const joined = (rs: Awaited<ReturnType<typeof openLoop>>[]) => ({
      rps: rs.reduce((n, r) => n + r.lat.length, 0) / rs.reduce((t, r) => t + r.lat.length / r.rps, 0),
      lat: rs.flatMap((r) => r.lat),
      errors: rs.reduce((n, r) => n + r.errors, 0),
    });
    const halfLic = joined(half.lic);
    const halfFlo = joined(half.flo);
    if (halfLic.errors || halfFlo.errors)
      throw new Error(
        `redemptions failed at half rate: ${halfLic.errors} on Licensor, ${halfFlo.errors} on the floor (statuses ${failedStatuses()})`,
      );

    await Promise.all(pools.splice(0).map((p) => p.close()));
    if (process.env.BENCH_SERVER_OUTPUT) fs.writeFileSync(process.env.BENCH_SERVER_OUTPUT, server.output());
    await server.stop();
    server = null;
    await floor.stop();
    floor = null;
    const sample = peakKeys[0] as string;
    const lic0 = await readDatabase(database, licWhere, async (q) => ({
      counts: await countRows(q),
      key: await rowsOfKey(q, sample),
    }));
    const flo0 = await readDatabase(database, floorDatabase, async (q) => ({
      counts: await countRows(q),
      key: await rowsOfKey(q, sample),
    }));
    const licRows = lic0.counts;
    const floRows = flo0.counts;
    const differ = Object.keys(ROW_COUNTS).filter((t) => licRows[t] !== floRows[t]);
    if (differ.length)
      throw new Error(
        `the floor did not write the rows Licensor wrote: ${differ.map((t) => `${t} ${licRows[t]} against ${floRows[t]}`).join(", ")}`,
      );
    for (const [table, rows] of Object.entries(lic0.key)) {
      const theirs = flo0.key[table];
      if (JSON.stringify(rows) !== JSON.stringify(theirs))
        throw new Error(
          `the floor wrote other ${table} rows for key ${sample}: ${JSON.stringify(theirs)} against ${JSON.stringify(rows)}`,
        );
      if ((rows as unknown[]).length === 0) throw new Error(`no ${table} rows for key ${sample} on Licensor`);
    }

    const summary = (
      rps: number,
      cpu: number | null,
      dbCpu: number | null,
      clientCpu: number,
      waitNs: number | null,
      secs: number,
      lat: number[],
      half: Awaited<ReturnType<typeof openLoop>>,
    ): Redemptions => ({
      rps: Math.round(rps),
      cpuUsPerRedemption: cpu === null ? null : Math.round((cpu * 1e6) / peakKeys.length),
      dbCpuUsPerRedemption: dbCpu === null ? null : Math.round((dbCpu * 1e6) / peakKeys.length),
      clientCpuUsPerRedemption: Math.round((clientCpu * 1e6) / peakKeys.length),
      mainThreadWaitingForCpu: waitNs === null ? null : round(waitNs / 1e9 / secs, 3),
      peak: { p50Ms: round(pct(lat, 50)), p99Ms: round(pct(lat, 99)) },
      halfRate: {
        rps: Math.round(half.rps),
        p50Ms: round(pct(half.lat, 50)),
        p99Ms: round(pct(half.lat, 99)),
        errors: half.errors,
      },
    });
    const licensor = summary(
      licRps,
      peak.lic.cpu,
      peak.lic.dbCpu,
      peak.lic.clientCpu,
      peak.lic.waitNs,
      peak.lic.secs,
      peak.lic.lat,
      halfLic,
    );
    const floorResult = summary(
      floRps,
      peak.flo.cpu,
      peak.flo.dbCpu,
      peak.flo.clientCpu,
      peak.flo.waitNs,
      peak.flo.secs,
      peak.flo.lat,
      halfFlo,
    );
    const ratioToFloor = round(licRps / floRps, 3);
    const halfRateP99Ms = database === "sqlite" ? 10 : 25;
    return {
      database,
      concurrency: opts.concurrency,
      keys: opts.keys,
      healthRps: Math.round(h.rps),
      licensor,
      floor: floorResult,
      ratioToFloor,
      cpuRatioToFloor:
        licensor.cpuUsPerRedemption && floorResult.cpuUsPerRedemption
          ? round(floorResult.cpuUsPerRedemption / licensor.cpuUsPerRedemption, 3)
          : null,
      ratioToHealth: round(licRps / h.rps, 3),
      targets: { ratioToFloor: 0.75, halfRateP99Ms, met: ratioToFloor >= 0.75 && licensor.halfRate.p99Ms < halfRateP99Ms },
      rows: licRows,
      guard,
    };
  } finally {
    await admin?.end();
    await Promise.all(pools.map((p) => p.close()));
    // e.g. BENCH_SERVER_OUTPUT=/tmp/server.log with BENCH_SERVER_NODE_ARGS=--trace-gc keeps what the server printed.
    if (server && process.env.BENCH_SERVER_OUTPUT) fs.writeFileSync(process.env.BENCH_SERVER_OUTPUT, server.output());
    await server?.stop();
    await floor?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(floorDir, { recursive: true, force: true });
    if (database === "postgres") {
      await adminQuery(pgUrl, `DROP DATABASE IF EXISTS ${floorDbName} WITH (FORCE)`);
      await adminQuery(pgUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    }
  }
}

export function reportRedeem(r: RedeemResult) {
  const line = (label: string, x: Redemptions) =>
    `  ${label.padEnd(28)}${String(x.rps).padStart(7)} req/s   ${x.cpuUsPerRedemption ?? "?"} µs CPU each${x.dbCpuUsPerRedemption === null ? "" : ` (+ ${x.dbCpuUsPerRedemption} µs in PostgreSQL)`}` +
    ` (client ${x.clientCpuUsPerRedemption} µs), main thread waiting for a CPU ${x.mainThreadWaitingForCpu === null ? "?" : `${Math.round(x.mainThreadWaitingForCpu * 100)} %`} of the time;\n${" ".repeat(38)}` +
    ` p50 ${x.peak.p50Ms} ms, p99 ${x.peak.p99Ms} ms;` +
    ` at half its peak ${x.halfRate.rps} req/s, p50 ${x.halfRate.p50Ms} ms, p99 ${x.halfRate.p99Ms} ms`;
  console.log(
    `redemption over HTTP on ${r.database}, concurrency ${r.concurrency}, ${r.keys} redemptions at peak on each server`,
  );
  console.log(line("floor (node:http + driver)", r.floor));
  console.log(line("POST /api/v1/redemptions", r.licensor));
  console.log(`  ratio Licensor/floor        ${r.ratioToFloor}  (target ≥ ${r.targets.ratioToFloor})`);
  console.log(`  CPU per redemption, floor/Licensor  ${r.cpuRatioToFloor ?? "?"}`);
  console.log(
    `  p99 at half the peak rate   ${r.licensor.halfRate.p99Ms} ms  (target < ${r.targets.halfRateP99Ms} ms)  ${r.targets.met ? "both met" : "not met"}`,
  );
  console.log(`  GET /api/health             ${String(r.healthRps).padStart(7)} req/s  (redemption/health ${r.ratioToHealth})`);
}

/** Options from the environment: BENCH_REDEEM_KEYS (default 6000), BENCH_REDEEM_CONCURRENCY (16). */
export function redeemOptionsFromEnv(): RedeemOptions {
  return {
    keys: Number.parseInt(process.env.BENCH_REDEEM_KEYS ?? "6000", 10),
    concurrency: Number.parseInt(process.env.BENCH_REDEEM_CONCURRENCY ?? "16", 10),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const pgUrl = process.env.LICENSOR_TEST_PG_URL || process.env.DATABASE_URL || "";
  const results: RedeemResult[] = [];
  const opts = redeemOptionsFromEnv();
  if (process.env.BENCH_REDEEM_DB !== "postgres") {
    results.push(await benchRedeem("sqlite", pgUrl, opts));
    reportRedeem(results[results.length - 1] as RedeemResult);
  }
  if (/^postgres(ql)?:\/\//.test(pgUrl) && process.env.BENCH_REDEEM_DB !== "sqlite") {
    results.push(await benchRedeem("postgres", pgUrl, opts));
    reportRedeem(results[results.length - 1] as RedeemResult);
  }
  console.log(JSON.stringify({ benchmark: "redeem", results }));
}
