import type { Entitlement } from "../../../common/src/api/entitlements.js";
import type { SplitResult } from "../../../common/src/api/splits.js";
import type { EntitlementRecord } from "../db/repos/entitlements.js";
import { presentEntitlementRecord } from "./entitlements.js";

/** A split answers the target entitlement (new or matching), the source as it is now and how much moved. */
export function presentSplitResult(r: {
  entitlement: EntitlementRecord;
  source: EntitlementRecord;
  moved: number;
  created: boolean;
  lineItemId?: string;
}): SplitResult {
  return {
    entitlement: presentEntitlementRecord(r.entitlement),
    source: presentEntitlementRecord(r.source),
    moved: r.moved,
    created: r.created,
    ...(r.lineItemId ? { lineItemId: r.lineItemId } : {}),
  };
}

export function presentMatchingBulk(records: EntitlementRecord[]): { items: Entitlement[] } {
  return { items: records.map(presentEntitlementRecord) };
}
