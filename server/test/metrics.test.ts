import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildApp, buildMetricsApp } from "../src/app.js";
import { ConfigError, loadConfig } from "../src/config.js";
import type { DbHandle } from "../src/db/connect.js";
import { bulkEntitlement } from "./factories.js";
import { DIALECTS, freshDatabase, makeEnv, type TestEnv, testConfig } from "./helpers.js";

const TOKEN = "metrics-token-0123456789abcdef0123456789";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Reads the Prometheus text exposition format (version 0.0.4) strictly: every line is a HELP or
 * TYPE comment or a sample `name{label="value",…} number`; anything else fails the test.
 */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  const sampleRe = new RegExp(`^(${NAME})(?:\\{(.*)\\})? ([+-]?(?:[0-9.eE+-]+|Inf|NaN))$`, "i");
  // Values as Go's ParseFloat reads them (Prometheus's parser): NaN and Inf in any case.
  const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const help = new RegExp(`^# HELP (${NAME}) .*$`).exec(line);
    if (help) continue;
    const type = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
    if (type) {
      types.set(type[1] as string, type[2] as string);
      continue;
    }
    const m = sampleRe.exec(line);
    if (!m) throw new Error(`not a line of the Prometheus text format: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? "";
    labelRe.lastIndex = 0;
    while (labelRe.lastIndex < body.length) {
      const l = labelRe.exec(body);
      if (!l) throw new Error(`bad labels in: ${line}`);
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_x, c) => (c === "n" ? "\n" : c));
    }
    samples.push({
      name: m[1] as string,
      labels,
      value: /inf$/i.test(m[3] as string) ? (m[3]?.startsWith("-") ? -Infinity : Infinity) : Number(m[3]),
    });
  }
  return { types, samples };
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);

describe("metrics configuration", () => {
  it("refuses a metrics listener on a public interface without a token, and a malformed address", () => {
    expect(() => loadConfig({ LICENSOR_METRICS_LISTEN: "0.0.0.0:9464" })).toThrow(
      /LICENSOR_METRICS_LISTEN \(0\.0\.0\.0:9464\) is not a loopback address: set LICENSOR_METRICS_TOKEN/,
    );
    expect(() => loadConfig({ LICENSOR_METRICS_LISTEN: "9464" })).toThrow(ConfigError);
    expect(() => loadConfig({ LICENSOR_METRICS_LISTEN: "127.0.0.1:99999" })).toThrow(/LICENSOR_METRICS_LISTEN must be host:port/);
    expect(() => loadConfig({ LICENSOR_METRICS_TOKEN: "short" })).toThrow(/LICENSOR_METRICS_TOKEN must be at least 32/);
    expect(loadConfig({ LICENSOR_METRICS_LISTEN: "127.0.0.1:9464" }).metricsListen).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(loadConfig({ LICENSOR_METRICS_LISTEN: "[::1]:9464" }).metricsListen).toEqual({ host: "::1", port: 9464 });
    const c = loadConfig({ LICENSOR_METRICS_LISTEN: "0.0.0.0:9464", LICENSOR_METRICS_TOKEN: TOKEN });
    expect(c.metricsListen).toEqual({ host: "0.0.0.0", port: 9464 });
    expect(c.metricsToken).toBe(TOKEN);
    expect(loadConfig({}).metricsToken).toBeUndefined();
  });
});

for (const dialect of DIALECTS) {
  describe(`metrics and probes [${dialect}]`, () => {
    let handle: DbHandle;
    let app: FastifyInstance;
    let env: TestEnv;
    let closed = false;
    beforeEach(async () => {
      closed = false;
      handle = await freshDatabase(dialect);
      app = await buildApp(
        { db: handle.db, dialect, config: testConfig({ metricsToken: TOKEN }), bulk: handle.bulk },
        { logger: false },
      );
      await app.ready();
      env = makeEnv(dialect, handle.db, app);
    });
    afterEach(async () => {
      await app.close();
      if (!closed) await handle.close();
    });

    const scrape = async () => {
      const res = await app.inject({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
      return parseExposition(res.body);
    };

    it("refuses a scrape without the token or with another one", async () => {
      for (const headers of [{}, { authorization: "Bearer nope" }, { authorization: TOKEN }]) {
        const res = await app.inject({ method: "GET", url: "/metrics", headers });
        expect(res.statusCode).toBe(401);
        expect(res.body).not.toContain("licensor_");
      }
    });

    it("is not served at all when no token is configured", async () => {
      const plain = await buildApp({ db: handle.db, dialect, config: testConfig(), bulk: handle.bulk }, { logger: false });
      try {
        const res = await plain.inject({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${TOKEN}` } });
        expect(res.statusCode).toBe(404);
      } finally {
        await plain.close();
      }
    });

    it("LICENSOR_METRICS_LISTEN: /metrics on its own listener only, open on loopback without a token", async () => {
      const config = testConfig({ metricsToken: undefined, metricsListen: { host: "127.0.0.1", port: 0 } });
      const deps = { db: handle.db, dialect, config, bulk: handle.bulk };
      const main = await buildApp(deps, { logger: false });
      const side = await buildMetricsApp(deps);
      try {
        expect((await main.inject({ method: "GET", url: "/api/health" })).statusCode).toBe(200);
        expect((await main.inject({ method: "GET", url: "/metrics" })).statusCode).toBe(404);
        const res = await side.inject({ method: "GET", url: "/metrics" });
        expect(res.statusCode).toBe(200);
        const { samples } = parseExposition(res.body);
        expect(value(samples, "licensor_database_up")).toBe(1);
        expect(samples.some((s) => s.name === "licensor_http_requests_total" && s.labels.route === "/api/health")).toBe(true);
        expect((await side.inject({ method: "GET", url: "/api/health" })).statusCode).toBe(404);
      } finally {
        await main.close();
        await side.close();
      }
      // With a token, the separate listener asks for it too.
      const guarded = await buildMetricsApp({ ...deps, config: { ...config, metricsToken: TOKEN } });
      try {
        expect((await guarded.inject({ method: "GET", url: "/metrics" })).statusCode).toBe(401);
        const ok = await guarded.inject({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${TOKEN}` } });
        expect(ok.statusCode).toBe(200);
      } finally {
        await guarded.close();
      }
    });

    it("counts requests per route pattern, redemptions by result, keys loaded, jobs and the outbox", async () => {
      const admin = await env.as("PRODUCER_ADMIN");
      const before = (await scrape()).samples;
      const { keys } = await bulkEntitlement(env, admin, { keys: 3 });
      const customer = await env.makeAccount({ name: "Metrics Customer" });
      const user = await env.as("CUSTOMER_PORTAL_USER", customer);
      expect((await user.post("/api/v1/redemptions", { key: keys[0] })).statusCode).toBe(201);
      expect((await user.post("/api/v1/redemptions", { key: "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ" })).statusCode).toBeGreaterThanOrEqual(400);
      const health = await app.inject({ method: "GET", url: "/api/health" });
      expect(health.statusCode).toBe(200);
      const ent = await admin.get(`/api/v1/entitlements/${encodeURIComponent("NO-SUCH-ENTITLEMENT")}`);
      expect(ent.statusCode).toBe(404);

      const { types, samples } = await scrape();
      const delta = (name: string, labels: Record<string, string>) => value(samples, name, labels) - value(before, name, labels);
      expect(types.get("licensor_http_requests_total")).toBe("counter");
      expect(types.get("licensor_http_request_duration_seconds")).toBe("histogram");
      expect(types.get("licensor_process_cpu_user_seconds_total")).toBe("counter");
      // The route pattern, never the raw URL (an ID, a key).
      expect(delta("licensor_http_requests_total", { method: "POST", route: "/api/v1/redemptions", status_class: "2xx" })).toBe(
        1,
      );
      expect(delta("licensor_http_requests_total", { method: "POST", route: "/api/v1/redemptions", status_class: "4xx" })).toBe(
        1,
      );
      expect(delta("licensor_http_requests_total", { method: "GET", route: "/api/health", status_class: "2xx" })).toBe(1);
      expect(
        delta("licensor_http_requests_total", { method: "GET", route: "/api/v1/entitlements/:id", status_class: "4xx" }),
      ).toBe(1);
      expect(
        samples.some((s) => Object.values(s.labels).some((v) => v.includes("NO-SUCH") || v.includes(keys[0] as string))),
      ).toBe(false);
      expect(
        delta("licensor_http_request_duration_seconds_count", { method: "GET", route: "/api/health", status_class: "2xx" }),
      ).toBe(1);
      expect(
        delta("licensor_http_request_duration_seconds_bucket", {
          method: "GET",
          route: "/api/health",
          status_class: "2xx",
          le: "+Inf",
        }),
      ).toBe(1);
      expect(delta("licensor_redemptions_total", { result: "redeemed" })).toBe(1);
      expect(delta("licensor_redemptions_total", {})).toBe(2);
      expect(delta("licensor_keys_loaded_total", {})).toBe(3);
      expect(delta("licensor_key_loads_total", { status: "SUCCESS" })).toBe(1);
      expect(value(samples, "licensor_database_up")).toBe(1);

      // The queue and the outbox are read from the database at scrape time: a queued job shows at once.
      await handle.db
        .insertInto("jobs")
        .values({
          id: "00000000-0000-7000-8000-00000000abcd",
          type: "keys.generate",
          state: "QUEUED",
          bulk_id: null,
          params: "{}",
          cancel_requested: 0,
          attempts: 0,
          heartbeat_at: null,
          done: 0,
          total: null,
          result: null,
          error: null,
          created_by: null,
          created_by_label: "test",
          created_at: new Date().toISOString(),
          started_at: null,
          finished_at: null,
          worker: null,
          lease_expires_at: null,
        })
        .execute();
      const after = await scrape();
      expect(value(after.samples, "licensor_jobs", { state: "QUEUED" })).toBe(
        value(samples, "licensor_jobs", { state: "QUEUED" }) + 1,
      );
      if (dialect === "postgres") {
        expect(types.get("licensor_db_pool_connections")).toBe("gauge");
        expect(value(after.samples, "licensor_db_pool_connections", { state: "max" })).toBe(5);
        expect(value(after.samples, "licensor_db_pool_connections", { state: "total" })).toBeGreaterThan(0);
      }
    });

    it("live answers while the database is gone; ready says 503 once it is unreachable", async () => {
      expect((await app.inject({ method: "GET", url: "/health/live" })).json()).toEqual({ status: "ok" });
      const ready = await app.inject({ method: "GET", url: "/health/ready" });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: "ready" });

      await handle.close();
      closed = true;
      // Within the second the answer is reused; after it, the probe asks the database again.
      await new Promise((r) => setTimeout(r, 1100));
      const down = await app.inject({ method: "GET", url: "/health/ready" });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toEqual({ status: "unreachable" });
      const live = await app.inject({ method: "GET", url: "/health/live" });
      expect(live.statusCode).toBe(200);
      // A scrape still answers, saying the database did not.
      const { samples } = await scrape();
      expect(value(samples, "licensor_database_up")).toBe(0);
    });

    it("ready says 503 while the schema is behind this build's migrations", async () => {
      const newest = await handle.db
        .selectFrom("kysely_migration" as never)
        .select("name" as never)
        .orderBy("name" as never, "desc")
        .executeTakeFirstOrThrow();
      await handle.db
        .deleteFrom("kysely_migration" as never)
        .where("name" as never, "=", (newest as { name: string }).name as never)
        .execute();
      const res = await app.inject({ method: "GET", url: "/health/ready" });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: "migrating" });
    });
  });
}
