import type { Event } from "../../../common/src/api/events.js";
import type { EventType } from "../../../common/src/enums.js";
import { TIER_DISTRIBUTOR, TIER_END_CUSTOMER } from "../../../common/src/enums.js";
import type { EntitlementRecord, LineItemFull, PartnerRow } from "../db/repos/entitlements.js";
import type { DomainEvent, EventRow } from "../db/repos/events.js";
import type { KeyCounts } from "../db/repos/keys.js";
import type { AccountsTable, EntitlementRow, FulfillmentRow } from "../db/schema.js";

/**
 * The payloads (`data`) of domain events, one builder per subject, each a pure function of rows as
 * they are in the change's transaction (docs/EVENTS.md documents every field). Commands never
 * shape a payload themselves: a field added here reaches every event of its subject at once.
 */

/** A line item as FNO's entitlement notifications carry it. */
export function lineItemEventData(li: LineItemFull, entitlementState: string, hide: readonly string[] = []) {
  const closed = new Set(["INACTIVE", "OBSOLETE"]);
  return {
    id: li.id,
    activationId: masked(li.activation_id ?? "", hide),
    state: li.state,
    product: li.products[0] ? { name: li.products[0].name, version: li.products[0].version } : null,
    products: li.products.map((p) => ({ name: p.name, version: p.version, quantity: p.quantity })),
    numberOfCopies: li.number_of_copies,
    fulfilledCount: li.fulfilled_count,
    // Copies minus copies fulfilled (FNO's exactAvailableCount), whatever the state.
    exactAvailableCount: li.number_of_copies - li.fulfilled_count,
    // What can still be activated now: none on a closed line item or entitlement.
    availableCount:
      closed.has(li.state) || closed.has(entitlementState) ? 0 : Math.max(0, li.number_of_copies - li.fulfilled_count),
    startDate: li.start_date,
    expirationDate: li.is_permanent ? null : li.expiration_date,
    isPermanent: !!li.is_permanent,
    orderId: li.order_id,
    orderLineNumber: li.order_line_number,
  };
}

function soldToOf(kind: string, partners: PartnerRow[]) {
  const p = partners.find((x) => x.tier === (kind === "BULK" ? TIER_DISTRIBUTOR : TIER_END_CUSTOMER));
  return p ? { id: p.account_id, name: p.account_name } : null;
}

/**
 * The keys an entitlement's identifiers are made of: a redeemed entitlement's line item has the key
 * as its activation ID, and its entitlement ID is by default the key followed by ENT. An event
 * never holds a whole key, so these show masked in every event about it.
 */
export function keysIn(r: Pick<EntitlementRecord, "row" | "lineItems">): string[] {
  if (r.row.parent_bulk_id === null) return [];
  return r.lineItems.filter((i) => i.role === "LINE_ITEM" && i.activation_id).map((i) => i.activation_id as string);
}

/** `text` with every key of `hide` in it masked. */
function masked(text: string, hide: readonly string[]): string;
function masked(text: string | null, hide: readonly string[]): string | null;
function masked(text: string | null, hide: readonly string[]): string | null {
  if (text === null) return null;
  let out = text;
  for (const k of hide) if (k) out = out.split(k).join(maskedKey(k));
  return out;
}

/** An entitlement (entitlement.* and line_item.* events), with the key counts of a bulk one. */
export function entitlementEventData(r: EntitlementRecord, keyCounts?: KeyCounts) {
  const { row } = r;
  const hide = keysIn(r);
  return {
    id: row.id,
    entitlementId: masked(row.entitlement_id, hide),
    kind: row.kind,
    state: row.state,
    soldTo: soldToOf(row.kind, r.partners),
    shipToEmail: row.ship_to_email,
    orderId: row.order_id,
    orderLineNumber: row.order_line_number,
    parentBulkId: row.parent_bulk_id,
    channelPartners: r.partners.map((p) => ({ tier: p.tier, accountId: p.account_id, accountName: p.account_name })),
    lineItems: r.lineItems.filter((i) => i.role === "LINE_ITEM").map((i) => lineItemEventData(i, row.state, hide)),
    ...(row.kind === "BULK"
      ? {
          product: (() => {
            const c = r.lineItems.find((i) => i.role === "BULK_CONFIG");
            return c ? lineItemEventData(c, row.state) : null;
          })(),
          keyCounts: keyCounts
            ? { total: keyCounts.total, redeemed: keyCounts.redeemed, unredeemed: keyCounts.unredeemed }
            : { total: row.key_count, redeemed: row.redeemed_count, unredeemed: row.key_count - row.redeemed_count },
        }
      : {}),
    updatedAt: row.updated_at,
  };
}

/** entitlement.* events: the entitlement, plus what the type adds (`previousState`, `to`…). */
export function entitlementEvent(
  type: EventType,
  r: EntitlementRecord,
  extra: Record<string, unknown> = {},
  keyCounts?: KeyCounts,
): DomainEvent {
  return {
    type,
    subjectType: "entitlement",
    subjectId: r.row.id,
    entitlementId: r.row.id,
    accountId: soldToOf(r.row.kind, r.partners)?.id ?? null,
    data: { entitlement: entitlementEventData(r, keyCounts), ...extra },
  };
}

