import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Pool } from "undici";
import { type RunningServer, startServer, tempDir } from "../e2e/harness.js";
import { floorGuard, startFloor } from "./redeem.js";
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
 *
 * The floor, in the same run: the redemption benchmark's bare `node:http` server and driver
 * (bench/redeemFloor.ts) on a copy of the same database, redeeming the same keys, alternating the
 * same segments with and without sending each redemption's two events, signed, to the same three
 * receivers (bare `http.request`, no retries, nothing written): what sending them costs a process
 * that does nothing else, so what three/none any server could reach on this machine.
 */
export interface WebhookBenchResult {
  database: "sqlite" | "postgres";
  keysPerSide: number;
  concurrency: number;
  none: { rps: number; p50Ms: number; p99Ms: number };
  three: { rps: number; p50Ms: number; p99Ms: number };
  /** three / none: the target is ≥ 0.9. */
  ratio: number;
  /** The bare server's own none and three, and its ratio. */
  floor: {
    none: { rps: number; p50Ms: number; p99Ms: number };
    three: { rps: number; p50Ms: number; p99Ms: number };
    ratio: number;
    sent: number;
    failed: number;
  };
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

type Side = { rps: number; p50Ms: number; p99Ms: number };

/**
 * Alternating segments of `keys` on one server, with its webhooks off ("none") and on ("three"),
 * after a warm-up: which side goes first changes each pair, so neither always follows the other.
 */
async function alternate(
  url: string,
  headers: Record<string, string>,
  keys: string[],
  opts: { warmup: number; perSide: number; segments: number; concurrency: number },
  setEnabled: (enabled: boolean) => Promise<unknown>,
  /** After each "three" segment, untimed, with the redemptions of all "three" segments so far. */
  afterThree: (redeemedWithHooks: number) => Promise<unknown> = async () => {},
): Promise<{ none: Side; three: Side; n: number; errors: number }> {
  const pool = new Pool(url, { connections: opts.concurrency });
  let errors = 0;
  const redeem = async (key: string) => {
    const s = performance.now();
    if ((await postRedemption(pool, headers, key)) !== 201) errors++;
    return performance.now() - s;
  };
  const run = async (batch: string[]) => {
    const lat: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        for (let i = next++; i < batch.length; i = next++) lat.push(await redeem(batch[i] as string));
      }),
    );
    return { ms: performance.now() - t0, lat };
  };
  try {
    await setEnabled(false);
    await run(keys.slice(0, opts.warmup));
    const sides = { none: { ms: 0, lat: [] as number[], n: 0 }, three: { ms: 0, lat: [] as number[], n: 0 } };
    const seg = Math.ceil(opts.perSide / opts.segments);
    let at = opts.warmup;
    for (let s = 0; s < opts.segments; s++) {
      const order: ("none" | "three")[] = s % 2 ? ["three", "none"] : ["none", "three"];
      for (const side of order) {
        const batch = keys.slice(at, at + seg);
        at += batch.length;
        await setEnabled(side === "three");
        const r = await run(batch);
        sides[side].ms += r.ms;
        sides[side].lat.push(...r.lat);
        sides[side].n += batch.length;
        if (side === "three") await afterThree(sides.three.n);
      }
    }
    await setEnabled(true);
    const summary = (x: { ms: number; lat: number[]; n: number }): Side => ({
      rps: Math.round(x.n / (x.ms / 1000)),
      p50Ms: Number(pct(x.lat, 50).toFixed(2)),
      p99Ms: Number(pct(x.lat, 99).toFixed(2)),
    });
    return { none: summary(sides.none), three: summary(sides.three), n: sides.none.n, errors };
  } finally {
    await pool.close();
  }
}

