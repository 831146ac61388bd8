import crypto from "node:crypto";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { Pool } from "undici";
import { type RunningServer, startServer, tempDir } from "../e2e/harness.js";
import { benchCatalog } from "./setup.js";

/**
 * Activations over HTTP on loopback against the real built server (issue 14): a line item with
 * enough copies, each request activating it for a new host (POST /api/v1/activations: the copy
 * counted by a conditional update, the fulfillment and its host rows, the Ed25519 signature, the
 * audit row, one transaction), closed loop at a fixed concurrency, with p50/p99. Beside it, in the
 * same run and on the same server: redemptions of web register keys at the same concurrency (the
 * other write a customer does), alternated with the activations in segments so a change in the
 * machine's load falls on both; and a bare `crypto.sign` loop over inputs of a license's size in
 * this process, the signature's own ceiling on one core.
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
  /** Bare Ed25519 signatures per second in one thread (crypto.sign over 700-byte inputs). */
  bareSignPerSec: number;
  /** Activations over redemptions per second, same server, same run. */
  ratioToRedemption: number;
  /** Activations per second over the bare signature loop's: the share of one core's signing the HTTP path reaches. */
  ratioToBareSign: number;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number) : 0;
};
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

const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};
async function adminQuery(pgUrl: string, q: string) {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
}

export async function benchActivate(
  database: "sqlite" | "postgres",
  pgUrl: string,
  n = Number(process.env.BENCH_ACTIVATE_N ?? 2000),
  concurrency = Number(process.env.BENCH_ACTIVATE_CONCURRENCY ?? 8),
  segments = 4,
): Promise<ActivateResult> {
  const dbName = `licensor_bench_activate_${crypto.randomBytes(4).toString("hex")}`;
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
  let server: RunningServer | null = null;
  let pool: Pool | null = null;
  try {
    server = await startServer({
      adminEmail: "bench@example.com",
      adminPassword: "correct horse battery staple",
      env,
      dataDir: tempDir("licensor-bench-activate-"),
      nodeArgs: process.env.BENCH_SERVER_NODE_ARGS?.split(" ").filter(Boolean),
    });
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

    pool = new Pool(server.url, { connections: concurrency });
    const p = pool;
    const activate = async (i: number) => {
      const r = await p.request({
        method: "POST",
        path: "/api/v1/activations",
        headers,
        body: JSON.stringify({ activationId, hosts: [{ type: "STRING", id: `bench-host-${i}` }] }),
      });
      await r.body.dump();
      return r.statusCode;
    };
    const redeem = async (i: number) => {
      const r = await p.request({
        method: "POST",
        path: "/api/v1/redemptions",
        headers,
        body: JSON.stringify({ key: keys[i], soldTo: "CUST" }),
      });
      await r.body.dump();
      return r.statusCode;
    };
    // Warm-up of both paths (JIT, prepared statements, pool connections); not counted.
    const w1 = await closedLoop(warm, concurrency, (i) => activate(n + i));
    const w2 = await closedLoop(warm, concurrency, (i) => redeem(n + i));
    if (w1.errors || w2.errors) throw new Error(`warm-up failed: ${w1.errors} activations, ${w2.errors} redemptions`);

    const act = { ms: 0, lat: [] as number[], errors: 0 };
    const red = { ms: 0, lat: [] as number[], errors: 0 };
    const per = Math.ceil(n / segments);
    for (let s = 0; s < segments; s++) {
      const from = s * per;
      const size = Math.min(per, n - from);
      const a = await closedLoop(size, concurrency, (i) => activate(from + i));
      const b = await closedLoop(size, concurrency, (i) => redeem(from + i));
      act.ms += a.ms;
      act.lat.push(...a.lat);
      act.errors += a.errors;
      red.ms += b.ms;
      red.lat.push(...b.lat);
      red.errors += b.errors;
    }
    const figures = (x: typeof act) => ({
      rps: Math.round(x.lat.length / (x.ms / 1000)),
      p50Ms: round(pct(x.lat, 50)),
      p99Ms: round(pct(x.lat, 99)),
      errors: x.errors,
    });
    const activations = figures(act);
    const redemptions = figures(red);
    if (activations.errors || redemptions.errors)
      throw new Error(`requests failed: ${activations.errors} activations, ${redemptions.errors} redemptions`);
    const bare = Math.round(bareSign());
    return {
      benchmark: "activate",
      database,
      concurrency,
      n,
      activations,
      redemptions,
      bareSignPerSec: bare,
      ratioToRedemption: round(activations.rps / redemptions.rps, 3),
      ratioToBareSign: round(activations.rps / bare, 3),
    };
  } finally {
    await pool?.close();
    await server?.stop();
    if (database === "postgres") await adminQuery(pgUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}

export function reportActivate(r: ActivateResult) {
  const line = (name: string, x: ActivateResult["activations"]) =>
    `  ${name.padEnd(28)} ${String(x.rps).padStart(6)}/s  p50 ${x.p50Ms} ms  p99 ${x.p99Ms} ms`;
  console.log(`activation over HTTP on ${r.database}, concurrency ${r.concurrency}, ${r.n} of each`);
  console.log(line("POST /api/v1/activations", r.activations));
  console.log(line("POST /api/v1/redemptions", r.redemptions));
  console.log(`  bare crypto.sign, 1 thread   ${String(r.bareSignPerSec).padStart(6)}/s`);
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
