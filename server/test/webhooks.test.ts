import http from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "kysely";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { EventType } from "../../common/src/enums.js";
import { buildApp } from "../src/app.js";
import type { Config } from "../src/config.js";
import { type DbHandle, openDatabase } from "../src/db/connect.js";
import { recordEvents } from "../src/db/repos/events.js";
import { writeWebhookAttempts } from "../src/db/repos/webhooks.js";
import type { Db } from "../src/db/schema.js";
import { JobRunner } from "../src/jobs/runner.js";
import { webhookDeliveries, webhookDeliveryDuration } from "../src/metrics.js";
import { linesOf } from "../src/webhooks/delivery.js";
import { WebhookDispatcher } from "../src/webhooks/dispatcher.js";
import { fanOut } from "../src/webhooks/fanout.js";
import { expectProblem } from "./expectations.js";
import { bulkEntitlement, ok as okStatus } from "./factories.js";
import { describeEachDb, type TestEnv } from "./helpers.js";
import { pgUrlFor } from "./pg.js";
import { until } from "./smtpInbox.js";

/** One request a receiver got, and what it answered. */
interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  answered: number;
  at: number;
}

/**
 * A real HTTP receiver on a loopback port. `answer(req)` picks the status (or null: never answer,
 * the connection left hanging until the receiver closes).
 */
