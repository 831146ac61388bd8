import { TIER_DISTRIBUTOR } from "../../../common/src/enums.js";
import { FORBIDDEN_ID_CHARS } from "../../../common/src/limits.js";
import type { Actor } from "../actor.js";
import { actorLabel } from "../actor.js";

/*
 * The shapes below are what a redemption reads and writes, named here rather than taken from the
 * database's row types: the rule knows no table. The repos' rows have these fields (and more,
 * which pass through untouched), so they are given and taken as they are.
 */

/** The bulk entitlement a key belongs to, as far as a redemption reads it. */
export interface RedeemedFrom {
  id: string;
  state: string;
  allow_portal_login: number;
}

/** A channel partner of an entitlement, as far as a redemption reads and sets it. */
export interface RedemptionPartner {
  tier: string;
  tier_rank: number;
  account_id: string;
  contact_user_id: string | null;
  contact_email: string | null;
  current_owner: number;
}

/** A line item with its products: the bulk's configuration, and the redeemed entitlement's one line item. */
export interface RedemptionLineItem {
  id: string;
  entitlement_id: string;
  role: string;
  position: number;
  activation_id: string | null;
  id_generated: number;
  state: string;
  fulfilled_count: number;
  parent_line_item_id: string | null;
  order_id: string | null;
  order_line_number: string | null;
  description: string | null;
  created_at: string;
  updated_at: string;
  products: readonly object[];
}

/** The simple entitlement a redeemed key becomes, every field of it as it is first written. */
export interface RedeemedEntitlement {
  id: string;
  entitlement_id: string;
  id_generated: number;
  kind: string;
  state: string;
  description: string | null;
  ship_to_email: string | null;
  ship_to_address: string | null;
  order_id: string | null;
  order_line_number: string | null;
  allow_portal_login: number;
  custom_attributes: string;
  parent_bulk_id: string | null;
  created_by: string | null;
  created_by_label: string | null;
  created_at: string;
  updated_by: string | null;
  updated_at: string;
}

export interface RedemptionInput<P extends RedemptionPartner, L extends RedemptionLineItem> {
  key: string;
  /** Primary keys chosen up front: the claim records the entitlement's before it is written. */
  pk: string;
  lineItemId: string;
  now: string;
  actor: Actor;
  bulk: RedeemedFrom;
  /** The bulk entitlement's configuration (its BULK_CONFIG line item, with products). */
  config: L;
  bulkPartners: P[];
  /** Sold To, as the End Customer and current owner. */
  endCustomer: P;
  /** The redeemed entitlement's ID template from Settings (default `{key}ENT`). */
  idTemplate?: string;
}

/** FNO's default ID of the entitlement a redeemed key becomes: the key followed by ENT. */
export const DEFAULT_REDEEMED_ID_TEMPLATE = "{key}ENT";

/** The redeemed entitlement's ID from its template: `{key}` is the key, the rest is kept as written. */
export function redeemedEntitlementId(template: string, key: string): string {
  return template.replaceAll("{key}", key);
}

/** What is wrong with a redeemed-entitlement ID template (Settings), or null. */
export function redeemedIdTemplateProblem(template: string): string | null {
  if (!template.includes("{key}")) return "must contain {key}, so every redeemed entitlement gets its own ID";
  const rest = template.replaceAll("{key}", "");
  if (/[{}]/.test(rest)) return "only the token {key} may be used";
  const bad = [...new Set(rest)].filter((c) => FORBIDDEN_ID_CHARS.includes(c) || /[\s\u0000-\u001f\u007f]/.test(c));
  if (bad.length) return `must not contain ${bad.map((c) => JSON.stringify(c)).join(" ")}`;
  if (rest.length > 64) return "must have at most 64 characters besides {key}";
  return null;
}

/**
 * The simple entitlement a redeemed key becomes (PRODUCT.md §3 "Redemption"), worked out from the
 * bulk entitlement without touching the database: ID from the template (default `{key}ENT`),
 * DEPLOYED (TEST under a test bulk), Sold To as End Customer and current owner, the distributor
 * kept in the Distributor tier, and one line item whose activation ID is the key and which copies
 * the bulk's product configuration. Never the retailer's order ID, order line, ship-to, custom
 * attributes or descriptions: those are the retailer's business, and the entitlement is the end
 * customer's.
 */
export function redeemedEntitlement<P extends RedemptionPartner, L extends RedemptionLineItem>(
  a: RedemptionInput<P, L>,
): {
  entitlement: RedeemedEntitlement;
  partners: P[];
  lineItem: L;
} {
  const state = a.bulk.state === "TEST" ? "TEST" : "DEPLOYED";
  const label = actorLabel(a.actor);
  const partners = [a.endCustomer];
  const distributor = a.bulkPartners.find((p) => p.tier === TIER_DISTRIBUTOR);
  if (distributor && distributor.account_id !== a.endCustomer.account_id)
    partners.push({ ...distributor, contact_user_id: null, contact_email: null, current_owner: 0 });
  partners.sort((x, y) => x.tier_rank - y.tier_rank);
  return {
    entitlement: {
      id: a.pk,
      entitlement_id: redeemedEntitlementId(a.idTemplate ?? DEFAULT_REDEEMED_ID_TEMPLATE, a.key),
      id_generated: 0,
      kind: "SIMPLE",
      state,
      description: null,
      ship_to_email: null,
      ship_to_address: null,
      order_id: null,
      order_line_number: null,
      allow_portal_login: a.bulk.allow_portal_login,
      custom_attributes: "{}",
      parent_bulk_id: a.bulk.id,
      created_by: a.actor.userId,
      created_by_label: label,
      created_at: a.now,
      updated_by: a.actor.userId,
      updated_at: a.now,
    },
    partners,
    lineItem: {
      ...a.config,
      id: a.lineItemId,
      entitlement_id: a.pk,
      role: "LINE_ITEM",
      position: 0,
      activation_id: a.key,
      id_generated: 0,
      state,
      fulfilled_count: 0,
      parent_line_item_id: null,
      // The configuration's own order fields and description are the retailer's too.
      order_id: null,
      order_line_number: null,
      description: null,
      created_at: a.now,
      updated_at: a.now,
      products: a.config.products.map((p) => ({ ...p })),
    },
  };
}
