import { Webhook } from "standardwebhooks";
import type { Config } from "../config.js";
import type { Db, WebhookAttemptTrigger, WebhookDeliveriesTable } from "../db/schema.js";
import { webhookDeliveries, webhookDeliveryDuration } from "../metrics.js";
import { nowIso } from "../util.js";
import { openWebhookSecret } from "./secret.js";
import { postWebhook, type SendResult } from "./send.js";

export type WebhookConfig = Pick<
  Config,
  | "dataDir"
  | "signingKeySecret"
  | "webhookAllowPrivateNetworks"
  | "webhookTimeoutMs"
  | "webhookRetryBaseMs"
  | "webhookRetryMaxMs"
  | "webhookRetryWindowMs"
>;

/** The body of a webhook (Standard Webhooks): the event's type, when it happened, and its data. */
export function webhookBody(e: { type: string; occurred_at: string; payload: string }): string {
  return `{"type":${JSON.stringify(e.type)},"timestamp":${JSON.stringify(e.occurred_at)},"data":${e.payload}}`;
}

/**
 * The wait before the next attempt after `attempts` failed ones: the base doubled each time up to
 * the cap, then between half and all of it at random (jitter), so receivers coming back from an
 * outage are not hit by every sender's retries in the same second.
 */
export function retryDelayMs(config: Pick<Config, "webhookRetryBaseMs" | "webhookRetryMaxMs">, attempts: number): number {
  const full = Math.min(config.webhookRetryMaxMs, config.webhookRetryBaseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(full * (0.5 + Math.random() * 0.5));
}

/** What a delivery becomes after an attempt. */
export type AttemptOutcome = Pick<
  WebhookDeliveriesTable,
  "status" | "attempts" | "next_attempt_at" | "last_status_code" | "last_error" | "last_duration_ms" | "delivered_at"
>;

export function outcomeOf(
  config: Pick<Config, "webhookRetryBaseMs" | "webhookRetryMaxMs">,
  d: Pick<WebhookDeliveriesTable, "attempts" | "deadline_at" | "delivered_at">,
  r: SendResult,
  now = Date.now(),
): AttemptOutcome {
  const attempts = d.attempts + 1;
  const last = { last_status_code: r.statusCode, last_error: r.error, last_duration_ms: r.durationMs };
  if (r.ok) return { status: "SUCCEEDED", attempts, next_attempt_at: null, delivered_at: new Date(now).toISOString(), ...last };
  const next = now + retryDelayMs(config, attempts);
  if (next > Date.parse(d.deadline_at))
    return { status: "FAILED", attempts, next_attempt_at: null, delivered_at: d.delivered_at, ...last };
  return { status: "PENDING", attempts, next_attempt_at: new Date(next).toISOString(), delivered_at: d.delivered_at, ...last };
}

/** A delivery owned by a job's claim, with what sending it needs. */
interface ClaimedDelivery {
  delivery: WebhookDeliveriesTable;
  url: string;
  secretSealed: string;
  type: string;
  occurredAt: string;
  payload: string;
}

async function claimed(db: Db, claim: string, id?: string): Promise<ClaimedDelivery[]> {
  let q = db
    .selectFrom("webhook_deliveries as d")
    .innerJoin("webhook_endpoints as e", "e.id", "d.endpoint_id")
    .innerJoin("events as v", "v.id", "d.event_id")
    .selectAll("d")
    .select(["e.url", "e.secret_sealed", "v.type as v_type", "v.occurred_at as v_occurred_at", "v.payload as v_payload"])
    .where("d.claim", "=", claim)
    .where("d.status", "=", "PENDING");
  if (id) q = q.where("d.id", "=", id);
  const rows = await q.execute();
  return rows.map(({ url, secret_sealed, v_type, v_occurred_at, v_payload, ...delivery }) => ({
    delivery,
    url,
    secretSealed: secret_sealed,
    type: v_type,
    occurredAt: v_occurred_at,
    payload: v_payload,
  }));
}

/**
 * One attempt at a claimed delivery: signed per Standard Webhooks (`webhook-id` is the event's id,
 * the same on every attempt, so a receiver spots a retried duplicate), sent, and its outcome and
 * attempt log written together, only while the claim is still this job's. Returns the outcome, or
 * null when the claim was lost meanwhile (the endpoint deleted, the job taken over).
 */
async function attempt(
  deps: { db: Db; config: WebhookConfig },
  claim: string,
  c: ClaimedDelivery,
): Promise<AttemptOutcome | null> {
  const { db, config } = deps;
  const body = webhookBody({ type: c.type, occurred_at: c.occurredAt, payload: c.payload });
  let result: SendResult;
  try {
    const secret = openWebhookSecret(config, c.delivery.endpoint_id, c.secretSealed);
    const at = new Date();
    const signature = new Webhook(secret).sign(c.delivery.event_id, at, body);
    result = await postWebhook({
      url: c.url,
      body,
      headers: {
        "webhook-id": c.delivery.event_id,
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": signature,
      },
      timeoutMs: config.webhookTimeoutMs,
      allowPrivate: config.webhookAllowPrivateNetworks,
    });
  } catch (err) {
    // The secret cannot be opened (the key-encryption secret changed): an attempt that failed here.
    result = { ok: false, statusCode: null, error: `not sent: ${(err as Error).message}`, durationMs: 0, snippet: null };
  }
  const outcome = outcomeOf(config, c.delivery, result);
  const trigger: WebhookAttemptTrigger = c.delivery.next_trigger;
  const recorded = await db.transaction().execute(async (trx) => {
    const res = await trx
      .updateTable("webhook_deliveries")
      .set({ ...outcome, claim: null, next_trigger: "AUTO", updated_at: nowIso() })
      .where("id", "=", c.delivery.id)
      .where("claim", "=", claim)
      .where("status", "=", "PENDING")
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return false;
    await trx
      .insertInto("webhook_delivery_attempts")
      .values({
        delivery_id: c.delivery.id,
        attempted_at: new Date(Date.now() - result.durationMs).toISOString(),
        trigger,
        status_code: result.statusCode,
        error: result.error,
        duration_ms: result.durationMs,
        response_snippet: result.snippet,
      })
      .execute();
    return true;
  });
  if (!recorded) return null;
  webhookDeliveries
    .labels(outcome.status === "SUCCEEDED" ? "succeeded" : outcome.status === "FAILED" ? "failed" : "retrying")
    .inc();
  webhookDeliveryDuration.observe(result.durationMs / 1000);
  return outcome;
}

/** How many deliveries of one claim are sent at once; deliveries of one line never are. */
const CONCURRENCY = 8;
/** At most this many deliveries per job: a long line lets other jobs run in between. */
const MAX_PER_JOB = 1000;

export interface ClaimReport {
  succeeded: number;
  retrying: number;
  failed: number;
}

/**
 * Works through a `webhook.deliver` job's claim: every delivery it owns, a few at a time. When one
 * succeeds, the next of its (endpoint, entitlement) line, if due and free, is claimed and sent in
 * the same slot, so a line of many events moves without waiting for the dispatcher's next look.
 */
export async function deliverClaim(
  deps: { db: Db; config: WebhookConfig },
  claim: string,
  cancelled: () => boolean,
): Promise<ClaimReport> {
  const report: ClaimReport = { succeeded: 0, retrying: 0, failed: 0 };
  const queue = await claimed(deps.db, claim);
  let sent = 0;
  const worker = async () => {
    for (let c = queue.shift(); c && !cancelled(); c = queue.shift()) {
      const o = await attempt(deps, claim, c);
      sent++;
      if (!o) continue;
      if (o.status === "SUCCEEDED") report.succeeded++;
      else if (o.status === "FAILED") report.failed++;
      else report.retrying++;
      if (o.status !== "PENDING" && c.delivery.entitlement_id && sent < MAX_PER_JOB) {
        const next = await claimNextInLine(deps.db, claim, c.delivery.endpoint_id, c.delivery.entitlement_id);
        if (next) queue.unshift(next);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return report;
}

async function claimNextInLine(
  db: Db,
  claim: string,
  endpointId: string,
  entitlementId: string,
): Promise<ClaimedDelivery | null> {
  const head = await db
    .selectFrom("webhook_deliveries")
    .select(["id", "claim", "next_attempt_at"])
    .where("endpoint_id", "=", endpointId)
    .where("entitlement_id", "=", entitlementId)
    .where("status", "=", "PENDING")
    .orderBy("event_tx_id")
    .orderBy("event_seq")
    .limit(1)
    .executeTakeFirst();
  const now = nowIso();
  if (!head || head.claim !== null || !head.next_attempt_at || head.next_attempt_at > now) return null;
  const res = await db
    .updateTable("webhook_deliveries")
    .set({ claim })
    .where("id", "=", head.id)
    .where("status", "=", "PENDING")
    .where("claim", "is", null)
    .where("next_attempt_at", "<=", now)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) return null;
  return (await claimed(db, claim, head.id))[0] ?? null;
}

/** A job that ended with deliveries still claimed (stopped, failed): they become free again, due as they were. */
export async function releaseClaim(db: Db, claim: string): Promise<void> {
  await db.updateTable("webhook_deliveries").set({ claim: null }).where("claim", "=", claim).execute();
}
