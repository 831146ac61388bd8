import type { BulkRedemption, WebRegisterKey } from "../../../common/src/api/keys.js";
import type { KeyStatus } from "../../../common/src/rules/keys.js";
import type { BulkRedemptionRow } from "../db/repos/bulkRedemptions.js";
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

/** A key shown to who may not read it: its last 4 characters, enough to tell keys apart on a call. */
export const maskKey = (key: string) => `••••${key.slice(-4)}`;

export function presentBulkRedemption(r: BulkRedemptionRow, showKey: boolean): BulkRedemption {
  return {
    key: showKey ? r.key : maskKey(r.key),
    keyMasked: !showKey,
    redeemedAt: r.redeemedAt,
    redeemedBy: r.redeemedBy,
    accountId: r.accountId,
    accountName: r.accountName,
    entitlement: r.entitlementPk,
    // A redeemed entitlement's ID holds its key by default ({key}ENT): masked along with it.
    entitlementId: showKey || r.entitlementId === null ? r.entitlementId : r.entitlementId.split(r.key).join(maskKey(r.key)),
  };
}
