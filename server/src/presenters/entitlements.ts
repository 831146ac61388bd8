import type {
  ChannelPartner,
  Entitlement,
  EntitlementEvent,
  LineItem,
  ProductConfig,
} from "../../../common/src/api/entitlements.js";
import { TIER_DISTRIBUTOR, TIER_END_CUSTOMER } from "../../../common/src/enums.js";
import { type DurationUnit, effectiveExpiry, type StartDateOption } from "../../../common/src/rules/terms.js";
import type { EntitlementRecord, LineItemFull, PartnerRow } from "../db/repos/entitlements.js";
import type { EntitlementEventsTable, EntitlementRow } from "../db/schema.js";
import { bool } from "../util.js";

// The shapes are the response schemas' (common/src/api/entitlements.ts), so the two cannot drift.

// The database keeps these as text written only from the enums (domain rules); typed back here.
type Enum<K extends keyof LineItem> = NonNullable<LineItem[K]>;

function config(li: LineItemFull): ProductConfig {
  const term = li.term_count != null && li.term_unit ? { count: li.term_count, unit: li.term_unit as DurationUnit } : null;
  return {
    products: li.products.map((p) => ({ productId: p.product_id, name: p.name, version: p.version, quantity: p.quantity })),
    partNumberId: li.part_number_id,
    partId: li.part_id,
    licenseModelId: li.license_model_id,
    licenseModelName: li.license_model_name,
    alternateLicenseModelIds: [li.alt_license_model1_id, li.alt_license_model2_id].filter((x): x is string => !!x),
    licenseModelAttributes: JSON.parse(li.license_model_attributes),
    startDateOption: li.start_date_option as StartDateOption,
    startDate: li.start_date,
    isPermanent: bool(li.is_permanent),
    term,
    expirationDate: li.expiration_date,
    effectiveExpirationDate: effectiveExpiry({
      startDateOption: li.start_date_option as StartDateOption,
      startDate: li.start_date,
      isPermanent: bool(li.is_permanent),
      term,
      expirationDate: li.expiration_date,
    }),
    versionDateOption: li.version_date_option as Enum<"versionDateOption"> | null,
    versionDate: li.version_date,
    numberOfCopies: li.number_of_copies,
    description: li.description,
    orderId: li.order_id,
    orderLineNumber: li.order_line_number,
  };
}

/**
 * Copies that can still be activated: none on an INACTIVE or OBSOLETE line item or entitlement
 * (a transferred one is OBSOLETE; PRODUCT.md §3: INACTIVE no activation, OBSOLETE nothing new).
 * Computed here once so the portal shows the server's figure.
 */
export function availableCopies(
  li: Pick<LineItemFull, "state" | "number_of_copies" | "fulfilled_count">,
  entitlementState?: string,
) {
  const closed = new Set(["INACTIVE", "OBSOLETE"]);
  if (closed.has(li.state) || (entitlementState && closed.has(entitlementState))) return 0;
  return Math.max(0, li.number_of_copies - li.fulfilled_count);
}

export function presentLineItem(li: LineItemFull, entitlementState?: string): LineItem {
  return {
    id: li.id,
    activationId: li.activation_id ?? "",
    state: li.state as Enum<"state">,
    ...config(li),
    lineItemType: li.line_item_type as Enum<"lineItemType"> | null,
    fulfilledCount: li.fulfilled_count,
    availableCount: availableCopies(li, entitlementState),
    parentLineItemId: li.parent_line_item_id,
    createdAt: li.created_at,
    updatedAt: li.updated_at,
  };
}

export function presentPartner(p: PartnerRow): ChannelPartner {
  return {
    tier: p.tier,
    tierName: p.tier_display_name,
    accountId: p.account_id,
    accountName: p.account_name,
    contactUserId: p.contact_user_id,
    contactEmail: p.contact_email,
    currentOwner: bool(p.current_owner),
  };
}

export function presentEntitlement(row: EntitlementRow, partners: PartnerRow[], items: LineItemFull[]): Entitlement {
  const kind = row.kind as "SIMPLE" | "BULK";
  const bulkConfig = items.find((i) => i.role === "BULK_CONFIG");
  const soldToTier = kind === "BULK" ? TIER_DISTRIBUTOR : TIER_END_CUSTOMER;
  return {
    id: row.id,
    entitlementId: row.entitlement_id,
    kind,
    state: row.state as Enum<"state">,
    description: row.description,
    shipToEmail: row.ship_to_email,
    shipToAddress: row.ship_to_address,
    orderId: row.order_id,
    orderLineNumber: row.order_line_number,
    allowPortalLogin: bool(row.allow_portal_login),
    customAttributes: JSON.parse(row.custom_attributes),
    soldTo: partners.find((p) => p.tier === soldToTier)?.account_id ?? null,
    channelPartners: partners.map(presentPartner),
    product: bulkConfig ? { ...config(bulkConfig), bulkEntitlementType: bulkConfig.line_item_type } : null,
    lineItems: items.filter((i) => i.role === "LINE_ITEM").map((i) => presentLineItem(i, row.state)),
    parentBulkId: row.parent_bulk_id,
    createdBy: row.created_by_label,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function presentEvent(e: EntitlementEventsTable): EntitlementEvent {
  return { id: e.id, event: e.event, at: e.at, userId: e.user_id, user: e.user_label, description: e.description };
}

/** An entitlement read whole (`findEntitlementRecord`, or a command's result) as JSON. */
export function presentEntitlementRecord(r: EntitlementRecord): Entitlement {
  return presentEntitlement(r.row, r.partners, r.lineItems);
}

/** A bulk entitlement's JSON with its key counters (lists and reads); other entitlements unchanged. */
export function withKeyCounts(
  e: Entitlement,
  c: { total: number; redeemed: number; unredeemed: number } | undefined,
): Entitlement {
  return c ? { ...e, keyCounts: { total: c.total, redeemed: c.redeemed, unredeemed: c.unredeemed } } : e;
}
