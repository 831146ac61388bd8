import { type ChildProcess, spawn } from "node:child_process";
import crypto from "node:crypto";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Pool } from "undici";
import { ROOT, type RunningServer, startServer, tempDir } from "../e2e/harness.js";
import {
  adminQuery,
  benchCatalog,
  benchServerOptions,
  copyDatabaseForFloor,
  pct,
  serverPoolSize,
  withDatabase,
} from "./setup.js";

/**
 * Activations over HTTP on loopback against the real built server (issue 14): a line item with
 * enough copies, each request activating it for a new host (POST /api/v1/activations: the copy
 * counted by a conditional update, the fulfillment and its host rows, the Ed25519 signature, the
 * audit row, one transaction), closed loop at a fixed concurrency, with p50/p99. Beside it, in the
 * same run and on the same server: redemptions of web register keys at the same concurrency (the
 * other write a customer does), alternated with the activations in segments so a change in the
 * machine's load falls on both; the floor — a bare `node:http` server doing the same rows through
 * the bare driver, with the same signature (bench/activateFloor.ts), on a copy of the same database
 * — activating the same line item for the same hosts, alternated with Licensor likewise; and a bare
 * `crypto.sign` loop over inputs of a license's size in this process, the signature's own ceiling
 * on one core.
 *
 * `npm run build:server && npx tsx bench/activate.ts` (LICENSOR_TEST_PG_URL adds PostgreSQL);
 * BENCH_ACTIVATE_N, BENCH_ACTIVATE_CONCURRENCY size it. One JSON line per database.
 */
export interface ActivateResult {
  benchmark: "activate";
  database: "sqlite" | "postgres";
  concurrency: number;
  n: number;
  activations: { rps: number; p50Ms: number; p99Ms: number; errors: number };
  redemptions: { rps: number; p50Ms: number; p99Ms: number; errors: number };
  /** The bare node:http server with the bare driver doing an activation's rows (bench/activateFloor.ts). */
  floor: { rps: number; p50Ms: number; p99Ms: number; errors: number };
  /** Licensor's activations per second over the floor's. */
  ratioToFloor: number;
  /** Bare Ed25519 signatures per second in one thread (crypto.sign over 700-byte inputs). */
  bareSignPerSec: number;
  /** Activations over redemptions per second, same server, same run. */
  ratioToRedemption: number;
  /** Activations per second over the bare signature loop's: the share of one core's signing the HTTP path reaches. */
  ratioToBareSign: number;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function closedLoop(items: number, concurrency: number, one: (i: number) => Promise<number>) {
  const lat: number[] = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < items; i = next++) {
        const s = performance.now();
        const status = await one(i);
        lat.push(performance.now() - s);
        if (status >= 400) errors++;
      }
    }),
  );
  return { ms: performance.now() - t0, lat, errors };
}

function bareSign(ms = 1000): number {
  const { privateKey } = crypto.generateKeyPairSync("ed25519");
  const inputs = Array.from({ length: 64 }, () => crypto.randomBytes(700));
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) for (let i = 0; i < 64; i++, n++) crypto.sign(null, inputs[i] as Buffer, privateKey);
  return n / ((performance.now() - t0) / 1000);
}

/** The floor server as a child process. */
async function startFloor(database: string, poolSize: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "bench/activateFloor.ts")], {
    cwd: ROOT,
    env: { ...process.env, FLOOR_DATABASE: database, FLOOR_POOL_SIZE: String(poolSize) },
    stdio: ["ignore", "pipe", "pipe"],
  });
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
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
      if (/Error/.test(out)) console.error(`floor server output:\n${out}`);
    },
  };
}

