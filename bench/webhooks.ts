import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";
import { type RunningServer, startServer, tempDir } from "../e2e/harness.js";
import { adminQuery, benchCatalog, pct, withDatabase } from "./setup.js";

/**
 * Redemption throughput with 3 enabled webhook endpoints beside none, in the same run, on the
 * real built server (issue 17: target ≥ 0.9×: the event is written in the redemption's
 * transaction, its delivery is not on the redemption's path). One server, three local receivers
 * answering 200; the run alternates segments with the endpoints disabled ("none") and enabled
 * ("three"), so a change in the machine's load falls on both. After the run it waits for the
 * deliveries to drain and counts them: every event of a "three" segment delivered to all three
 * receivers, each once (by `webhook-id`).
 *
 * Redemptions emit `key.redeemed` once the events branch is merged; before that the "three"
 * segments have nothing to deliver and the ratio only measures the fan-out's polling.
 * BENCH_WEBHOOK_KEYS (per side, default 2000), BENCH_WEBHOOK_CONCURRENCY (default 8),
 * BENCH_WEBHOOK_SEGMENTS (per side, default 4) size it.
 */
export interface WebhookBenchResult {
  database: "sqlite" | "postgres";
  keysPerSide: number;
  concurrency: number;
  none: { rps: number; p50Ms: number; p99Ms: number };
  three: { rps: number; p50Ms: number; p99Ms: number };
  /** three / none: the target is ≥ 0.9. */
  ratio: number;
  /** Events the "three" segments' redemptions recorded for the endpoints (each sent to 3 receivers). */
  eventsWhileEnabled: number;
  /** Distinct webhook-ids each receiver got, and requests beyond that (retries). */
  received: { distinct: number; duplicates: number }[];
  /** Seconds from the last redemption until every delivery had succeeded. */
  drainSeconds: number | null;
  errors: number;
}

