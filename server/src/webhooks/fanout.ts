import type { Insertable } from "kysely";
import { isUniqueViolation } from "../db/constraints.js";
import { type EventRow, eventsAfter, positionOf } from "../db/repos/events.js";
import type { Db, WebhookDeliveriesTable } from "../db/schema.js";
import { newId } from "../util.js";

/** Events read per fan-out transaction. */
export const FAN_OUT_BATCH = 500;

/**
 * Whether an endpoint's filter takes an event type: an exact type, `subject.*` (every type of the
 * subject) or `*`. `webhook.test` is never fanned out: a test event goes to the one endpoint it
 * was sent to.
 */
export function filterTakes(patterns: readonly string[], type: string): boolean {
  if (type === "webhook.test") return false;
  return patterns.some((p) => p === "*" || p === type || (p.endsWith(".*") && type.startsWith(p.slice(0, -1))));
}

/** The delivery row of one event for one endpoint. */
export function deliveryRow(
  endpointId: string,
  e: Pick<EventRow, "id" | "type" | "tx_id" | "seq" | "entitlement_id">,
  retryWindowMs: number,
  now = new Date(),
): Insertable<WebhookDeliveriesTable> {
  const at = now.toISOString();
  return {
    id: newId(),
    endpoint_id: endpointId,
    event_id: e.id,
    event_type: e.type,
    event_tx_id: Number(e.tx_id),
    event_seq: Number(e.seq),
    entitlement_id: e.entitlement_id,
    status: "PENDING",
    attempts: 0,
    next_attempt_at: at,
    deadline_at: new Date(now.getTime() + retryWindowMs).toISOString(),
    claim: null,
    next_trigger: "AUTO",
    last_status_code: null,
    last_error: null,
    last_duration_ms: null,
    delivered_at: null,
    created_at: at,
    updated_at: at,
  };
}

class PositionMoved extends Error {}

/**
 * One step of an endpoint's fan-out: the events after its position (the stream's one read, fenced
 * on PostgreSQL), a delivery for each its filter takes, and the position moved past them, all in
 * one transaction. The position moves by a conditional UPDATE (WHERE it is still the one read):
 * when two processes fan out the same endpoint at once, one commits and the other rolls back, and
 * the unique (endpoint, event) refuses any duplicate besides. Returns how many events were read
 * (0: caught up, or disabled, or another process moved first).
 */
export async function fanOutStep(db: Db, endpointId: string, retryWindowMs: number, batch = FAN_OUT_BATCH): Promise<number> {
  try {
    return await db.transaction().execute(async (trx) => {
      const ep = await trx
        .selectFrom("webhook_endpoints")
        .select(["event_types", "position_tx_id", "position_seq"])
        .where("id", "=", endpointId)
        .where("enabled", "=", 1)
        .executeTakeFirst();
      if (!ep) return 0;
      const from = { txId: Number(ep.position_tx_id), seq: Number(ep.position_seq) };
      const events = await eventsAfter(trx, from, batch);
      const last = events.at(-1);
      if (!last) return 0;
      const patterns = JSON.parse(ep.event_types) as string[];
      const now = new Date();
      const rows = events.filter((e) => filterTakes(patterns, e.type)).map((e) => deliveryRow(endpointId, e, retryWindowMs, now));
      for (let i = 0; i < rows.length; i += 200)
        await trx
          .insertInto("webhook_deliveries")
          .values(rows.slice(i, i + 200))
          .execute();
      const to = positionOf(last);
      const moved = await trx
        .updateTable("webhook_endpoints")
        .set({ position_tx_id: to.txId, position_seq: to.seq })
        .where("id", "=", endpointId)
        .where("position_tx_id", "=", from.txId)
        .where("position_seq", "=", from.seq)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) throw new PositionMoved();
      return events.length;
    });
  } catch (err) {
    if (err instanceof PositionMoved || isUniqueViolation(err)) return 0;
    throw err;
  }
}

/** Fans an endpoint out until it has caught up with the stream (or another process took over). */
export async function fanOut(db: Db, endpointId: string, retryWindowMs: number): Promise<number> {
  // The common case, nothing new: one read, no transaction (every process looks every second).
  const ep = await db
    .selectFrom("webhook_endpoints")
    .select(["position_tx_id", "position_seq"])
    .where("id", "=", endpointId)
    .executeTakeFirst();
  if (!ep) return 0;
  const ahead = await eventsAfter(db, { txId: Number(ep.position_tx_id), seq: Number(ep.position_seq) }, 1);
  if (ahead.length === 0) return 0;
  let n = 0;
  for (;;) {
    const read = await fanOutStep(db, endpointId, retryWindowMs);
    n += read;
    if (read < FAN_OUT_BATCH) return n;
  }
}
