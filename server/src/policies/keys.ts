import type { Actor } from "../actor.js";
import { memberOf, producerStaff, producerWriter } from "./predicates.js";

/** A bulk entitlement as key policies see it: its current owner's account. */
type BulkRef = { currentOwnerAccountId: string | null };

/** Keys are secrets until sold: producer staff and the current-owner partner see them; producer writers load and delete them. */
export const keyPolicy = {
  "keys.read": (a: Actor, b: BulkRef) =>
    producerStaff(a) || (b.currentOwnerAccountId !== null && memberOf(a, b.currentOwnerAccountId)),
  "keys.write": (a: Actor, _b: BulkRef) => producerWriter(a),
  /**
   * A bulk entitlement's redemptions (when, which customer): producer staff, or members of an
   * account in one of its channel-partner tiers (not the end-customer tier). Only `keys.read`
   * callers see the keys themselves.
   */
  "keys.readRedemptions": (a: Actor, b: { partnerAccountIds: string[] }) =>
    producerStaff(a) || b.partnerAccountIds.some((id) => memberOf(a, id)),
  /** Redeeming: producer writers for any customer; portal users for their own account only. */
  "keys.redeem": (a: Actor, target: { soldTo: string }) => producerWriter(a) || memberOf(a, target.soldTo),
};
