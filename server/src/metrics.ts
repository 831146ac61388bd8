import client from "prom-client";

/**
 * The process's Prometheus metrics (prom-client), served at `/metrics` when enabled
 * (routes/metrics.ts). Counters and histograms live here, at the bottom floor, so the few places
 * that observe something (the HTTP hook, redemption attempts, key loads, the job runner) import
 * them without climbing; what the database knows (queue depth, the outbox, keys by status) is read
 * at scrape time instead, so every process reports the same truth and no write path pays for it.
 */
export const registry = new client.Registry();

let defaults = false;
/**
 * Process CPU, memory, event loop lag and file descriptors (prom-client's defaults), from when
 * metrics are served: the event loop monitor is not started in processes that never report (the
 * CLI, a server without metrics).
 */
export function collectProcessMetrics(): void {
  if (defaults) return;
  defaults = true;
  client.collectDefaultMetrics({ register: registry, prefix: "licensor_" });
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpRequests = new client.Counter({
  name: "licensor_http_requests_total",
  help: "HTTP requests answered, by method, route pattern and status class",
  labelNames: ["method", "route", "status_class"] as const,
  registers: [registry],
});

export const httpDuration = new client.Histogram({
  name: "licensor_http_request_duration_seconds",
  help: "Time from request to response, by method, route pattern and status class",
  labelNames: ["method", "route", "status_class"] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const redemptions = new client.Counter({
  name: "licensor_redemptions_total",
  help: "Key redemption attempts (redemptions and registrations with a key), by result: redeemed, or the refusal's error code",
  labelNames: ["result"] as const,
  registers: [registry],
});

export const keyLoads = new client.Counter({
  name: "licensor_key_loads_total",
  help: "Key loads (generated, listed or from a file) finished in this process, by status of their report",
  labelNames: ["status"] as const,
  registers: [registry],
});

export const keysLoaded = new client.Counter({
  name: "licensor_keys_loaded_total",
  help: "Keys written by the key loads of this process",
  registers: [registry],
});

export const jobDuration = new client.Histogram({
  name: "licensor_job_duration_seconds",
  help: "How long the jobs this process ran took, by job type and outcome (succeeded, failed, released, lost)",
  labelNames: ["type", "outcome"] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600],
  registers: [registry],
});

type Child = { inc(): void };
type TimerChild = { observe(v: number): void };
const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/**
 * The HTTP series of one route pattern and method, made once: the request hook only picks the
 * status class's pair and observes, with no label object or string built per request.
 */
export interface RouteSeries {
  count: Child[];
  duration: TimerChild[];
}

const routeSeries = new Map<string, Map<string, RouteSeries>>();

export function seriesOf(method: string, route: string): RouteSeries {
  let byRoute = routeSeries.get(method);
  if (!byRoute) {
    byRoute = new Map();
    routeSeries.set(method, byRoute);
  }
  let s = byRoute.get(route);
  if (!s) {
    s = {
      count: STATUS_CLASSES.map((c) => httpRequests.labels(method, route, c)),
      duration: STATUS_CLASSES.map((c) => httpDuration.labels(method, route, c)),
    };
    byRoute.set(route, s);
  }
  return s;
}

/** Counts one answered request: `seconds` from its arrival, `status` the HTTP status sent. */
export function observeRequest(s: RouteSeries, status: number, seconds: number): void {
  const i = Math.min(4, Math.max(0, Math.floor(status / 100) - 1));
  (s.count[i] as Child).inc();
  (s.duration[i] as TimerChild).observe(seconds);
}

const redemptionResults = new Map<string, Child>();
/** One redemption attempt's result: `redeemed`, or its refusal's error code (`not_found`, `throttled`…). */
export function countRedemption(result: string): void {
  let c = redemptionResults.get(result);
  if (!c) {
    c = redemptions.labels(result);
    redemptionResults.set(result, c);
  }
  c.inc();
}

export { client as promClient };

export const webhookDeliveries = new client.Counter({
  name: "licensor_webhook_deliveries_total",
  help: "Webhook delivery attempts made by this process, by result: succeeded, retrying (failed, to be tried again) or failed (given up)",
  labelNames: ["result"] as const,
  registers: [registry],
});

export const webhookDeliveryDuration = new client.Histogram({
  name: "licensor_webhook_delivery_duration_seconds",
  help: "How long webhook receivers took to answer an attempt (or to fail it), from the request to the answer",
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});
