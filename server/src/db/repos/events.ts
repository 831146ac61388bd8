import { type Insertable, PostgresAdapter, type Selectable, sql } from "kysely";
import type { EventType } from "../../../../common/src/enums.js";
import type { RequestContext } from "../../actor.js";
import { newId, nowIso } from "../../util.js";
import type { Db, EventsTable, Trx } from "../schema.js";

/** A domain event as a command records it, inside the transaction of the change it describes. */
export interface DomainEvent {
  type: EventType;
  /** What the event is about: "entitlement", "line_item", "key", "fulfillment", "account", "job"… */
  subjectType: string;
  subjectId: string;
  /** The entitlement it concerns (its delivery order key), when there is one. */
  entitlementId?: string | null;
  /** The account it concerns (an entitlement's sold-to, a key's redeeming customer), when there is one. */
  accountId?: string | null;
  /** The webhook's `data`: what the receiver needs without calling back (FNO's notification fields). */
  data: Record<string, unknown>;
}

/** The rows for events, for a caller that writes them with its own statement (the redemption's hot path). */
export function eventRows(ctx: RequestContext | null, events: DomainEvent[]): Insertable<EventsTable>[] {
  const at = nowIso();
  return events.map((e) => ({
    id: `evt_${newId().replaceAll("-", "")}`,
    type: e.type,
    occurred_at: at,
    subject_type: e.subjectType,
    subject_id: e.subjectId,
    entitlement_id: e.entitlementId ?? null,
    account_id: e.accountId ?? null,
    request_id: ctx?.requestId ?? null,
    payload: JSON.stringify(e.data),
  }));
}

/**
 * Appends events inside the caller's transaction: they exist exactly when the change commits
 * (`tx_id` is set by PostgreSQL itself; see migration 0021 for why readers need it).
 */
export async function recordEvents(trx: Trx, ctx: RequestContext | null, events: DomainEvent[]): Promise<void> {
  if (events.length === 0) return;
  await trx.insertInto("events").values(eventRows(ctx, events)).execute();
}

export type EventRow = Selectable<EventsTable>;

/** Where a reader of the event stream stands: after the event (txId, seq). The start is {0, 0}. */
export interface EventPosition {
  txId: number;
  seq: number;
}

export const EVENT_STREAM_START: EventPosition = { txId: 0, seq: 0 };

export interface EventStreamFilter {
  types?: readonly string[] | undefined;
  entitlementId?: string | undefined;
}

/**
 * The committed events after `from`, oldest first, at most `limit`: the one read of the stream for
 * the events API and webhook fan-out. It never passes an event that could still appear before the
 * position it returns: on PostgreSQL only transactions older than the oldest one still running are
 * read (see migration 0021); on SQLite, with one writer, everything committed is final. An event is
 * returned once per reader that advances its position to the last row returned.
 */
export async function eventsAfter(
  db: Db | Trx,
  from: EventPosition,
  limit: number,
  filter: EventStreamFilter = {},
): Promise<EventRow[]> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  let q = db
    .selectFrom("events")
    .selectAll()
    .where((eb) => eb.or([eb("tx_id", ">", from.txId), eb.and([eb("tx_id", "=", from.txId), eb("seq", ">", from.seq)])]));
  if (pg) q = q.where("tx_id", "<", sql<number>`pg_snapshot_xmin(pg_current_snapshot())::text::bigint`);
  if (filter.types?.length) q = q.where("type", "in", filter.types);
  if (filter.entitlementId) q = q.where("entitlement_id", "=", filter.entitlementId);
  return q.orderBy("tx_id").orderBy("seq").limit(limit).execute();
}

export const positionOf = (e: Pick<EventRow, "tx_id" | "seq">): EventPosition => ({ txId: e.tx_id, seq: e.seq });