async function receiver() {
  const ids = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const id = String(req.headers["webhook-id"]);
    req.resume();
    req.on("end", () => {
      ids.set(id, (ids.get(id) ?? 0) + 1);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    ids,
    close: () => new Promise((r) => server.close(r)),
  };
}

export async function benchWebhooks(database: "sqlite" | "postgres", pgUrl: string): Promise<WebhookBenchResult> {
  const perSide = Number.parseInt(process.env.BENCH_WEBHOOK_KEYS ?? "2000", 10);
  const concurrency = Number.parseInt(process.env.BENCH_WEBHOOK_CONCURRENCY ?? "8", 10);
  const segments = Math.max(1, Number.parseInt(process.env.BENCH_WEBHOOK_SEGMENTS ?? "4", 10));
  const warmup = Math.min(200, perSide);
  const dbName = `licensor_bench_webhooks_${crypto.randomBytes(4).toString("hex")}`;
  const env: Record<string, string> = {
    LICENSOR_REDEEM_IP_PER_MINUTE: "100000000",
    LICENSOR_REDEEM_ACCOUNT_PER_MINUTE: "100000000",
    LICENSOR_REDEEM_MISSES_BEFORE_LOCK: "100000000",
    LICENSOR_WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
    LOG_LEVEL: "warn",
  };
  if (database === "postgres") {
    await adminQuery(pgUrl, `CREATE DATABASE ${dbName}`);
    env.DATABASE_URL = withDatabase(pgUrl, dbName);
  }
  const receivers = await Promise.all([receiver(), receiver(), receiver()]);
  let server: RunningServer | null = null;
  let pool: Pool | null = null;
  try {
    server = await startServer({
      adminEmail: "bench@example.com",
      adminPassword: "correct horse battery staple",
      env,
      dataDir: tempDir("licensor-bench-webhooks-"),
    });
    const base = server.url;
    const { headers, newBulk, generateKeys } = await benchCatalog(base);
    const call = async (method: string, p: string, body?: unknown) => {
      const r = await fetch(`${base}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      if (r.status >= 400) throw new Error(`${method} ${p}: ${r.status} ${await r.text()}`);
      return r.status === 204 ? null : r.json();
    };
    const endpoints: { id: string }[] = [];
    for (const r of receivers)
      endpoints.push(
        (await call("POST", "/api/v1/webhook-endpoints", { url: r.url, eventTypes: ["*"], enabled: false })) as { id: string },
      );
    const setEnabled = (enabled: boolean) =>
      Promise.all(endpoints.map((e) => call("PATCH", `/api/v1/webhook-endpoints/${e.id}`, { enabled })));
    const bulk = await newBulk();
    const keys = await generateKeys(bulk.id, warmup + 2 * perSide);
    pool = new Pool(base, { connections: concurrency });
    const p = pool;
    let errors = 0;
    const redeem = async (key: string) => {
      const s = performance.now();
      const r = await p.request({
        method: "POST",
        path: "/api/v1/redemptions",
        headers,
        body: JSON.stringify({ key, soldTo: "CUST" }),
      });
      await r.body.dump();
      if (r.statusCode !== 201) errors++;
      return performance.now() - s;
    };
    const run = async (batch: string[]) => {
      const lat: number[] = [];
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          for (let i = next++; i < batch.length; i = next++) lat.push(await redeem(batch[i] as string));
        }),
      );
      return { ms: performance.now() - t0, lat };
    };
    await run(keys.slice(0, warmup));
    const sides = { none: { ms: 0, lat: [] as number[], n: 0 }, three: { ms: 0, lat: [] as number[], n: 0 } };
    const eventCount = async () =>
      Number(
        (
          (await call("GET", "/api/v1/webhook-endpoints")) as {
            items: { deliveries: { pending: number; succeeded: number; failed: number } }[];
          }
        ).items.reduce((n, e) => n + e.deliveries.pending + e.deliveries.succeeded + e.deliveries.failed, 0),
      );
    const seg = Math.ceil(perSide / segments);
    let at = warmup;
    for (let s = 0; s < segments; s++) {
      // Alternating which side goes first in each pair, so neither always follows the other.
      const order: ("none" | "three")[] = s % 2 ? ["three", "none"] : ["none", "three"];
      for (const side of order) {
        const batch = keys.slice(at, at + seg);
        at += batch.length;
        await setEnabled(side === "three");
        const r = await run(batch);
        sides[side].ms += r.ms;
        sides[side].lat.push(...r.lat);
        sides[side].n += batch.length;
      }
    }
    await setEnabled(true);
    const lastRedemption = performance.now();
    const expected = await eventCount();
    let drainSeconds: number | null = null;
    for (let i = 0; i < 600; i++) {
      const items = (
        (await call("GET", "/api/v1/webhook-endpoints")) as {
          items: { deliveries: { pending: number; succeeded: number; failed: number } }[];
        }
      ).items;
      if (items.every((e) => e.deliveries.pending === 0)) {
        drainSeconds = (performance.now() - lastRedemption) / 1000;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const summary = (x: { ms: number; lat: number[]; n: number }) => ({
      rps: Math.round(x.n / (x.ms / 1000)),
      p50Ms: Number(pct(x.lat, 50).toFixed(2)),
      p99Ms: Number(pct(x.lat, 99).toFixed(2)),
    });
    const none = summary(sides.none);
    const three = summary(sides.three);
    return {
      database,
      keysPerSide: sides.none.n,
      concurrency,
      none,
      three,
      ratio: Number((three.rps / none.rps).toFixed(3)),
      eventsWhileEnabled: Math.round(expected / endpoints.length),
      received: receivers.map((r) => ({
        distinct: r.ids.size,
        duplicates: [...r.ids.values()].reduce((n, c) => n + c - 1, 0),
      })),
      drainSeconds: drainSeconds === null ? null : Number(drainSeconds.toFixed(2)),
      errors,
    };
  } finally {
    await pool?.close();
    await server?.stop();
    for (const r of receivers) await r.close();
    if (database === "postgres") await adminQuery(pgUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
  }
}

export function reportWebhooks(r: WebhookBenchResult) {
  console.log(
    `redemptions with webhooks on ${r.database}: ${r.keysPerSide} keys per side, concurrency ${r.concurrency}, alternating segments`,
  );
  console.log(
    `  no endpoints      ${String(r.none.rps).padStart(6)} redemptions/s  p50 ${r.none.p50Ms} ms  p99 ${r.none.p99Ms} ms`,
  );
  console.log(
    `  3 endpoints       ${String(r.three.rps).padStart(6)} redemptions/s  p50 ${r.three.p50Ms} ms  p99 ${r.three.p99Ms} ms`,
  );
  console.log(`  ratio three/none  ${r.ratio.toFixed(3)}  (target ≥ 0.9)`);
  console.log(
    `  events to deliver ${r.eventsWhileEnabled} × 3; received ${r.received.map((x) => `${x.distinct} (+${x.duplicates} retried)`).join(", ")}; drained in ${r.drainSeconds ?? "—"} s; ${r.errors} failed redemptions`,
  );
}
