import crypto from "node:crypto";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Pool } from "undici";
import { type RunningServer, startServer } from "../e2e/harness.js";
import { benchCatalog } from "./setup.js";

/**
 * Does a large key load leave the server answering? (issue 12.11: on SQLite a 1M-key load held
 * the one connection for its whole transaction; health, lists and redemptions waited ~4.2 s.)
 *
 * Against the real built server: redemptions, key-list pages and health requests paced at a
 * steady rate (open loop, so a stalled server shows as latency, not as fewer requests), first with
 * nothing else running (the baseline), then while a job generates `LOAD_KEYS` keys into another
 * bulk entitlement, until the job ends. Reported: p50/p99 of each beside the baseline's, and the
 * load's own duration. Target: p99 during the load under 100 ms on SQLite.
 */
export interface LoadLatencyResult {
  database: "sqlite" | "postgres";
  loadKeys: number;
  loadSeconds: number;
  ratePerSecond: number;
  idle: Record<Kind, { n: number; p50Ms: number; p99Ms: number; maxMs: number }>;
  duringLoad: Record<Kind, { n: number; p50Ms: number; p99Ms: number; maxMs: number }>;
}
type Kind = "redeem" | "list" | "health";

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number) : 0;
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const summary = (lat: number[]) => ({
  n: lat.length,
  p50Ms: round(pct(lat, 50)),
  p99Ms: round(pct(lat, 99)),
  maxMs: round(Math.max(0, ...lat)),
});

/** Requests of every kind in turn, `rate` a second, until `until()` says stop; latencies by kind. */
async function paced(rate: number, until: () => boolean, one: (kind: Kind) => Promise<number>) {
  const lat: Record<Kind, number[]> = { redeem: [], list: [], health: [] };
  const kinds: Kind[] = ["redeem", "list", "health"];
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  let errors = 0;
  for (let i = 0; !until(); i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const kind = kinds[i % kinds.length] as Kind;
    pending.push(
      (async () => {
        const s = performance.now();
        const status = await one(kind);
        lat[kind].push(performance.now() - s);
        if (status >= 400) errors++;
      })(),
    );
  }
  await Promise.all(pending);
  if (errors) throw new Error(`${errors} requests failed`);
  return lat;
}

export async function benchLoadLatency(
  database: "sqlite" | "postgres",
  pgUrl: string,
  opts: { loadKeys: number; rate: number; idleSeconds: number } = {
    loadKeys: Number.parseInt(process.env.BENCH_LOAD_KEYS ?? "1000000", 10),
    rate: Number.parseInt(process.env.BENCH_LOAD_RATE ?? "30", 10),
    idleSeconds: 5,
  },
): Promise<LoadLatencyResult> {
  const dbName = `licensor_bench_loadlat_${crypto.randomBytes(4).toString("hex")}`;
  const env: Record<string, string> = {
    LICENSOR_REDEEM_IP_PER_MINUTE: "100000000",
    LICENSOR_REDEEM_ACCOUNT_PER_MINUTE: "100000000",
    LICENSOR_REDEEM_MISSES_BEFORE_LOCK: "100000000",
    LOG_LEVEL: "warn",
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
  let pool: Pool | null = null;
  try {
    server = await startServer({ adminEmail: "bench@example.com", adminPassword: "correct horse battery staple", env });
    const base = server.url;
    const { headers, call, newBulk, generateKeys } = await benchCatalog(base);
    const served = await newBulk();
    const target = await newBulk();
    // Keys to redeem in both phases (a third of the requests are redemptions).
    const redeemable = Math.ceil((opts.rate / 3) * (opts.idleSeconds + 120)) + 1000;
    const keys = await generateKeys(served.id, redeemable);

    pool = new Pool(base, { connections: 64 });
    const p = pool;
    let next = 0;
    const one = async (kind: Kind) => {
      const r =
        kind === "redeem"
          ? await p.request({
              method: "POST",
              path: "/api/v1/redemptions",
              headers,
              body: JSON.stringify({ key: keys[next++ % keys.length], soldTo: "CUST" }),
            })
          : kind === "list"
            ? await p.request({ method: "GET", path: `/api/v1/entitlements/${served.id}/keys?limit=50`, headers })
            : await p.request({ method: "GET", path: "/api/health" });
      await r.body.dump();
      return r.statusCode;
    };
    await paced(
      opts.rate,
      (() => {
        const end = performance.now() + 1000;
        return () => performance.now() > end;
      })(),
      one,
    ); // warm-up
    const idleEnd = performance.now() + opts.idleSeconds * 1000;
    const idle = await paced(opts.rate, () => performance.now() > idleEnd, one);

    const job = await call("POST", `/api/v1/entitlements/${target.id}/keys/generate`, { count: opts.loadKeys });
    const t0 = performance.now();
    let finished = false;
    let state = "QUEUED";
    const watch = (async () => {
      while (!finished) {
        await new Promise((r) => setTimeout(r, 100));
        state = (await call("GET", `/api/v1/jobs/${job.jobId}`)).state;
        if (state !== "QUEUED" && state !== "RUNNING") finished = true;
      }
    })();
    const during = await paced(opts.rate, () => finished, one);
    await watch;
    const loadSeconds = (performance.now() - t0) / 1000;
    if (state !== "SUCCEEDED") throw new Error(`the load ended ${state}`);
    return {
      database,
      loadKeys: opts.loadKeys,
      loadSeconds: round(loadSeconds, 2),
      ratePerSecond: opts.rate,
      idle: { redeem: summary(idle.redeem), list: summary(idle.list), health: summary(idle.health) },
      duringLoad: { redeem: summary(during.redeem), list: summary(during.list), health: summary(during.health) },
    };
  } finally {
    await pool?.close();
    await server?.stop();
    if (database === "postgres") {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    }
  }
}

export function reportLoadLatency(r: LoadLatencyResult) {
  console.log(
    `latency while loading ${r.loadKeys} keys on ${r.database} (load took ${r.loadSeconds} s; ${r.ratePerSecond} req/s paced)`,
  );
  for (const kind of ["redeem", "list", "health"] as const) {
    const a = r.idle[kind];
    const b = r.duringLoad[kind];
    console.log(
      `  ${kind.padEnd(7)} idle p50 ${a.p50Ms} ms p99 ${a.p99Ms} ms | during the load p50 ${b.p50Ms} ms p99 ${b.p99Ms} ms max ${b.maxMs} ms (n=${b.n})  p99 ratio ${round(b.p99Ms / Math.max(a.p99Ms, 0.1), 1)}x`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const pgUrl = process.env.LICENSOR_TEST_PG_URL || process.env.DATABASE_URL || "";
  const results: LoadLatencyResult[] = [await benchLoadLatency("sqlite", pgUrl)];
  reportLoadLatency(results[0] as LoadLatencyResult);
  if (/^postgres(ql)?:\/\//.test(pgUrl)) {
    results.push(await benchLoadLatency("postgres", pgUrl));
    reportLoadLatency(results[1] as LoadLatencyResult);
  }
  console.log(JSON.stringify({ benchmark: "loadlatency", results }));
}