export async function benchActivate(
  database: "sqlite" | "postgres",
  pgUrl: string,
  n = Number(process.env.BENCH_ACTIVATE_N ?? 2000),
  concurrency = Number(process.env.BENCH_ACTIVATE_CONCURRENCY ?? 8),
  segments = 4,
): Promise<ActivateResult> {
  const suffix = crypto.randomBytes(4).toString("hex");
  const dbName = `licensor_bench_activate_${suffix}`;
  const floorDbName = `licensor_bench_activate_floor_${suffix}`;
  const dataDir = tempDir("licensor-bench-activate-");
  const floorDir = tempDir("licensor-bench-activate-floor-");
  const env: Record<string, string> = {
    LICENSOR_REDEEM_IP_PER_MINUTE: "100000000",
    LICENSOR_REDEEM_ACCOUNT_PER_MINUTE: "100000000",
    LICENSOR_REDEEM_MISSES_BEFORE_LOCK: "100000000",
    LOG_LEVEL: "warn",
  };
  if (database === "postgres") {
    await adminQuery(pgUrl, `CREATE DATABASE ${dbName}`);
    env.DATABASE_URL = withDatabase(pgUrl, dbName);
  }
  const poolSize = serverPoolSize(env);
  const serverOptions = benchServerOptions(env, dataDir);
  let server: RunningServer | null = null;
  let floor: Awaited<ReturnType<typeof startFloor>> | null = null;
  const pools: Pool[] = [];
  try {
    server = await startServer(serverOptions);
    const { headers, call, newBulk, generateKeys, licenseModelId, productId } = await benchCatalog(server.url);
    const warm = 200;
    const ent = await call("POST", "/api/v1/entitlements", {
      kind: "SIMPLE",
      soldTo: "CUST",
      lineItems: [{ products: [{ productId }], licenseModelId, numberOfCopies: n + warm }],
      autoDeploy: true,
    });
    const activationId = ent.lineItems?.[0]?.activationId as string | undefined;
    if (!activationId) throw new Error(`the simple entitlement was not created: ${JSON.stringify(ent)}`);
    const bulk = await newBulk();
    const keys = await generateKeys(bulk.id, n + warm);

    // The floor's database: a copy of this one taken with the server stopped (same schema, rows,
    // token and line item); then Licensor starts again on its own.
    await server.stop();
    server = null;
    const floorDatabase = await copyDatabaseForFloor({ database, pgUrl, dbName, floorDbName, dataDir, floorDir });
    server = await startServer(serverOptions);
    floor = await startFloor(floorDatabase, poolSize);

    const lic = new Pool(server.url, { connections: concurrency });
    const flo = new Pool(floor.url, { connections: concurrency });
    pools.push(lic, flo);
    const activate = (pool: Pool) => async (i: number) => {
      const r = await pool.request({
        method: "POST",
        path: "/api/v1/activations",
        headers,
        body: JSON.stringify({ activationId, hosts: [{ type: "STRING", id: `bench-host-${i}` }] }),
      });
      await r.body.dump();
      return r.statusCode;
    };
    const redeem = async (i: number) => {
      const r = await lic.request({
        method: "POST",
        path: "/api/v1/redemptions",
        headers,
        body: JSON.stringify({ key: keys[i], soldTo: "CUST" }),
      });
      await r.body.dump();
      return r.statusCode;
    };
    // Warm-up of every path (JIT, prepared statements, pool connections); not counted.
    const w = [
      await closedLoop(warm, concurrency, (i) => activate(lic)(n + i)),
      await closedLoop(warm, concurrency, (i) => activate(flo)(n + i)),
      await closedLoop(warm, concurrency, (i) => redeem(n + i)),
    ];
    if (w.some((x) => x.errors)) throw new Error(`warm-up failed: ${w.map((x) => x.errors).join(", ")} errors`);

    const act = { ms: 0, lat: [] as number[], errors: 0 };
    const fl = { ms: 0, lat: [] as number[], errors: 0 };
    const red = { ms: 0, lat: [] as number[], errors: 0 };
    const add = (to: typeof act, x: typeof act) => {
      to.ms += x.ms;
      to.lat.push(...x.lat);
      to.errors += x.errors;
    };
    const per = Math.ceil(n / segments);
    for (let s = 0; s < segments; s++) {
      const from = s * per;
      const size = Math.min(per, n - from);
      add(act, await closedLoop(size, concurrency, (i) => activate(lic)(from + i)));
      add(fl, await closedLoop(size, concurrency, (i) => activate(flo)(from + i)));
      add(red, await closedLoop(size, concurrency, (i) => redeem(from + i)));
    }
    const figures = (x: typeof act) => ({
      rps: Math.round(x.lat.length / (x.ms / 1000)),
      p50Ms: round(pct(x.lat, 50)),
      p99Ms: round(pct(x.lat, 99)),
      errors: x.errors,
    });
    const activations = figures(act);
    const floorFigures = figures(fl);
    const redemptions = figures(red);
    if (activations.errors || floorFigures.errors || redemptions.errors)
      throw new Error(
        `requests failed: ${activations.errors} activations, ${floorFigures.errors} on the floor, ${redemptions.errors} redemptions`,
      );
    const bare = Math.round(bareSign());
    return {
      benchmark: "activate",
      database,
      concurrency,
      n,
      activations,
      redemptions,
      floor: floorFigures,
      ratioToFloor: round(activations.rps / floorFigures.rps, 3),
      bareSignPerSec: bare,
      ratioToRedemption: round(activations.rps / redemptions.rps, 3),
      ratioToBareSign: round(activations.rps / bare, 3),
    };
  } finally {
    for (const p of pools) await p.close();
    await server?.stop();
    await floor?.stop();
    if (database === "postgres") {
      await adminQuery(pgUrl, `DROP DATABASE IF EXISTS ${floorDbName} WITH (FORCE)`);
      await adminQuery(pgUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    }
  }
}

export function reportActivate(r: ActivateResult) {
  const line = (name: string, x: ActivateResult["activations"]) =>
    `  ${name.padEnd(28)} ${String(x.rps).padStart(6)}/s  p50 ${x.p50Ms} ms  p99 ${x.p99Ms} ms`;
  console.log(`activation over HTTP on ${r.database}, concurrency ${r.concurrency}, ${r.n} of each`);
  console.log(line("POST /api/v1/activations", r.activations));
  console.log(line("floor (node:http + driver)", r.floor));
  console.log(line("POST /api/v1/redemptions", r.redemptions));
  console.log(`  bare crypto.sign, 1 thread   ${String(r.bareSignPerSec).padStart(6)}/s`);
  console.log(`  activations / floor          ${r.ratioToFloor}`);
  console.log(`  activations / redemptions    ${r.ratioToRedemption}`);
  console.log(`  activations / bare sign      ${r.ratioToBareSign}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const pgUrl = process.env.LICENSOR_TEST_PG_URL || process.env.DATABASE_URL || "";
  const dbs: ("sqlite" | "postgres")[] = ["sqlite", ...(/^postgres(ql)?:\/\//.test(pgUrl) ? (["postgres"] as const) : [])];
  for (const db of dbs) {
    const r = await benchActivate(db, pgUrl);
    reportActivate(r);
    console.log(JSON.stringify(r));
  }
}
