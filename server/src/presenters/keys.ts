import type { WebRegisterKey } from "../../../common/src/api/keys.js";
import type { KeyStatus } from "../../../common/src/rules/keys.js";
import type { WebRegisterKeyRow } from "../db/schema.js";

export function presentKey(r: WebRegisterKeyRow): WebRegisterKey {
  return {
    key: r.key,
    status: r.status as KeyStatus,
    createdAt: r.created_at,
    redeemedAt: r.redeemed_at,
    redeemedBy: r.redeemed_by_label,
    soldTo: r.sold_to,
    owner: r.owner,
    entitlementId: r.entitlement_id,
  };
}
