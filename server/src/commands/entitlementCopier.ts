import type { RequestContext } from "../actor.js";
import type { EntitlementRecord } from "../db/repos/entitlements.js";
import type { Db } from "../db/schema.js";
import { entitlementCreator } from "./entitlementCreator.js";
import { entitlementJson, loadVisibleEntitlement } from "./entitlementSupport.js";
import { configInputOf } from "./lineItemCommands.js";

/**
 * Copy (FNO: Add > Copy): a new DRAFT (or TEST) entitlement with the same header, partners and
 * product configuration / line items, and newly generated IDs. Keys and fulfillments are not copied.
 */
export async function entitlementCopier(db: Db, ctx: RequestContext, pk: string): Promise<EntitlementRecord> {
  await loadVisibleEntitlement(db, ctx, pk);
  const src = await entitlementJson(db, pk);
  return entitlementCreator(db, ctx, {
    kind: src.kind,
    test: src.state === "TEST",
    description: src.description,
    shipToEmail: src.shipToEmail,
    shipToAddress: src.shipToAddress,
    orderId: src.orderId,
    orderLineNumber: src.orderLineNumber,
    allowPortalLogin: src.allowPortalLogin,
    customAttributes: src.customAttributes,
    channelPartners: src.channelPartners.map((p) => ({
      tier: p.tier,
      accountId: p.accountId,
      contactUserId: p.contactUserId,
      currentOwner: p.currentOwner,
    })),
    product: src.product ? configInputOf(src.product, src.product.bulkEntitlementType) : null,
    lineItems: src.lineItems.filter((li) => li.state !== "OBSOLETE").map((li) => configInputOf(li, li.lineItemType)),
  });
}
