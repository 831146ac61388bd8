import type { Insertable } from "kysely";
import type { EventType } from "../../../../common/src/enums.js";
import type { RequestContext } from "../../actor.js";
import { newId, nowIso } from "../../util.js";
import type { EventsTable, Trx } from "../schema.js";

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
