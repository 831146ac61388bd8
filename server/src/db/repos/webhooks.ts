import { sql } from "kysely";
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
export async function dueWebhookDeliveries(db: Db, now: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("webhook_deliveries as d")
    .innerJoin("webhook_endpoints as e", "e.id", "d.endpoint_id")
    .select("d.id")
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
  return rows.map((r) => r.id);
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
