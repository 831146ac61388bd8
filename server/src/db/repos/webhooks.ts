import { PostgresAdapter, sql } from "kysely";
import { newestFirst, type Page, type PageRequest } from "../paging.js";
import type {
  Db,
  Trx,
  WebhookDeliveriesTable,
  WebhookDeliveryAttemptsTable,
  WebhookDeliveryStatus,
  WebhookEndpointsTable,
} from "../schema.js";
import type { EventPosition } from "./events.js";

export type WebhookEndpointRow = WebhookEndpointsTable;

/** An endpoint with its deliveries counted by status (what its JSON shows). */
export type WebhookEndpointRecord = WebhookEndpointRow & { counts: Record<WebhookDeliveryStatus, number> };

/** The endpoints' deliveries by status, in one grouped read. */
async function withCounts(db: Db | Trx, rows: WebhookEndpointRow[]): Promise<WebhookEndpointRecord[]> {
  if (rows.length === 0) return [];
  const counts = await db
    .selectFrom("webhook_deliveries")
    .select(["endpoint_id", "status", (eb) => eb.fn.countAll<number>().as("n")])
    .where(
      "endpoint_id",
      "in",
      rows.map((r) => r.id),
    )
    .groupBy(["endpoint_id", "status"])
    .execute();
  return rows.map((r) => {
    const c: Record<WebhookDeliveryStatus, number> = { PENDING: 0, SUCCEEDED: 0, FAILED: 0 };
    for (const x of counts) if (x.endpoint_id === r.id) c[x.status] = Number(x.n);
    return { ...r, counts: c };
  });
}

export async function findWebhookEndpointRecord(db: Db | Trx, id: string): Promise<WebhookEndpointRecord | undefined> {
  const row = await findWebhookEndpoint(db, id);
  return row ? (await withCounts(db, [row]))[0] : undefined;
}
export type WebhookAttemptRow = WebhookDeliveryAttemptsTable & { id: number };

/** A delivery with its attempts, newest last. */
export interface WebhookDeliveryRecord {
  delivery: WebhookDeliveriesTable;
  attempts: WebhookAttemptRow[];
}

export async function findWebhookEndpoint(db: Db | Trx, id: string): Promise<WebhookEndpointRow | undefined> {
  return db.selectFrom("webhook_endpoints").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Endpoints newest first (ids are time-ordered). */
export async function listWebhookEndpoints(db: Db, page: PageRequest): Promise<Page<WebhookEndpointRecord>> {
  const p = await newestFirst(db.selectFrom("webhook_endpoints").selectAll(), "id", page);
  return { items: await withCounts(db, p.items), nextCursor: p.nextCursor };
}

/** The ids of the endpoints events are fanned out to. */
export async function enabledWebhookEndpointIds(db: Db): Promise<string[]> {
  const rows = await db.selectFrom("webhook_endpoints").select("id").where("enabled", "=", 1).execute();
  return rows.map((r) => r.id);
}

/** The stream's current end: where an endpoint created now starts (it gets no past events). */
export async function eventStreamEnd(db: Db | Trx): Promise<EventPosition> {
  const last = await db
    .selectFrom("events")
    .select(["tx_id", "seq"])
    .orderBy("tx_id", "desc")
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
  return last ? { txId: Number(last.tx_id), seq: Number(last.seq) } : { txId: 0, seq: 0 };
}

/** An endpoint's deliveries newest first, optionally of one status. */
export async function listWebhookDeliveries(
  db: Db,
  endpointId: string,
  filter: { status?: WebhookDeliveryStatus | undefined },
  page: PageRequest,
): Promise<Page<WebhookDeliveriesTable>> {
  let q = db.selectFrom("webhook_deliveries").selectAll().where("endpoint_id", "=", endpointId);
  if (filter.status) q = q.where("status", "=", filter.status);
  return newestFirst(q, "id", page);
}

export async function findWebhookDelivery(db: Db | Trx, id: string): Promise<WebhookDeliveryRecord | undefined> {
  const delivery = await db.selectFrom("webhook_deliveries").selectAll().where("id", "=", id).executeTakeFirst();
  if (!delivery) return undefined;
  const attempts = (await db
    .selectFrom("webhook_delivery_attempts")
    .selectAll()
    .where("delivery_id", "=", id)
    .orderBy("id")
    .execute()) as WebhookAttemptRow[];
  return { delivery, attempts };
}

/**
 * Deliveries whose attempt is due, not owned by a job, of an enabled endpoint, and first in their
 * line: none earlier in the stream for the same endpoint and entitlement is still PENDING (the
 * order per entitlement). Oldest due first.
 */
export async function dueWebhookDeliveries(
  db: Db,
  now: string,
  limit: number,
): Promise<{ id: string; endpoint_id: string; entitlement_id: string | null }[]> {
  return db
    .selectFrom("webhook_deliveries as d")
    .innerJoin("webhook_endpoints as e", "e.id", "d.endpoint_id")
    .select(["d.id", "d.endpoint_id", "d.entitlement_id"])
    .where("d.status", "=", "PENDING")
    .where("d.claim", "is", null)
    .where("d.next_attempt_at", "<=", now)
    .where("e.enabled", "=", 1)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("webhook_deliveries as p")
            .select(sql`1`.as("one"))
            .whereRef("p.endpoint_id", "=", "d.endpoint_id")
            .whereRef("p.entitlement_id", "=", "d.entitlement_id")
            .where("p.status", "=", "PENDING")
            .where((eb) =>
              eb.or([
                eb("p.event_tx_id", "<", eb.ref("d.event_tx_id")),
                eb.and([eb("p.event_tx_id", "=", eb.ref("d.event_tx_id")), eb("p.event_seq", "<", eb.ref("d.event_seq"))]),
              ]),
            ),
        ),
      ),
    )
    .orderBy("d.next_attempt_at")
    .limit(limit)
    .execute();
}