/** line_item.* events: the line item concerned and its entitlement whole. */
export function lineItemEvent(
  type: EventType,
  r: EntitlementRecord,
  lineItem: LineItemFull,
  extra: Record<string, unknown> = {},
): DomainEvent {
  return {
    type,
    subjectType: "line_item",
    subjectId: lineItem.id,
    entitlementId: r.row.id,
    accountId: soldToOf(r.row.kind, r.partners)?.id ?? null,
    data: {
      lineItem: lineItemEventData(lineItem, r.row.state, [...keysIn(r), ...keysIn({ row: r.row, lineItems: [lineItem] })]),
      entitlement: entitlementEventData(r),
      ...extra,
    },
  };
}

/** key.loaded / key.deleted: one event per load or removal, with its count (never the keys). */
export function keyBatchEvent(
  type: "key.loaded" | "key.deleted",
  bulk: Pick<EntitlementRow, "id" | "entitlement_id" | "key_count" | "redeemed_count">,
  d: { count: number; verb?: string; jobId?: string | null; loadId?: string | null; rejected?: number },
): DomainEvent {
  return {
    type,
    subjectType: "key",
    subjectId: bulk.id,
    entitlementId: bulk.id,
    data: {
      bulkEntitlement: { id: bulk.id, entitlementId: bulk.entitlement_id },
      count: d.count,
      ...(d.verb ? { how: d.verb } : {}),
      ...(d.rejected !== undefined ? { rejected: d.rejected } : {}),
      jobId: d.jobId ?? null,
      loadId: d.loadId ?? null,
      keyCounts: { total: bulk.key_count, redeemed: bulk.redeemed_count, unredeemed: bulk.key_count - bulk.redeemed_count },
    },
  };
}

/** A key as an event may show it: its last 4 characters only (2 of a short one), never whole. */
export function maskedKey(key: string): string {
  return `…${key.slice(key.length > 8 ? -4 : -2)}`;
}

/** key.redeemed: one per redemption; the key masked to its last 4 characters, never whole. */
export function keyRedeemedEvent(d: {
  key: string;
  bulk: Pick<EntitlementRow, "id" | "entitlement_id">;
  entitlement: Pick<EntitlementRow, "id" | "entitlement_id">;
  activationIds: string[];
  customer: { id: string; name: string };
  owner: string | null;
}): DomainEvent {
  return {
    type: "key.redeemed",
    subjectType: "key",
    subjectId: d.bulk.id,
    entitlementId: d.entitlement.id,
    accountId: d.customer.id,
    data: {
      key: maskedKey(d.key),
      bulkEntitlement: { id: d.bulk.id, entitlementId: d.bulk.entitlement_id },
      entitlement: {
        id: d.entitlement.id,
        entitlementId: masked(d.entitlement.entitlement_id, [d.key, ...d.activationIds]),
        activationIds: d.activationIds.map((a) => masked(a, [d.key, ...d.activationIds])),
      },
      customer: d.customer,
      owner: d.owner,
    },
  };
}

/** fulfillment.* events; `hide`: the keys its IDs are made of (a redeemed entitlement's, keysIn()). */
export function fulfillmentEvent(
  type: EventType,
  f: FulfillmentRow,
  extra: Record<string, unknown> = {},
  hide: readonly string[] = [],
): DomainEvent {
  return {
    type,
    subjectType: "fulfillment",
    subjectId: f.id,
    entitlementId: f.entitlement_pk,
    data: {
      fulfillment: {
        id: f.id,
        fulfillmentId: f.fulfillment_id,
        type: f.type,
        state: f.state,
        source: f.source,
        entitlementId: masked(f.entitlement_id, hide),
        activationId: masked(f.activation_id, hide),
        product: { name: f.product_name, version: f.product_version },
        licenseModel: f.license_model_name,
        count: f.count,
        hosts: JSON.parse(f.hosts),
        startDate: f.start_date,
        expirationDate: f.expiration_date,
        parentId: f.parent_id,
      },
      ...extra,
    },
  };
}

/** account.* events. */
export function accountEvent(
  type: EventType,
  a: Pick<AccountsTable, "id" | "name" | "type" | "country" | "region" | "parent_id" | "visible">,
  extra: Record<string, unknown> = {},
): DomainEvent {
  return {
    type,
    subjectType: "account",
    subjectId: a.id,
    accountId: a.id,
    data: {
      account: {
        id: a.id,
        name: a.name,
        type: a.type,
        country: a.country,
        region: a.region,
        parentId: a.parent_id,
        visible: !!a.visible,
      },
      ...extra,
    },
  };
}

/** An event row as the events API returns it. */
export function presentDomainEvent(e: EventRow): Event {
  return {
    id: e.id,
    type: e.type as Event["type"],
    occurredAt: e.occurred_at,
    subject: { type: e.subject_type, id: e.subject_id },
    entitlementId: e.entitlement_id,
    accountId: e.account_id,
    requestId: e.request_id,
    data: JSON.parse(e.payload),
  };
}
