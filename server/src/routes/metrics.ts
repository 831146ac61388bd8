import crypto from "node:crypto";
import type { FastifyInstance } from "fastify";
import { poolUse } from "../db/connect.js";
import { emailsByStatus, jobsByState } from "../db/repos/ops.js";
import { pendingWebhookDeliveries } from "../db/repos/webhooks.js";
import { collectProcessMetrics, promClient, registry } from "../metrics.js";

const sha = (s: string) => crypto.createHash("sha256").update(s).digest();

/**
 * `GET /metrics`, Prometheus text format: the process's counters and histograms (server/src/metrics.ts)
 * and, read at scrape time, the job queue by state, the outbox by status and the PostgreSQL pool.
 * Registered only when LICENSOR_METRICS_TOKEN or LICENSOR_METRICS_LISTEN is set, and answers only to
 * that bearer token (compared in constant time) when there is one: figures of a back office are
 * nobody else's business.
 */
export async function metricsRoutes(app: FastifyInstance, opts: { separate?: boolean } = {}) {
  const { metricsToken: token, metricsListen } = app.deps.config;
  // On the main port only with a token and no listener of their own; on that listener, with the
  // token when there is one (config.ts allowed it without one on a loopback address only).
  if (opts.separate ? !metricsListen : !token || metricsListen) return;
  const expected = token ? sha(`Bearer ${token}`) : null;
  collectProcessMetrics();
  const { db } = app.deps;

  // This app's database figures: its own registry (tests build several apps in one process),
  // merged with the process-wide one once, here.
  const own = new promClient.Registry();
  const up = new promClient.Gauge({
    name: "licensor_database_up",
    help: "1 when the scrape's database reads succeeded, else 0",
    registers: [own],
    collect: () => readOnce(),
  });
  const jobs = new promClient.Gauge({
    name: "licensor_jobs",
    help: "Background jobs by state (QUEUED and RUNNING are the queue's depth), all processes",
    labelNames: ["state"] as const,
    registers: [own],
    collect: () => readOnce(),
  });
  const emails = new promClient.Gauge({
    name: "licensor_email_messages",
    help: "Outbox messages by status (SENT, FAILED, QUEUED, NOT_SENT_NO_SMTP…): email sends by outcome, all processes",
    labelNames: ["status"] as const,
    registers: [own],
    collect: () => readOnce(),
  });
  const webhooksPending = new promClient.Gauge({
    name: "licensor_webhook_deliveries_pending",
    help: "Webhook deliveries not finished yet (waiting for their turn, their retry, or being sent), all processes",
    registers: [own],
    collect: () => readOnce(),
  });
  const pool = new promClient.Gauge({
    name: "licensor_db_pool_connections",
    help: "PostgreSQL pool of this process: connections open (total), idle, requests waiting for one, and the maximum",
    labelNames: ["state"] as const,
    registers: [own],
    collect() {
      const p = poolUse(db);
      if (!p) return;
      pool.set({ state: "total" }, p.total);
      pool.set({ state: "idle" }, p.idle);
      pool.set({ state: "waiting" }, p.waiting);
      pool.set({ state: "max" }, p.max);
    },
  });
  // One database round for all the gauges of a scrape (prom-client collects them concurrently).
  let reads: Promise<void> | null = null;
  function readOnce(): Promise<void> {
    reads ??= readDatabase().finally(() => {
      reads = null;
    });
    return reads;
  }
  async function readDatabase(): Promise<void> {
    try {
      const [j, e, w] = await Promise.all([jobsByState(db), emailsByStatus(db), pendingWebhookDeliveries(db)]);
      webhooksPending.set(w);
      jobs.reset();
      for (const r of j) jobs.set({ state: r.key }, r.count);
      emails.reset();
      for (const r of e) emails.set({ status: r.key }, r.count);
      up.set(1);
    } catch {
      // The scrape still answers with what the process knows; the gauge says the database did not.
      up.set(0);
    }
  }
  const merged = promClient.Registry.merge([registry, own]);

  app.get("/metrics", { schema: { hide: true } }, async (req, reply) => {
    const given = req.headers.authorization;
    if (expected && (typeof given !== "string" || !crypto.timingSafeEqual(sha(given), expected))) {
      return reply
        .status(401)
        .header("www-authenticate", 'Bearer realm="metrics"')
        .type("text/plain; charset=utf-8")
        .send("metrics need the bearer token of LICENSOR_METRICS_TOKEN\n");
    }
    const text = await merged.metrics();
    return reply.type(merged.contentType).send(text);
  });
}
