import type { EventType } from "../../../common/src/enums.js";
import type { RequestContext } from "../actor.js";
import { type EntitlementRecord, findEntitlementRecord, type LineItemFull } from "../db/repos/entitlements.js";
import { recordEvents } from "../db/repos/events.js";
import { keyCounts } from "../db/repos/keys.js";
import type { Trx } from "../db/schema.js";
import { accountEvent, entitlementEvent, fulfillmentEvent, keyBatchEvent, lineItemEvent } from "../presenters/events.js";

/**
 * The commands' side of domain events (issue 17): read the subject as it is now, inside the
 * change's transaction, build its payload with the one builder of its subject
 * (presenters/events.ts), and append it to the events table in the same transaction, so the event
 * exists exactly when the change commits and a refused command leaves none.
 */

/** The entitlement's record as the transaction sees it now (what an entitlement/line-item event carries). */
export async function entitlementSnapshot(trx: Trx, pk: string): Promise<EntitlementRecord | undefined> {
  return findEntitlementRecord(trx, pk);
}

/** Records entitlement.* events for an entitlement as it is now in `trx`. */
export async function emitEntitlement(
  trx: Trx,
  ctx: RequestContext | null,
  type: EventType,
  pk: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const r = await findEntitlementRecord(trx, pk);
  if (!r) return;
  const counts = r.row.kind === "BULK" ? await keyCounts(trx, pk) : undefined;
  await recordEvents(trx, ctx, [entitlementEvent(type, r, extra, counts)]);
}

/** Records an entitlement.* event from a record read before the change (entitlement.deleted). */
export async function emitEntitlementRecord(
  trx: Trx,
  ctx: RequestContext | null,
  type: EventType,
  r: EntitlementRecord,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await recordEvents(trx, ctx, [entitlementEvent(type, r, extra)]);
}

/** Records line_item.* events for line items of one entitlement (by id or activation ID) as they are now in `trx`. */
export async function emitLineItems(
  trx: Trx,
  ctx: RequestContext | null,
  type: EventType,
  entitlementPk: string,
  lineItems: string[],
  extra: Record<string, unknown> = {},
): Promise<void> {
  const r = await findEntitlementRecord(trx, entitlementPk);
  if (!r) return;
  const wanted = new Set(lineItems);
  const events = r.lineItems
    .filter((li) => li.role === "LINE_ITEM" && (wanted.has(li.id) || (li.activation_id !== null && wanted.has(li.activation_id))))
    .map((li) => lineItemEvent(type, r, li, extra));
  await recordEvents(trx, ctx, events);
}

/** Records a line_item.deleted event: the line item as it was, its entitlement as it is now. */
export async function emitRemovedLineItem(
  trx: Trx,
  ctx: RequestContext | null,
  entitlementPk: string,
  removed: LineItemFull,
): Promise<void> {
  const r = await findEntitlementRecord(trx, entitlementPk);
  if (!r) return;
  await recordEvents(trx, ctx, [lineItemEvent("line_item.deleted", r, removed)]);
}

/** key.loaded / key.deleted: one event for the whole load or removal, with its count. */
export async function emitKeyBatch(
  trx: Trx,
  ctx: RequestContext | null,
  type: "key.loaded" | "key.deleted",
  bulkPk: string,
  d: { count: number; verb?: string; jobId?: string | null; loadId?: string | null; rejected?: number },
): Promise<void> {
  const bulk = await trx
    .selectFrom("entitlements")
    .select(["id", "entitlement_id", "key_count", "redeemed_count"])
    .where("id", "=", bulkPk)
    .executeTakeFirst();
  if (!bulk) return;
  const counts = await keyCounts(trx, bulkPk);
  const b = counts ? { ...bulk, key_count: counts.total, redeemed_count: counts.redeemed } : bulk;
  await recordEvents(trx, ctx, [keyBatchEvent(type, b, d)]);
}

/** fulfillment.* events for a fulfillment as it is now in `trx`. */
export async function emitFulfillment(
  trx: Trx,
  ctx: RequestContext | null,
  type: EventType,
  fulfillmentPk: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const f = await trx.selectFrom("fulfillments").selectAll().where("id", "=", fulfillmentPk).executeTakeFirst();
  if (!f) return;
  // A redeemed entitlement's activation ID is a key: masked in the event.
  const e = await trx.selectFrom("entitlements").select("parent_bulk_id").where("id", "=", f.entitlement_pk).executeTakeFirst();
  await recordEvents(trx, ctx, [fulfillmentEvent(type, f, extra, e?.parent_bulk_id ? [f.activation_id] : [])]);
}

/** account.* events for an account as it is now in `trx` (or as it was, for account.deleted). */
export async function emitAccount(
  trx: Trx,
  ctx: RequestContext | null,
  type: EventType,
  accountId: string,
  extra: Record<string, unknown> = {},
  before?: Parameters<typeof accountEvent>[1],
): Promise<void> {
  const a = before ?? (await trx.selectFrom("accounts").selectAll().where("id", "=", accountId).executeTakeFirst());
  if (!a) return;
  await recordEvents(trx, ctx, [accountEvent(type, a, extra)]);
}
