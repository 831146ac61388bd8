import crypto from "node:crypto";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Pool } from "undici";
import { login, type RunningServer, startServer } from "../e2e/harness.js";

/**
 * Redemption over HTTP on loopback against the real built server, beside the same server's
 * GET /api/health throughput measured in the same run (the baseline). Then latency at half the
 * peak redemption rate (paced, open loop): the target is p99 under 25 ms.
 *
 * The load comes from undici's Pool over kept-alive connections, not fetch(): fetch costs the
 * client about three times what health costs the server, so with it the baseline measured the
 * client (1,390 req/s against 4,140 with the pool and 4,320 with wrk, same machine and minute).
 */
export interface RedeemResult {
  database: "sqlite" | "postgres";
  concurrency: number;
  healthRps: number;
  redeemRps: number;
  ratio: number;
  peak: { p50Ms: number; p99Ms: number };
  halfRate: { rps: number; p50Ms: number; p99Ms: number; errors: number };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number) : 0;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

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
        if (status >= 400) errors++;
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
        if (status >= 400) errors++;
      })(),
    );
  }
  await Promise.all(pending);
  return { rps: n / ((performance.now() - t0) / 1000), lat, errors };
}

export async function benchRedeem(
  database: "sqlite" | "postgres",
  pgUrl: string,
  opts: { keys: number; concurrency: number; env?: Record<string, string> } = { keys: 6000, concurrency: 16 },
): Promise<RedeemResult> {
  const dbName = `licensor_bench_redeem_${crypto.randomBytes(4).toString("hex")}`;
  const env: Record<string, string> = {
    LICENSOR_REDEEM_IP_PER_MINUTE: "100000000",
    LICENSOR_REDEEM_ACCOUNT_PER_MINUTE: "100000000",
    LICENSOR_REDEEM_MISSES_BEFORE_LOCK: "100000000",
    LOG_LEVEL: "warn",
    ...opts.env,
  };
  if (database === "postgres") {
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(`CREATE DATABASE ${dbName}`);
    await c.end();
    const u = new URL(pgUrl);
    u.pathname = `/${dbName}`;
    env.DATABASE_URL = u.toString();
  }
  let server: RunningServer | null = null;
  const pools: Pool[] = [];
  try {
    server = await startServer({
      adminEmail: "bench@example.com",
      adminPassword: "correct horse battery staple",
      env,
      // e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server under load.
      nodeArgs: process.env.BENCH_SERVER_NODE_ARGS?.split(" ").filter(Boolean),
    });
    const base = server.url;
    const s = await login(base, "bench@example.com", "correct horse battery staple");
    const token = (
      (await (await s.post("/api/v1/tokens", { name: "bench", accountId: "PUBLISHER", role: "PRODUCER_ADMIN" })).json()) as {
        token: string;
      }
    ).token;
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const call = async (method: string, p: string, body?: unknown) =>
      (await fetch(`${base}${p}`, { method, headers, body: body ? JSON.stringify(body) : undefined })).json() as Promise<any>;
    const lm = await call("POST", "/api/v1/license-models", {
      name: "LM",
      technology: "CERTIFICATE",
      modelType: "NODE_LOCKED_UNCOUNTED",
    });
    await call("POST", `/api/v1/license-models/${lm.id}/actions/change-state`, { state: "DEPLOYED" });
    const product = await call("POST", "/api/v1/products", { name: "Bench CAD", version: "1", licenseModelIds: [lm.id] });
    await call("POST", `/api/v1/products/${product.id}/actions/change-state`, { state: "DEPLOYED" });
    await call("POST", "/api/v1/accounts", { id: "DIST", name: "Distributor", type: "CHANNEL_PARTNER" });
    await call("POST", "/api/v1/accounts", { id: "CUST", name: "Customer", type: "CUSTOMER" });
    const bulk = await call("POST", "/api/v1/entitlements", {
      kind: "BULK",
      soldTo: "DIST",
      product: { products: [{ productId: product.id }], licenseModelId: lm.id },
      autoDeploy: true,
    });
    const total = opts.keys + Math.ceil(opts.keys / 2);
    for (let done = 0; done < total; done += 10_000)
      await call("POST", `/api/v1/entitlements/${bulk.id}/keys/generate`, { count: Math.min(10_000, total - done) });
    const keys: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { key: string }[]; nextCursor: string | null } = await call(
        "GET",
        `/api/v1/entitlements/${bulk.id}/keys?limit=200${cursor ? `&cursor=${cursor}` : ""}`,
      );
      keys.push(...page.items.map((k) => k.key));
      cursor = page.nextCursor;
    } while (cursor);

    // Closed loop: one connection per client. Open loop: enough connections that pacing, not the
    // pool, decides when a request leaves.
    const closedPool = new Pool(base, { connections: opts.concurrency });
    const openPool = new Pool(base, { connections: opts.concurrency * 8 });
    pools.push(closedPool, openPool);
    const health = (pool: Pool) => async (_i: number) => {
      const r = await pool.request({ method: "GET", path: "/api/health" });
      await r.body.dump();
      return r.statusCode;
    };
    const redeem = (pool: Pool) => async (key: string) => {
      const r = await pool.request({
        method: "POST",
        path: "/api/v1/redemptions",
        headers,
        body: JSON.stringify({ key, soldTo: "CUST" }),
      });
      await r.body.dump();
      return r.statusCode;
    };
    await closedLoop(500, opts.concurrency, health(closedPool)); // warm-up
    await closedLoop(500, opts.concurrency * 8, health(openPool));
    const h = await closedLoop(opts.keys * 4, opts.concurrency, health(closedPool));
    const peakKeys = keys.slice(0, opts.keys);
    const r = await closedLoop(peakKeys.length, opts.concurrency, (i) => redeem(closedPool)(peakKeys[i] as string));
    const halfKeys = keys.slice(opts.keys, opts.keys + Math.ceil(opts.keys / 2));
    const half = await openLoop(halfKeys.length, r.rps / 2, (i) => redeem(openPool)(halfKeys[i] as string));
    if (r.errors || half.errors) throw new Error(`redemptions failed: ${r.errors} at peak, ${half.errors} at half rate`);
    return {
      database,
      concurrency: opts.concurrency,
      healthRps: Math.round(h.rps),
      redeemRps: Math.round(r.rps),
      ratio: round(r.rps / h.rps, 3),
      peak: { p50Ms: round(pct(r.lat, 50)), p99Ms: round(pct(r.lat, 99)) },
      halfRate: {
        rps: Math.round(half.rps),
        p50Ms: round(pct(half.lat, 50)),
        p99Ms: round(pct(half.lat, 99)),
        errors: half.errors,
      },
    };
  } finally {
    // e.g. BENCH_SERVER_OUTPUT=/tmp/server.log with BENCH_SERVER_NODE_ARGS=--trace-gc keeps what the server printed.
    await Promise.all(pools.map((p) => p.close()));
    if (server && process.env.BENCH_SERVER_OUTPUT) fs.writeFileSync(process.env.BENCH_SERVER_OUTPUT, server.output());
    await server?.stop();
    if (database === "postgres") {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    }
  }
}

