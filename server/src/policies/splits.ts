import { PARTNER_ROLES } from "../../../common/src/enums.js";
import { type Actor, hasRoleOn } from "../actor.js";
import { producerWriter } from "./predicates.js";

/** An entitlement as the split policy sees it: its current owner's account. */
type SplitRef = { currentOwnerAccountId: string | null };

/**
 * Splitting keys or copies down the channel (fno-notes: splitBulkEntitlement, splitLineItem):
 * producer admins and operations, or partner portal users of the account that is the
 * entitlement's current owner.
 */
export const splitPolicy = {
  "entitlement.split": (a: Actor, e: SplitRef) =>
    producerWriter(a) || (e.currentOwnerAccountId !== null && hasRoleOn(a, e.currentOwnerAccountId, ...PARTNER_ROLES)),
};
