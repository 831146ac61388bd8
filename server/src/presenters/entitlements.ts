import { TIER_DISTRIBUTOR, TIER_END_CUSTOMER } from "../../../common/src/enums.js";
import type { LineItemFull, PartnerRow } from "../db/repos/entitlements.js";
import type { EntitlementEventsTable, EntitlementRow } from "../db/schema.js";
import { type DurationUnit, effectiveExpiry, type StartDateOption } from "../domain/terms.js";
import { bool } from "../util.js";

export interface ProductConfigJson {
  products: { productId: string; name: string; version: string; quantity: number }[];
  partNumberId: string | null;
  partId: string | null;
  licenseModelId: string | null;
  licenseModelName: string | null;
  alternateLicenseModelIds: string[];
  licenseModelAttributes: Record<string, string>;
  startDateOption: string;
  startDate: string | null;
  isPermanent: boolean;
  term: { count: number; unit: string } | null;
  expirationDate: string | null;
  /** The expiry the dates give today (term counted from a fixed start), null if permanent or set at activation. */
  effectiveExpirationDate: string | null;
  versionDateOption: string | null;
  versionDate: string | null;
  numberOfCopies: number;
  description: string | null;
  orderId: string | null;
  orderLineNumber: string | null;
}

export interface LineItemJson extends ProductConfigJson {
  id: string;
  activationId: string;
  state: string;
  lineItemType: string | null;
  fulfilledCount: number;
  availableCount: number;
  parentLineItemId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface BulkProductJson extends ProductConfigJson {
  bulkEntitlementType: string | null;
}

export interface PartnerJson {
  tier: string;
  tierName: string;
  accountId: string;
  accountName: string;
  contactUserId: string | null;
  contactEmail: string | null;
  currentOwner: boolean;
}

export interface EntitlementJson {
  id: string;
  entitlementId: string;
  kind: "SIMPLE" | "BULK";
  state: string;
  description: string | null;
  shipToEmail: string | null;
  shipToAddress: string | null;
  orderId: string | null;
  orderLineNumber: string | null;
  allowPortalLogin: boolean;
  customAttributes: Record<string, string>;
  soldTo: string | null;
  channelPartners: PartnerJson[];
  /** BULK only: the one product configuration (null until "Add Product"). */
  product: BulkProductJson | null;
  /** SIMPLE only. */
  lineItems: LineItemJson[];
  parentBulkId: string | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

function config(li: LineItemFull): ProductConfigJson {
  const term = li.term_count != null && li.term_unit ? { count: li.term_count, unit: li.term_unit } : null;
  return {
    products: li.products.map((p) => ({ productId: p.product_id, name: p.name, version: p.version, quantity: p.quantity })),
    partNumberId: li.part_number_id,
    partId: li.part_id,
    licenseModelId: li.license_model_id,
    licenseModelName: li.license_model_name,
    alternateLicenseModelIds: [li.alt_license_model1_id, li.alt_license_model2_id].filter((x): x is string => !!x),
    licenseModelAttributes: JSON.parse(li.license_model_attributes),
    startDateOption: li.start_date_option,
    startDate: li.start_date,
    isPermanent: bool(li.is_permanent),
    term,
    expirationDate: li.expiration_date,
    effectiveExpirationDate: effectiveExpiry({
      startDateOption: li.start_date_option as StartDateOption,
      startDate: li.start_date,
      isPermanent: bool(li.is_permanent),
      term: term ? { count: term.count, unit: term.unit as DurationUnit } : null,
      expirationDate: li.expiration_date,
    }),
    versionDateOption: li.version_date_option,
    versionDate: li.version_date,
    numberOfCopies: li.number_of_copies,
    description: li.description,
    orderId: li.order_id,
    orderLineNumber: li.order_line_number,
  };
}

export function presentLineItem(li: LineItemFull): LineItemJson {
  return {
    id: li.id,
    activationId: li.activation_id ?? "",
    state: li.state,
    ...config(li),
    lineItemType: li.line_item_type,
    fulfilledCount: li.fulfilled_count,
    availableCount: Math.max(0, li.number_of_copies - li.fulfilled_count),
    parentLineItemId: li.parent_line_item_id,
    createdAt: li.created_at,
    updatedAt: li.updated_at,
  };
}

export function presentPartner(p: PartnerRow): PartnerJson {
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

export function presentEntitlement(row: EntitlementRow, partners: PartnerRow[], items: LineItemFull[]): EntitlementJson {
  const kind = row.kind as "SIMPLE" | "BULK";
  const bulkConfig = items.find((i) => i.role === "BULK_CONFIG");
  const soldToTier = kind === "BULK" ? TIER_DISTRIBUTOR : TIER_END_CUSTOMER;
  return {
    id: row.id,
    entitlementId: row.entitlement_id,
    kind,
    state: row.state,
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
    lineItems: items.filter((i) => i.role === "LINE_ITEM").map(presentLineItem),
    parentBulkId: row.parent_bulk_id,
    createdBy: row.created_by_label,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface EntitlementEventJson {
  id: string;
  event: string;
  at: string;
  userId: string | null;
  user: string | null;
  description: string | null;
}

export function presentEvent(e: EntitlementEventsTable): EntitlementEventJson {
  return { id: e.id, event: e.event, at: e.at, userId: e.user_id, user: e.user_label, description: e.description };
}
