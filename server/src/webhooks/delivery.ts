import { Webhook } from "standardwebhooks";
import type { Config } from "../config.js";
import { ATTEMPT_WRITE_MAX, writeWebhookAttempts } from "../db/repos/webhooks.js";
import type { Db, WebhookDeliveriesTable } from "../db/schema.js";
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

async function claimed(db: Db, claim: string): Promise<ClaimedDelivery[]> {
  const rows = await db
    .selectFrom("webhook_deliveries as d")
    .innerJoin("webhook_endpoints as e", "e.id", "d.endpoint_id")
    .innerJoin("events as v", "v.id", "d.event_id")
    .selectAll("d")
    .select(["e.url", "e.secret_sealed", "v.type as v_type", "v.occurred_at as v_occurred_at", "v.payload as v_payload"])
    .where("d.claim", "=", claim)
    .where("d.status", "=", "PENDING")
    .execute();
  return rows.map(({ url, secret_sealed, v_type, v_occurred_at, v_payload, ...delivery }) => ({
    delivery,
    url,
    secretSealed: secret_sealed,
    type: v_type,
    occurredAt: v_occurred_at,
    payload: v_payload,
  }));
}

/** An endpoint's opened secret as a signer, kept while its sealed value is the same (a rotation changes it). */
const signers = new Map<string, { sealed: string; webhook: Webhook }>();

function signerOf(config: WebhookConfig, endpointId: string, sealed: string): Webhook {
  const hit = signers.get(endpointId);
  if (hit?.sealed === sealed) return hit.webhook;
  // Opening reads the key-encryption key and decrypts: once per endpoint, not once per delivery.
  const webhook = new Webhook(openWebhookSecret(config, endpointId, sealed));
  if (signers.size >= 1000) signers.clear();
  signers.set(endpointId, { sealed, webhook });
  return webhook;
}

/**
 * One attempt at a claimed delivery: signed per Standard Webhooks (`webhook-id` is the event's id,
 * the same on every attempt, so a receiver spots a retried duplicate) and sent. Never throws.
 */
async function send(config: WebhookConfig, c: ClaimedDelivery): Promise<SendResult> {
  const body = webhookBody({ type: c.type, occurred_at: c.occurredAt, payload: c.payload });
  try {
    const at = new Date();
    const signature = signerOf(config, c.delivery.endpoint_id, c.secretSealed).sign(c.delivery.event_id, at, body);
    return await postWebhook({
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
    return { ok: false, statusCode: null, error: `not sent: ${(err as Error).message}`, durationMs: 0, snippet: null };
  }
}

interface Attempted {
  c: ClaimedDelivery;
  result: SendResult;
  outcome: AttemptOutcome;
  resolve: (recorded: boolean) => void;
  reject: (err: unknown) => void;
}

/**
 * Writes attempts' outcomes and their log rows, many in one transaction: whatever attempts ended
 * while the previous write ran go together in the next (as a group commit), so a burst of
 * deliveries costs a few commits, not one each. Each outcome is written only while the claim is
 * still the job's (a conditional UPDATE); `record` resolves to whether it was.
 */
class AttemptWriter {
  private pending: Attempted[] = [];
  private writing: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly claim: string,
  ) {}

  record(c: ClaimedDelivery, result: SendResult, outcome: AttemptOutcome): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.pending.push({ c, result, outcome, resolve, reject });
      this.writing ??= this.writeAll();
    });
  }

  private async writeAll(): Promise<void> {
    // One turn of the event loop first: the attempts ending in it join this write.
    await new Promise((r) => setImmediate(r));
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, ATTEMPT_WRITE_MAX);
      try {
        const recorded = await this.write(batch);
        for (const [i, a] of batch.entries()) a.resolve(recorded[i] as boolean);
      } catch (err) {
        for (const a of batch) a.reject(err);
      }
    }
    this.writing = null;
  }

  private async write(batch: Attempted[]): Promise<boolean[]> {
    const written = await writeWebhookAttempts(
      this.db,
      this.claim,
      batch.map(({ c, result, outcome }) => ({
        deliveryId: c.delivery.id,
        outcome,
        attempt: {
          attempted_at: new Date(Date.now() - result.durationMs).toISOString(),
          trigger: c.delivery.next_trigger,
          response_snippet: result.snippet,
        },
      })),
    );
    return batch.map(({ c }) => written.has(c.delivery.id));
  }
}

/** How many lines of one claim are sent at once; the deliveries of one line never are. */
const CONCURRENCY = 8;

export interface ClaimReport {
  succeeded: number;
  retrying: number;
  failed: number;
}

/**
 * The claim's deliveries as lines: those of one (endpoint, entitlement) in the stream's order; a
 * delivery with no entitlement is a line of its own.
 */
export function linesOf<
  T extends { delivery: Pick<WebhookDeliveriesTable, "id" | "endpoint_id" | "entitlement_id" | "event_tx_id" | "event_seq"> },
>(claimed: T[]): T[][] {
  const lines = new Map<string, T[]>();
  for (const c of claimed) {
    const d = c.delivery;
    const key = d.entitlement_id === null ? `id\u0000${d.id}` : `${d.endpoint_id}\u0000${d.entitlement_id}`;
    const line = lines.get(key);
    if (line) line.push(c);
    else lines.set(key, [c]);
  }
  const order = (a: T, b: T) =>
    Number(a.delivery.event_tx_id) - Number(b.delivery.event_tx_id) ||
    Number(a.delivery.event_seq) - Number(b.delivery.event_seq);
  return [...lines.values()].map((l) => l.sort(order));
}

/**
 * Works through a `webhook.deliver` job's claim, a few lines at a time. Each line is sent in
 * order, an attempt only once the one before it is recorded; a line stops at a delivery whose
 * attempt is not due yet or at a failed attempt that will be retried (what follows waits for it),
 * and at a lost claim (the endpoint deleted, the job taken over). What the job did not send goes
 * back unclaimed, due as it was.
 */
export async function deliverClaim(
  deps: { db: Db; config: WebhookConfig },
  claim: string,
  cancelled: () => boolean,
): Promise<ClaimReport> {
  const report: ClaimReport = { succeeded: 0, retrying: 0, failed: 0 };
  const queue = linesOf(await claimed(deps.db, claim));
  const writer = new AttemptWriter(deps.db, claim);
  const worker = async () => {
    for (let line = queue.shift(); line && !cancelled(); line = queue.shift()) {
      for (const c of line) {
        if (cancelled() || (c.delivery.next_attempt_at ?? "") > nowIso()) break;
        const result = await send(deps.config, c);
        const outcome = outcomeOf(deps.config, c.delivery, result);
        if (!(await writer.record(c, result, outcome))) break;
        webhookDeliveries
          .labels(outcome.status === "SUCCEEDED" ? "succeeded" : outcome.status === "FAILED" ? "failed" : "retrying")
          .inc();
        webhookDeliveryDuration.observe(result.durationMs / 1000);
        if (outcome.status === "SUCCEEDED") report.succeeded++;
        else if (outcome.status === "FAILED") report.failed++;
        else {
          report.retrying++;
          break;
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    await releaseClaim(deps.db, claim);
  }
  return report;
}

/** A job that ended with deliveries still claimed (stopped, failed): they become free again, due as they were. */
export async function releaseClaim(db: Db, claim: string): Promise<void> {
  await db.updateTable("webhook_deliveries").set({ claim: null }).where("claim", "=", claim).execute();
}