export async function benchWebhooks(database: "sqlite" | "postgres", pgUrl: string): Promise<WebhookBenchResult> {
  const perSide = Number.parseInt(process.env.BENCH_WEBHOOK_KEYS ?? "2000", 10);
  const concurrency = Number.parseInt(process.env.BENCH_WEBHOOK_CONCURRENCY ?? "8", 10);
  const segments = Math.max(1, Number.parseInt(process.env.BENCH_WEBHOOK_SEGMENTS ?? "4", 10));
  const opts = { warmup: Math.min(200, perSide), perSide, segments, concurrency };
  const tag = crypto.randomBytes(4).toString("hex");
  const dbName = `licensor_bench_webhooks_${tag}`;
  const floorDbName = `licensor_bench_webhooks_floor_${tag}`;
  const dataDir = tempDir("licensor-bench-webhooks-");
  const floorDir = tempDir("licensor-bench-webhooks-floor-");
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
  const serverOptions = benchServerOptions(env, dataDir);
  const receivers = await Promise.all([receiver(), receiver(), receiver()]);
  let server: RunningServer | null = null;
  let floor: Awaited<ReturnType<typeof startFloor>> | null = null;
  try {
    server = await startServer(serverOptions);
    const { headers, newBulk, generateKeys } = await benchCatalog(server.url);
    const call = async (method: string, p: string, body?: unknown) => {
      const r = await fetch(`${server?.url}${p}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (r.status >= 400) throw new Error(`${method} ${p}: ${r.status} ${await r.text()}`);
      return r.status === 204 ? null : r.json();
    };
    const endpoints: { id: string }[] = [];
    for (const r of receivers)
      endpoints.push(
        (await call("POST", "/api/v1/webhook-endpoints", { url: r.url, eventTypes: ["*"], enabled: false })) as { id: string },
      );
    const bulk = await newBulk();
    const keys = await generateKeys(bulk.id, opts.warmup + 2 * perSide + 1);
    // One redemption before the copy tells which guard the server keeps (see FLOOR_GUARD in
    // redeemFloor.ts), as the redemption benchmark does.
    await call("POST", "/api/v1/redemptions", { key: keys.pop(), soldTo: "CUST" });

    // The floor's database: a copy of this one taken with the server stopped.
    await server.stop();
    server = null;
    const guard = await floorGuard(
      database,
      database === "postgres" ? (env.DATABASE_URL as string) : path.join(dataDir, "licensor.sqlite"),
    );
    const floorDatabase = await copyDatabaseForFloor({ database, pgUrl, dbName, floorDbName, dataDir, floorDir });
    server = await startServer(serverOptions);

    const eventCounts = async () =>
      (
        (await call("GET", "/api/v1/webhook-endpoints")) as {
          items: { deliveries: { pending: number; succeeded: number; failed: number } }[];
        }
      ).items.map((e) => e.deliveries);
    // An endpoint enabled again starts at the stream's end: before it is disabled, the events of
    // its segment must have been fanned out to it (two a redemption), or a segment shorter than
    // the dispatcher's look would deliver fewer events than the floor sends.
    const fannedOut = async (redeemedWithHooks: number) => {
      for (let i = 0; i < 300; i++) {
        const counts = await eventCounts();
        if (counts.every((d) => d.pending + d.succeeded + d.failed >= 2 * redeemedWithHooks)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`the events of ${redeemedWithHooks} redemptions were not fanned out within 15 s`);
    };
    const lic = await alternate(
      server.url,
      headers,
      keys,
      opts,
      (enabled) => Promise.all(endpoints.map((e) => call("PATCH", `/api/v1/webhook-endpoints/${e.id}`, { enabled }))),
      fannedOut,
    );
    const lastRedemption = performance.now();
    const expected = (await eventCounts()).reduce((n, d) => n + d.pending + d.succeeded + d.failed, 0);
    let drainSeconds: number | null = null;
    for (let i = 0; i < 600; i++) {
      if ((await eventCounts()).every((d) => d.pending === 0)) {
        drainSeconds = (performance.now() - lastRedemption) / 1000;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const received = receivers.map((r) => ({
      distinct: r.ids.size,
      duplicates: [...r.ids.values()].reduce((n, c) => n + c - 1, 0),
    }));
    await server.stop();
    server = null;

    // The floor, with nothing else running: the same keys in its copy, the same receivers.
    floor = await startFloor(floorDatabase, serverPoolSize(env), guard);
    const floorUrl = floor.url;
    const floorHooks = async () =>
      (await (await fetch(`${floorUrl}/floor/webhooks`)).json()) as { inFlight: number; sent: number; failed: number };
    const flo = await alternate(floorUrl, headers, keys, opts, (enabled) =>
      fetch(`${floorUrl}/floor/webhooks`, {
        method: "POST",
        body: JSON.stringify({ urls: enabled ? receivers.map((r) => r.url) : [] }),
      }),
    );
    let hooks = await floorHooks();
    for (let i = 0; i < 600 && hooks.inFlight > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      hooks = await floorHooks();
    }
    return {
      database,
      keysPerSide: lic.n,
      concurrency,
      none: lic.none,
      three: lic.three,
      ratio: Number((lic.three.rps / lic.none.rps).toFixed(3)),
      floor: {
        none: flo.none,
        three: flo.three,
        ratio: Number((flo.three.rps / flo.none.rps).toFixed(3)),
        sent: hooks.sent,
        failed: hooks.failed + flo.errors,
      },
      eventsWhileEnabled: Math.round(expected / endpoints.length),
      received,
      drainSeconds: drainSeconds === null ? null : Number(drainSeconds.toFixed(2)),
      errors: lic.errors,
    };
  } finally {
    await server?.stop();
    await floor?.stop();
    for (const r of receivers) await r.close();
    if (database === "postgres") {
      await adminQuery(pgUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
      await adminQuery(pgUrl, `DROP DATABASE IF EXISTS ${floorDbName} WITH (FORCE)`).catch(() => {});
    }
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
    `  floor (node:http + driver, bare signed POSTs): none ${r.floor.none.rps}/s, three ${r.floor.three.rps}/s, ratio ${r.floor.ratio.toFixed(3)}; Licensor's ratio / the floor's ${(r.ratio / r.floor.ratio).toFixed(3)}; ${r.floor.sent} sent, ${r.floor.failed} failed`,
  );
  console.log(
    `  events to deliver ${r.eventsWhileEnabled} × 3; received ${r.received.map((x) => `${x.distinct} (+${x.duplicates} retried)`).join(", ")}; drained in ${r.drainSeconds ?? "—"} s; ${r.errors} failed redemptions`,
  );
}
