import type { Insertable } from "kysely";
import { TIER_DISTRIBUTOR } from "../../../common/src/enums.js";
import type { Actor } from "../actor.js";
import { actorLabel } from "../actor.js";
import type { LineItemFull, PartnerRow } from "../db/repos/entitlements.js";
import type { EntitlementRow, EntitlementsTable } from "../db/schema.js";

export interface RedemptionInput {
  key: string;
  /** Primary keys chosen up front: the claim records the entitlement's before it is written. */
  pk: string;
  lineItemId: string;
  now: string;
  actor: Actor;
  bulk: EntitlementRow;
  /** The bulk entitlement's configuration (its BULK_CONFIG line item, with products). */
  config: LineItemFull;
  bulkPartners: PartnerRow[];
  /** Sold To, as the End Customer and current owner. */
  endCustomer: PartnerRow;
}

/**
 * The simple entitlement a redeemed key becomes (PRODUCT.md §3 "Redemption"), worked out from the
 * bulk entitlement without touching the database: ID `{key}ENT`, DEPLOYED (TEST under a test
 * bulk), the bulk's order and attributes, Sold To as End Customer and current owner, the
 * distributor kept in the Distributor tier, and one line item whose activation ID is the key and
 * which copies the bulk configuration.
 */
export function redeemedEntitlement(a: RedemptionInput): {
  entitlement: Insertable<EntitlementsTable>;
  partners: PartnerRow[];
  lineItem: LineItemFull;
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
      entitlement_id: `${a.key}ENT`,
      id_generated: 0,
      kind: "SIMPLE",
      state,
      description: a.bulk.description,
      ship_to_email: null,
      ship_to_address: null,
      order_id: a.bulk.order_id,
      order_line_number: a.bulk.order_line_number,
      allow_portal_login: a.bulk.allow_portal_login,
      custom_attributes: a.bulk.custom_attributes,
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
      created_at: a.now,
      updated_at: a.now,
      products: a.config.products.map((p) => ({ ...p })),
    },
  };
}
