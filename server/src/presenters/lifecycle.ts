import type { Entitlement, LineItem } from "../../../common/src/api/entitlements.js";
import type { EntitlementRecord } from "../db/repos/entitlements.js";
import { presentEntitlementRecord } from "./entitlements.js";

/** Renew, upgrade and upsell answer the entitlement as it is now and its new line item. */
export function presentLifecycleResult(r: { entitlement: EntitlementRecord; lineItemId: string }): {
  entitlement: Entitlement;
  lineItem: LineItem;
} {
  const entitlement = presentEntitlementRecord(r.entitlement);
  const lineItem = entitlement.lineItems.find((li) => li.id === r.lineItemId) as LineItem;
  return { entitlement, lineItem };
}

/** A transfer answers the new entitlement and the source, now OBSOLETE. */
export function presentTransferResult(r: { entitlement: EntitlementRecord; source: EntitlementRecord }): {
  entitlement: Entitlement;
  source: Entitlement;
} {
  return { entitlement: presentEntitlementRecord(r.entitlement), source: presentEntitlementRecord(r.source) };
}
