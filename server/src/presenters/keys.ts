import type { WebRegisterKeyRow } from "../db/schema.js";
import type { KeyStatus } from "../domain/keys.js";

export interface WebRegisterKeyJson {
  key: string;
  status: KeyStatus;
  createdAt: string;
  redeemedAt: string | null;
  redeemedBy: string | null;
  soldTo: string | null;
  owner: string | null;
  entitlementId: string | null;
}

export function presentKey(r: WebRegisterKeyRow): WebRegisterKeyJson {
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