export function reportRedeem(r: RedeemResult) {
  console.log(`redemption over HTTP on ${r.database}, concurrency ${r.concurrency}`);
  console.log(`  GET /api/health (baseline)  ${String(r.healthRps).padStart(7)} req/s`);
  console.log(
    `  POST /api/v1/redemptions    ${String(r.redeemRps).padStart(7)} req/s   p50 ${r.peak.p50Ms} ms, p99 ${r.peak.p99Ms} ms`,
  );
  console.log(`  ratio redemption/health     ${r.ratio}  (target ≥ 0.25)`);
  console.log(
    `  at half the peak rate       ${String(r.halfRate.rps).padStart(7)} req/s   p50 ${r.halfRate.p50Ms} ms, p99 ${r.halfRate.p99Ms} ms  (target p99 < 25 ms)`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const pgUrl = process.env.LICENSOR_TEST_PG_URL || process.env.DATABASE_URL || "";
  const results: RedeemResult[] = [];
  results.push(await benchRedeem("sqlite", pgUrl));
  reportRedeem(results[0] as RedeemResult);
  if (/^postgres(ql)?:\/\//.test(pgUrl)) {
    results.push(await benchRedeem("postgres", pgUrl));
    reportRedeem(results[1] as RedeemResult);
  }
  console.log(JSON.stringify({ benchmark: "redeem", results }));
}
