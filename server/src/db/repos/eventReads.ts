import type { Db } from "../schema.js";
import type { EventRow, EventStreamFilter } from "./events.js";

/**
 * Reads of the event table besides the stream (`eventsAfter` in ./events.ts, the one read that
 * pollers and webhook fan-out page forward with): one event by id, and the newest first for
 * people looking at the portal, where a row committed out of order showing up later is harmless.
 */
export async function findEvent(db: Db, id: string): Promise<EventRow | undefined> {
  return db.selectFrom("events").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Newest first, below `beforeSeq` (keyset on `seq`), at most `limit`. */
export async function eventsNewestFirst(
  db: Db,
  beforeSeq: number | null,
  limit: number,
  filter: EventStreamFilter = {},
): Promise<EventRow[]> {
  let q = db.selectFrom("events").selectAll();
  if (beforeSeq !== null) q = q.where("seq", "<", beforeSeq);
  if (filter.types?.length) q = q.where("type", "in", filter.types);
  if (filter.entitlementId) q = q.where("entitlement_id", "=", filter.entitlementId);
  return q.orderBy("seq", "desc").limit(limit).execute();
}