/** The first PENDING delivery in an (endpoint, entitlement) line: the only one of the line that may go next. */
export async function headOfLine(db: Db, endpointId: string, entitlementId: string): Promise<WebhookDeliveriesTable | undefined> {
  return db
    .selectFrom("webhook_deliveries")
    .selectAll()
    .where("endpoint_id", "=", endpointId)
    .where("entitlement_id", "=", entitlementId)
    .where("status", "=", "PENDING")
    .orderBy("event_tx_id")
    .orderBy("event_seq")
    .limit(1)
    .executeTakeFirst();
}

/** Deliveries not finished yet, for the pending gauge. */
export async function pendingWebhookDeliveries(db: Db): Promise<number> {
  const r = await db
    .selectFrom("webhook_deliveries")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("status", "=", "PENDING")
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** An attempt's outcome for its delivery row, and its log row. */
export interface WebhookAttemptWrite {
  deliveryId: string;
  outcome: Pick<
    WebhookDeliveriesTable,
    "status" | "attempts" | "next_attempt_at" | "delivered_at" | "last_status_code" | "last_error" | "last_duration_ms"
  >;
  attempt: Pick<WebhookDeliveryAttemptsTable, "attempted_at" | "trigger" | "response_snippet">;
}

/** Rows a write takes at most: 11 values a row stay under SQLite's 999 bound parameters. */
export const ATTEMPT_WRITE_MAX = 80;

/**
 * Writes attempts' outcomes to their deliveries and their log rows, each only while the delivery
 * is still PENDING under `claim` (the job still owns it); returns the IDs written. All or none:
 * on PostgreSQL one statement (the UPDATE and the INSERT in data-modifying CTEs: one round trip
 * however many rows), on SQLite one transaction of two.
 */
export async function writeWebhookAttempts(db: Db, claim: string, writes: WebhookAttemptWrite[]): Promise<Set<string>> {
  if (writes.length === 0) return new Set();
  if (writes.length > ATTEMPT_WRITE_MAX) throw new Error(`at most ${ATTEMPT_WRITE_MAX} attempts a write`);
  const now = new Date().toISOString();
  const int = (v: number | null) => sql`CAST(${v} AS integer)`;
  const text = (v: string | null) => sql`CAST(${v} AS text)`;
  const values = sql.join(
    writes.map(
      ({ deliveryId: id, outcome: o, attempt: a }) =>
        sql`(${text(id)}, ${text(o.status)}, ${int(o.attempts)}, ${text(o.next_attempt_at)}, ${text(o.delivered_at)}, ${int(o.last_status_code)}, ${text(o.last_error)}, ${int(o.last_duration_ms)}, ${text(a.attempted_at)}, ${text(a.trigger)}, ${text(a.response_snippet)})`,
    ),
  );
  const v = sql`v (id, status, attempts, next_attempt_at, delivered_at, last_status_code, last_error, last_duration_ms, attempted_at, trigger, response_snippet) AS (VALUES ${values})`;
  const update = sql`UPDATE webhook_deliveries SET
      status = v.status, attempts = v.attempts, next_attempt_at = v.next_attempt_at, delivered_at = v.delivered_at,
      last_status_code = v.last_status_code, last_error = v.last_error, last_duration_ms = v.last_duration_ms,
      claim = NULL, next_trigger = 'AUTO', updated_at = ${now}
    FROM v
    WHERE webhook_deliveries.id = v.id AND webhook_deliveries.claim = ${claim} AND webhook_deliveries.status = 'PENDING'
    RETURNING webhook_deliveries.id`;
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    const r = await sql<{ id: string }>`WITH ${v}, u AS (${update}),
      i AS (INSERT INTO webhook_delivery_attempts (delivery_id, attempted_at, trigger, status_code, error, duration_ms, response_snippet)
        SELECT v.id, v.attempted_at, v.trigger, v.last_status_code, v.last_error, v.last_duration_ms, v.response_snippet FROM v JOIN u ON u.id = v.id)
      SELECT id FROM u`.execute(db);
    return new Set(r.rows.map((x) => x.id));
  }
  return db.transaction().execute(async (trx) => {
    const r = await sql<{ id: string }>`WITH ${v} ${update}`.execute(trx);
    const written = new Set(r.rows.map((x) => x.id));
    const rows = writes
      .filter((w) => written.has(w.deliveryId))
      .map((w) => ({
        delivery_id: w.deliveryId,
        attempted_at: w.attempt.attempted_at,
        trigger: w.attempt.trigger,
        status_code: w.outcome.last_status_code,
        error: w.outcome.last_error,
        duration_ms: w.outcome.last_duration_ms ?? 0,
        response_snippet: w.attempt.response_snippet,
      }));
    if (rows.length > 0) await trx.insertInto("webhook_delivery_attempts").values(rows).execute();
    return written;
  });
}