async function receiver(answer: (r: Omit<Received, "answered" | "at">, n: number) => number | null = () => 200) {
  const got: Received[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = {
        id: String(req.headers["webhook-id"]),
        timestamp: String(req.headers["webhook-timestamp"]),
        signature: String(req.headers["webhook-signature"]),
        body: Buffer.concat(chunks).toString("utf8"),
      };
      const status = answer(r, got.length);
      got.push({ ...r, answered: status ?? 0, at: Date.now() });
      if (status === null) {
        hanging.add(res);
        return;
      }
      res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "thanks" : `no: ${"x".repeat(1000)}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    got,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * Short knobs: retries 50 ms apart (doubling to 200 ms), 300 ms timeout, looks every 30 ms; a 10 s
 * window (counted from the event's fan-out: on a busy machine the first attempt can come seconds later).
 */
const KNOBS: Partial<Config> = {
  webhookAllowPrivateNetworks: true,
  webhookPollMs: 30,
  webhookRetryBaseMs: 50,
  webhookRetryMaxMs: 200,
  webhookTimeoutMs: 300,
  webhookRetryWindowMs: 10_000,
};

/** A process's delivery machinery (its job runner and webhook dispatcher) over `db`. */
async function deliveryProcess(env: TestEnv, db: Db) {
  const config = env.app.deps.config;
  const runner = new JobRunner({ db, dialect: env.dialect, config, bulk: env.app.deps.bulk });
  await runner.start();
  const dispatcher = new WebhookDispatcher({ db, config }, runner);
  dispatcher.start();
  return {
    stop: async () => {
      await dispatcher.stop();
      await runner.stop();
    },
  };
}

let entSeq = 0;
/** Records events in one transaction each, all at once (concurrent writers). */
async function record(db: Db, events: { type?: EventType; entitlementId?: string | null; n?: number }[]) {
  await Promise.all(
    events.map((e) =>
      db.transaction().execute((trx) =>
        recordEvents(trx, null, [
          {
            type: e.type ?? "entitlement.updated",
            subjectType: "entitlement",
            subjectId: e.entitlementId ?? `none-${++entSeq}`,
            entitlementId: e.entitlementId ?? null,
            data: { n: e.n ?? 0, entitlementId: e.entitlementId ?? null },
          },
        ]),
      ),
    ),
  );
}

const eventIds = async (db: Db) => (await db.selectFrom("events").select("id").orderBy("seq").execute()).map((r) => r.id);
/** The JSON of an answer with the given status (200 by default). */
const ok = (res: Parameters<typeof okStatus>[0], status = 200) => okStatus(res, status);
const payloadN = (r: Received) => (JSON.parse(r.body) as { data: { n: number } }).data.n;

describeEachDb("webhooks", (env) => {
  let proc: { stop(): Promise<void> } | null = null;
  let receivers: { close(): Promise<void> }[] = [];
  const start = async () => {
    proc = await deliveryProcess(env, env.db);
  };
  const rcv = async (answer?: Parameters<typeof receiver>[0]) => {
    const r = await receiver(answer);
    receivers.push(r);
    return r;
  };
  const endpoint = async (url: string, body: Record<string, unknown> = {}) => {
    const admin = await env.as("PRODUCER_ADMIN");
    return ok(await admin.post("/api/v1/webhook-endpoints", { url, eventTypes: ["*"], ...body }), 201);
  };
  const deliveries = (endpointId: string) =>
    env.db.selectFrom("webhook_deliveries").selectAll().where("endpoint_id", "=", endpointId).execute();

  beforeEach(() => {
    Object.assign(env.app.deps.config, KNOBS);
  });
  afterEach(async () => {
    await proc?.stop();
    proc = null;
    for (const r of receivers) await r.close();
    receivers = [];
  });

  it("signs each delivery per Standard Webhooks: the library verifies it, webhook-id is the event's id, the body is {type, timestamp, data}", async () => {
    const r = await rcv();
    const ep = await endpoint(r.url);
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    await start();
    await record(env.db, [{ type: "entitlement.created", entitlementId: "E1", n: 7 }]);
    const [got] = await until("the delivery", async () => (r.got.length ? r.got : null));
    const verified = new Webhook(ep.secret).verify(got?.body as string, {
      "webhook-id": got?.id as string,
      "webhook-timestamp": got?.timestamp as string,
      "webhook-signature": got?.signature as string,
    });
    // The delivery's own job ends without an event of its own (its job.finished would be delivered
    // by another job, whose end would be another event, for ever): the stream holds the one event.
    await new Promise((res) => setTimeout(res, 300));
    const [event, ...more] = await env.db.selectFrom("events").selectAll().execute();
    expect(more).toEqual([]);
    expect(got?.id).toBe(event?.id);
    expect(verified).toEqual({ type: "entitlement.created", timestamp: event?.occurred_at, data: { n: 7, entitlementId: "E1" } });
    // Another secret does not verify it.
    expect(() =>
      new Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(got?.body as string, {
        "webhook-id": got?.id as string,
        "webhook-timestamp": got?.timestamp as string,
        "webhook-signature": got?.signature as string,
      }),
    ).toThrow();
    const [d] = await until("SUCCEEDED", async () => {
      const ds = await deliveries(ep.id);
      return ds[0]?.status === "SUCCEEDED" ? ds : null;
    });
    expect(d).toMatchObject({ attempts: 1, last_status_code: 200 });
  });

  it("a receiver failing (500) twice then recovering gets the event: 3 attempts logged, the same webhook-id each time", async () => {
    const r = await rcv((_req, n) => (n < 2 ? 500 : 200));
    const ep = await endpoint(r.url);
    await start();
    await record(env.db, [{ entitlementId: "E1" }]);
    const d = await until("SUCCEEDED", async () => (await deliveries(ep.id)).find((x) => x.status === "SUCCEEDED"));
    expect(r.got.map((g) => g.answered)).toEqual([500, 500, 200]);
    expect(new Set(r.got.map((g) => g.id)).size).toBe(1);
    const admin = await env.as("PRODUCER_VIEWER");
    const detail = ok(await admin.get(`/api/v1/webhook-deliveries/${d.id}`));
    expect(detail).toMatchObject({ status: "SUCCEEDED", attempts: 3, lastStatusCode: 200, eventId: r.got[0]?.id });
    expect(detail.attemptLog.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 200]);
    expect(detail.attemptLog.every((a: { trigger: string }) => a.trigger === "AUTO")).toBe(true);
    // The receiver's answer is kept short.
    expect(detail.attemptLog[0].responseSnippet.length).toBeLessThanOrEqual(256);
    expect(detail.attemptLog[0].error).toContain("500");
  });

  it("counts attempts by result and their durations, and shows pending deliveries at scrape time", async () => {
    const count = async (result: string) =>
      (await webhookDeliveries.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
    const observed = async () =>
      (await webhookDeliveryDuration.get()).values.find(
        (v) => v.metricName === "licensor_webhook_delivery_duration_seconds_count",
      )?.value ?? 0;
    const before = { retrying: await count("retrying"), succeeded: await count("succeeded"), observed: await observed() };
    const r = await rcv((_req, n) => (n < 1 ? 500 : 200));
    const ep = await endpoint(r.url);
    await record(env.db, [{ entitlementId: "E1" }]);
    // Fanned out and claimed, by a dispatcher whose runner is not running: the delivery waits, PENDING.
    const idle = new JobRunner({ db: env.db, dialect: env.dialect, config: env.app.deps.config, bulk: env.app.deps.bulk });
    const idleDispatcher = new WebhookDispatcher({ db: env.db, config: env.app.deps.config }, idle);
    // (On PostgreSQL the event shows once every older transaction of the cluster has ended.)
    await until("claimed", async () => (await idleDispatcher.dispatch()) === 1);
    const token = "metrics-token-0123456789abcdef0123456789";
    const scraping = await buildApp(
      { ...env.app.deps, config: { ...env.app.deps.config, metricsToken: token } },
      { logger: false },
    );
    try {
      const scrape = async () =>
        (await scraping.inject({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${token}` } })).body;
      expect(await scrape()).toMatch(/^licensor_webhook_deliveries_pending 1$/m);
      await env.db.updateTable("webhook_deliveries").set({ claim: null }).execute(); // that job never runs
      await start();
      await until("SUCCEEDED", async () => (await deliveries(ep.id)).find((x) => x.status === "SUCCEEDED"));
      expect(await scrape()).toMatch(/^licensor_webhook_deliveries_pending 0$/m);
    } finally {
      await scraping.close();
    }
    expect(await count("retrying")).toBe(before.retrying + 1);
    expect(await count("succeeded")).toBe(before.succeeded + 1);
    expect(await observed()).toBe(before.observed + 2);
  });

  it("a receiver that never answers times out, is retried, and the delivery is FAILED after the retry window", async () => {
    Object.assign(env.app.deps.config, { webhookTimeoutMs: 150, webhookRetryWindowMs: 1200 });
    const r = await rcv(() => null);
    const ep = await endpoint(r.url);
    await start();
    await record(env.db, [{ entitlementId: "E1" }]);
    const d = await until("FAILED", async () => (await deliveries(ep.id)).find((x) => x.status === "FAILED"), 15_000);
    expect(d.attempts).toBeGreaterThanOrEqual(2);
    // Each attempt reached the receiver (on a busy machine one may time out before the receiver read it).
    expect(r.got.length).toBeGreaterThanOrEqual(1);
    expect(r.got.length).toBeLessThanOrEqual(d.attempts);
    expect(new Set(r.got.map((g) => g.id)).size).toBe(1);
    expect(d.last_error).toContain("no answer within 0.15 s");
    expect(d.next_attempt_at).toBeNull();
    const attempts = await env.db.selectFrom("webhook_delivery_attempts").selectAll().where("delivery_id", "=", d.id).execute();
    expect(attempts.length).toBe(d.attempts);
    expect(attempts.every((a) => a.status_code === null && a.error?.includes("no answer"))).toBe(true);
  });

  it("keeps the order per entitlement while the receiver fails then recovers; other entitlements are not held up", async () => {
    // The receiver refuses every delivery of E1 for its first three requests of E1.
    let e1Seen = 0;
    const r = await rcv((req) => {
      const data = (JSON.parse(req.body) as { data: { entitlementId: string | null } }).data;
      if (data.entitlementId !== "E1") return 200;
      return ++e1Seen <= 3 ? 503 : 200;
    });
    const ep = await endpoint(r.url);
    await start();
    for (let n = 1; n <= 5; n++)
      await record(env.db, [
        { entitlementId: "E1", n },
        { entitlementId: "E2", n },
      ]);
    await until(
      "all 10 delivered",
      async () => (await deliveries(ep.id)).filter((x) => x.status === "SUCCEEDED").length === 10,
      15_000,
    );
    const of = (e: string) => r.got.filter((g) => JSON.parse(g.body).data.entitlementId === e);
    // What E1's receiver got, in arrival order: event 1 until it was taken, then 2, 3, 4, 5.
    const e1 = of("E1").map(payloadN);
    expect(e1).toEqual([1, 1, 1, 1, 2, 3, 4, 5]);
    expect(of("E2").map(payloadN)).toEqual([1, 2, 3, 4, 5]);
    // Never a later event of a line before an earlier one was taken (2xx).
    for (const line of [of("E1"), of("E2")]) {
      let taken = 0;
      for (const g of line) {
        expect(payloadN(g)).toBe(taken + 1);
        if (g.answered === 200) taken++;
      }
    }
  });

  it("1,000 events recorded concurrently: exactly 1,000 delivered, distinct ids, a duplicate only after a failed attempt", async () => {
    // Every 97th request fails: those events are sent again, and are the only ones received twice.
    // (A window long enough that the burst's last retries fit in it on a busy machine.)
    Object.assign(env.app.deps.config, { webhookRetryWindowMs: 120_000 });
    const r = await rcv((_req, n) => (n % 97 === 50 ? 500 : 200));
    const ep = await endpoint(r.url);
    await start();
    await record(
      env.db,
      Array.from({ length: 1000 }, (_, i) => ({ entitlementId: i % 3 === 0 ? null : `E${i % 20}`, n: i })),
    );
    await until(
      "1,000 delivered",
      async () => {
        const ds = await deliveries(ep.id);
        return ds.filter((x) => x.status === "SUCCEEDED").length === 1000;
      },
      100_000,
    );
    const ids = await eventIds(env.db);
    const taken = r.got.filter((g) => g.answered === 200);
    expect(taken.length).toBe(1000);
    expect(new Set(taken.map((g) => g.id))).toEqual(new Set(ids));
    // Each event was sent once more for each failed answer it got, and never after its 200 (a retry
    // can itself land on a failing request number, so an event may fail twice).
    const failures = new Map<string, number>();
    const counts = new Map<string, number>();
    for (const g of r.got) {
      counts.set(g.id, (counts.get(g.id) ?? 0) + 1);
      if (g.answered !== 200) failures.set(g.id, (failures.get(g.id) ?? 0) + 1);
    }
    expect(failures.size).toBeGreaterThan(0);
    for (const [id, n] of counts) expect(n).toBe(1 + (failures.get(id) ?? 0));
    for (const id of failures.keys()) expect([...r.got].reverse().find((g) => g.id === id)?.answered).toBe(200);
  }, 120_000);

  it("writes many attempts' outcomes at once, each only while its delivery is still the claim's, with its log row", async () => {
    const ep = await endpoint("http://127.0.0.1:9/hook");
    await record(env.db, [
      { entitlementId: "E1", n: 1 },
      { entitlementId: "E1", n: 2 },
      { entitlementId: "E2", n: 3 },
    ]);
    await fanOut(env.db, ep.id, 60_000);
    const ds = await env.db
      .selectFrom("webhook_deliveries")
      .select("id")
      .where("endpoint_id", "=", ep.id)
      .orderBy("event_seq")
      .execute();
    expect(ds).toHaveLength(3);
    const [a, b, c] = ds.map((d) => d.id) as [string, string, string];
    // a and b are this job's; c was taken by another job meanwhile.
    await env.db.updateTable("webhook_deliveries").set({ claim: "mine" }).where("id", "in", [a, b]).execute();
    await env.db.updateTable("webhook_deliveries").set({ claim: "theirs" }).where("id", "=", c).execute();
    const at = new Date().toISOString();
    const outcome = (status: "SUCCEEDED" | "PENDING", code: number) => ({
      status,
      attempts: 1,
      next_attempt_at: status === "PENDING" ? at : null,
      delivered_at: status === "SUCCEEDED" ? at : null,
      last_status_code: code,
      last_error: code === 200 ? null : `the receiver answered ${code}`,
      last_duration_ms: 7,
    });
    const written = await writeWebhookAttempts(env.db, "mine", [
      {
        deliveryId: a,
        outcome: outcome("SUCCEEDED", 200),
        attempt: { attempted_at: at, trigger: "AUTO", response_snippet: "thanks" },
      },
      { deliveryId: b, outcome: outcome("PENDING", 503), attempt: { attempted_at: at, trigger: "AUTO", response_snippet: null } },
      {
        deliveryId: c,
        outcome: outcome("SUCCEEDED", 200),
        attempt: { attempted_at: at, trigger: "AUTO", response_snippet: null },
      },
    ]);
    expect(written).toEqual(new Set([a, b]));
    const rows = await env.db
      .selectFrom("webhook_deliveries")
      .selectAll()
      .where("endpoint_id", "=", ep.id)
      .orderBy("event_seq")
      .execute();
    expect(rows.map((r) => [r.status, r.attempts, r.claim, r.last_status_code, r.last_duration_ms])).toEqual([
      ["SUCCEEDED", 1, null, 200, 7],
      ["PENDING", 1, null, 503, 7],
      ["PENDING", 0, "theirs", null, null],
    ]);
    expect(rows[1]?.last_error).toBe("the receiver answered 503");
    const attempts = await env.db.selectFrom("webhook_delivery_attempts").selectAll().orderBy("delivery_id").execute();
    expect(attempts.map((x) => [x.delivery_id, x.status_code, x.duration_ms, x.response_snippet]).sort()).toEqual(
      [
        [a, 200, 7, "thanks"],
        [b, 503, 7, null],
      ].sort(),
    );
    // Written once: the same outcome again finds nothing PENDING under the claim for a.
    const again = await writeWebhookAttempts(env.db, "mine", [
      {
        deliveryId: a,
        outcome: outcome("SUCCEEDED", 200),
        attempt: { attempted_at: at, trigger: "AUTO", response_snippet: null },
      },
    ]);
    expect(again.size).toBe(0);
    expect(await env.db.selectFrom("webhook_delivery_attempts").select("id").execute()).toHaveLength(2);
  });

  it("groups a claim's deliveries into lines in the stream's order; one with no entitlement is a line of its own", () => {
    const d = (id: string, endpoint_id: string, entitlement_id: string | null, event_tx_id: number, event_seq: number) => ({
      delivery: { id, endpoint_id, entitlement_id, event_tx_id, event_seq },
    });
    const lines = linesOf([
      d("3", "A", "E1", 2, 1),
      d("1", "A", "E1", 1, 5),
      d("2", "A", "E1", 1, 7),
      d("4", "B", "E1", 1, 1),
      d("5", "A", null, 1, 2),
      d("6", "A", null, 1, 3),
    ]);
    expect(lines.map((l) => l.map((x) => x.delivery.id))).toEqual([["1", "2", "3"], ["4"], ["5"], ["6"]]);
  });

  it("1,000 redemptions: each key.redeemed delivered exactly once, signed, while the redemptions run", async () => {
    Object.assign(env.app.deps.config, { webhookRetryWindowMs: 120_000 });
    const r = await rcv();
    const ep = await endpoint(r.url, { eventTypes: ["key.redeemed"] });
    await start();
    const admin = await env.as("PRODUCER_ADMIN");
    const { keys } = await bulkEntitlement(env, admin, { keys: 1000 });
    const clients = await Promise.all(
      Array.from({ length: 25 }, async () => env.as("CUSTOMER_PORTAL_USER", await env.makeAccount())),
    );
    const queue = [...keys];
    const refused: string[] = [];
    await Promise.all(
      clients.map(async (c) => {
        for (let key = queue.pop(); key; key = queue.pop()) {
          const res = await c.post("/api/v1/redemptions", { key });
          if (res.statusCode !== 201) refused.push(`${res.statusCode} ${res.body.slice(0, 120)}`);
        }
      }),
    );
    expect(refused).toEqual([]);
    await until("1,000 received", async () => r.got.length >= 1000, 100_000);
    // Nothing more comes: no duplicate without a failed attempt (none failed here).
    await new Promise((res) => setTimeout(res, 500));
    const redeemed = await env.db.selectFrom("events").select("id").where("type", "=", "key.redeemed").execute();
    expect(redeemed).toHaveLength(1000);
    expect(r.got).toHaveLength(1000);
    expect(new Set(r.got.map((g) => g.id))).toEqual(new Set(redeemed.map((e) => e.id)));
    const hook = new Webhook(ep.secret);
    for (const g of r.got) {
      const body = hook.verify(g.body, {
        "webhook-id": g.id,
        "webhook-timestamp": g.timestamp,
        "webhook-signature": g.signature,
      });
      expect(body).toMatchObject({ type: "key.redeemed" });
    }
    const ds = await deliveries(ep.id);
    expect(ds.filter((d) => d.status === "SUCCEEDED")).toHaveLength(1000);
    // The Jobs list keeps to loads and exports; the delivery jobs show when asked for by type.
    const listed = ok(await admin.get("/api/v1/jobs?limit=200"));
    expect(listed.items.filter((j: { type: string }) => j.type === "webhook.deliver")).toEqual([]);
    const asked = ok(await admin.get("/api/v1/jobs?type=webhook.deliver&limit=200"));
    expect(asked.items.length).toBeGreaterThan(0);
  }, 180_000);

  it("two processes on one database deliver each event once", async () => {
    if (env.dialect !== "postgres") return; // one SQLite file has one server process
    const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(env.db);
    const second: DbHandle = openDatabase({ databaseUrl: pgUrlFor(rows[0]?.name as string), dataDir: ".", poolSize: 5 });
    try {
      const r = await rcv();
      const ep = await endpoint(r.url);
      await start();
      const other = await deliveryProcess(env, second.db);
      try {
        await record(
          env.db,
          Array.from({ length: 300 }, (_, i) => ({ entitlementId: i % 2 ? `E${i % 7}` : null, n: i })),
        );
        await until(
          "300 delivered",
          async () => (await deliveries(ep.id)).filter((x) => x.status === "SUCCEEDED").length === 300,
          30_000,
        );
        await new Promise((res) => setTimeout(res, 300)); // anything sent twice would have arrived by now
        expect(r.got.length).toBe(300);
        expect(new Set(r.got.map((g) => g.id)).size).toBe(300);
        // Both processes did some of the work.
        const workers = await env.db
          .selectFrom("jobs")
          .select("worker")
          .distinct()
          .where("type", "=", "webhook.deliver")
          .execute();
        expect(workers.length).toBeGreaterThanOrEqual(1);
      } finally {
        await other.stop();
      }
    } finally {
      await second.close();
    }
  }, 60_000);

  it("redelivers with the same webhook-id, logging the attempt as REDELIVER", async () => {
    const r = await rcv();
    const ep = await endpoint(r.url);
    await start();
    await record(env.db, [{ entitlementId: "E1" }]);
    const d = await until("SUCCEEDED", async () => (await deliveries(ep.id)).find((x) => x.status === "SUCCEEDED"));
    const viewer = await env.as("PRODUCER_VIEWER");
    expectProblem(await viewer.post(`/api/v1/webhook-deliveries/${d.id}/redeliver`), 403, "forbidden");
    const admin = await env.as("PRODUCER_ADMIN");
    const res = ok(await admin.post(`/api/v1/webhook-deliveries/${d.id}/redeliver`), 202);
    expect(res.status).toBe("PENDING");
    await until("second receipt", async () => r.got.length === 2);
    expect(r.got[1]?.id).toBe(r.got[0]?.id);
    const detail = await until("recorded", async () => {
      const x = ok(await admin.get(`/api/v1/webhook-deliveries/${d.id}`));
      return x.status === "SUCCEEDED" && x.attempts === 2 ? x : null;
    });
    expect(detail.attemptLog.map((a: { trigger: string }) => a.trigger)).toEqual(["AUTO", "REDELIVER"]);
    const audit = await env.db
      .selectFrom("audit_events")
      .selectAll()
      .where("action", "=", "webhook_delivery.redelivered")
      .execute();
    expect(audit.map((a) => a.object_id)).toEqual([d.id]);
  });

  it("a test event goes to that endpoint only, logged as TEST; the delivery log lists newest first with a status filter", async () => {
    const a = await rcv();
    const b = await rcv();
    const epA = await endpoint(a.url);
    await endpoint(b.url, { eventTypes: ["*"] });
    await start();
    const admin = await env.as("PRODUCER_ADMIN");
    const sent = ok(await admin.post(`/api/v1/webhook-endpoints/${epA.id}/test`), 202);
    expect(sent.eventType).toBe("webhook.test");
    await until("test received", async () => a.got.length === 1);
    expect(JSON.parse(a.got[0]?.body as string)).toMatchObject({ type: "webhook.test", data: { endpointId: epA.id } });
    await record(env.db, [{ entitlementId: "E1", n: 1 }]);
    await until("event received by both", async () => a.got.length === 2 && b.got.length === 1);
    expect(b.got.map((g) => JSON.parse(g.body).type)).toEqual(["entitlement.updated"]);
    await until("both recorded", async () => (await deliveries(epA.id)).every((x) => x.status === "SUCCEEDED"));
    const list = ok(await admin.get(`/api/v1/webhook-endpoints/${epA.id}/deliveries?limit=1`));
    expect(list.items.map((x: { eventType: string }) => x.eventType)).toEqual(["entitlement.updated"]);
    const next = ok(await admin.get(`/api/v1/webhook-endpoints/${epA.id}/deliveries?limit=1&cursor=${list.nextCursor}`));
    expect(next.items.map((x: { eventType: string }) => x.eventType)).toEqual(["webhook.test"]);
    expect(ok(await admin.get(`/api/v1/webhook-endpoints/${epA.id}/deliveries?status=FAILED`)).items).toEqual([]);
    const detail = ok(await admin.get(`/api/v1/webhook-deliveries/${sent.id}`));
    expect(detail.attemptLog.map((x: { trigger: string }) => x.trigger)).toEqual(["TEST"]);
    const eps = ok(await admin.get("/api/v1/webhook-endpoints"));
    const shownA = eps.items.find((e: { id: string }) => e.id === epA.id);
    expect(shownA.deliveries).toEqual({ pending: 0, succeeded: 2, failed: 0 });
    expect(shownA.secret).toBeUndefined();
  });

  it("a disabled endpoint gets nothing; the filter picks exact types and subject.*; an endpoint starts at the stream's end", async () => {
    await record(env.db, [{ entitlementId: "OLD" }]); // before any endpoint: nobody gets it
    const on = await rcv();
    const off = await rcv();
    const keys = await rcv();
    const epOn = await endpoint(on.url);
    const epOff = await endpoint(off.url, { enabled: false });
    const epKeys = await endpoint(keys.url, { eventTypes: ["key.*", "account.created"] });
    await start();
    await record(env.db, [
      { type: "entitlement.created", entitlementId: "E1" },
      { type: "key.redeemed", entitlementId: "E1" },
      { type: "account.created" },
      { type: "account.updated" },
    ]);
    await until("all four delivered", async () => on.got.length === 4 && keys.got.length === 2);
    await new Promise((res) => setTimeout(res, 200));
    expect(off.got).toEqual([]);
    expect(await deliveries(epOff.id)).toEqual([]);
    expect(keys.got.map((g) => JSON.parse(g.body).type).sort()).toEqual(["account.created", "key.redeemed"]);
    expect((await deliveries(epOn.id)).length).toBe(4);
    expect((await deliveries(epKeys.id)).length).toBe(2);
    // Enabled again: from now on, not what was missed.
    const admin = await env.as("PRODUCER_ADMIN");
    ok(await admin.patch(`/api/v1/webhook-endpoints/${epOff.id}`, { enabled: true }));
    await record(env.db, [{ type: "entitlement.deleted", entitlementId: "E1" }]);
    await until("the new one", async () => off.got.length === 1);
    expect(JSON.parse(off.got[0]?.body as string).type).toBe("entitlement.deleted");
  });

  it("refuses private targets unless LICENSOR_WEBHOOK_ALLOW_PRIVATE_NETWORKS, on the URL and on the resolved address", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    Object.assign(env.app.deps.config, { webhookAllowPrivateNetworks: false });
    for (const url of [
      "http://127.0.0.1:9/hook",
      "http://localhost/hook",
      "http://10.1.2.3/",
      "http://169.254.169.254/latest/meta-data",
      "http://[::1]/",
      "http://[::ffff:192.168.0.1]/",
    ])
      expectProblem(
        await admin.post("/api/v1/webhook-endpoints", { url, eventTypes: ["*"] }),
        400,
        "validation_failed",
        "url",
        "LICENSOR_WEBHOOK_ALLOW_PRIVATE_NETWORKS",
      );
    expectProblem(
      await admin.post("/api/v1/webhook-endpoints", { url: "ftp://example.com/x", eventTypes: ["*"] }),
      400,
      "validation_failed",
      "url",
      "http",
    );
    // A name that resolves to loopback passes the URL check only when allowed, and is refused at delivery once not.
    Object.assign(env.app.deps.config, { webhookAllowPrivateNetworks: true });
    const r = await rcv();
    const ep = await endpoint(r.url.replace("127.0.0.1", "localhost"));
    Object.assign(env.app.deps.config, { webhookAllowPrivateNetworks: false });
    await start();
    await record(env.db, [{ entitlementId: "E1" }]);
    const d = await until("an attempt", async () => (await deliveries(ep.id)).find((x) => x.attempts >= 1));
    expect(d.last_error).toMatch(/localhost resolves to (127\.0\.0\.1|::1).*LICENSOR_WEBHOOK_ALLOW_PRIVATE_NETWORKS/);
    expect(r.got).toEqual([]);
  });

  it("validation errors name the field; nothing is written", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const post = (b: unknown) => admin.post("/api/v1/webhook-endpoints", b);
    expectProblem(await post({ url: "https://example.com/h" }), 400, "validation_failed", "eventTypes");
    expectProblem(await post({ url: "https://example.com/h", eventTypes: [] }), 400, "validation_failed", "eventTypes");
    expectProblem(await post({ url: "not a url", eventTypes: ["*"] }), 400, "validation_failed", "url", "not a URL");
    expectProblem(
      await post({ url: "https://example.com/h", eventTypes: ["key.redeemed", "nope"] }),
      400,
      "validation_failed",
      "eventTypes/1",
      "nope",
    );
    expectProblem(
      await post({ url: "https://example.com/h", eventTypes: ["bogus.*"] }),
      400,
      "validation_failed",
      "eventTypes/0",
    );
    expectProblem(
      await post({ url: "https://example.com/h", eventTypes: ["webhook.test"] }),
      400,
      "validation_failed",
      "eventTypes/0",
    );
    expectProblem(await post({ url: "https://example.com/h", eventTypes: ["*"], extra: 1 }), 400, "validation_failed");
    const ep = ok(await post({ url: "https://example.com/h", eventTypes: ["*"] }), 201);
    expectProblem(await admin.patch(`/api/v1/webhook-endpoints/${ep.id}`, {}), 400, "validation_failed");
    expectProblem(
      await admin.patch(`/api/v1/webhook-endpoints/${ep.id}`, { url: "gopher://x" }),
      400,
      "validation_failed",
      "url",
    );
    expectProblem(await admin.get("/api/v1/webhook-endpoints/nope"), 404, "not_found");
    const count = await env.db
      .selectFrom("webhook_endpoints")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it("audits every change without the secret; the secret is shown at creation, on reveal and rotation only", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const ep = ok(
      await admin.post("/api/v1/webhook-endpoints", { url: "https://example.com/h", eventTypes: ["key.*"], description: "CRM" }),
      201,
    );
    const got = ok(await admin.get(`/api/v1/webhook-endpoints/${ep.id}`));
    expect(got.secret).toBeUndefined();
    expect(got).toMatchObject({ url: "https://example.com/h", eventTypes: ["key.*"], description: "CRM", enabled: true });
    const revealed = ok(await admin.post(`/api/v1/webhook-endpoints/${ep.id}/reveal-secret`));
    expect(revealed.secret).toBe(ep.secret);
    const rotated = ok(await admin.post(`/api/v1/webhook-endpoints/${ep.id}/rotate-secret`));
    expect(rotated.secret).not.toBe(ep.secret);
    expect(ok(await admin.post(`/api/v1/webhook-endpoints/${ep.id}/reveal-secret`)).secret).toBe(rotated.secret);
    const support = await env.as("PRODUCER_SUPPORT");
    expectProblem(await support.post(`/api/v1/webhook-endpoints/${ep.id}/reveal-secret`), 403, "forbidden");
    ok(await support.get(`/api/v1/webhook-endpoints/${ep.id}`));
    ok(await admin.patch(`/api/v1/webhook-endpoints/${ep.id}`, { enabled: false, description: null }));
    const stored = await env.db.selectFrom("webhook_endpoints").select("secret_sealed").executeTakeFirstOrThrow();
    expect(stored.secret_sealed).not.toContain(rotated.secret.slice(6));
    expect(await admin.delete(`/api/v1/webhook-endpoints/${ep.id}`)).toMatchObject({ statusCode: 204 });
    const audit = await env.db
      .selectFrom("audit_events")
      .selectAll()
      .where("object_type", "=", "webhook_endpoint")
      .orderBy("id")
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      "webhook_endpoint.created",
      "webhook_endpoint.secret_revealed",
      "webhook_endpoint.secret_rotated",
      "webhook_endpoint.secret_revealed",
      "webhook_endpoint.updated",
      "webhook_endpoint.deleted",
    ]);
    const text = JSON.stringify(audit);
    expect(text).not.toContain(ep.secret.slice(6));
    expect(text).not.toContain(rotated.secret.slice(6));
    expect(JSON.parse(audit[4]?.changes as string)).toMatchObject({ enabled: { before: true, after: false } });
  });
});
