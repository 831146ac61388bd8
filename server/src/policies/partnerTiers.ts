import { PARTNER_ROLES } from "../../../common/src/enums.js";
import { type Actor, hasRole } from "../actor.js";
import { producerAdmin, producerStaff } from "./predicates.js";

/**
 * Tiers shape every channel: defining them is an administrator's decision. Partners read them
 * (names only) to pick the tier a split goes to.
 */
export const partnerTierPolicy = {
  "partnerTier.read": (a: Actor) => producerStaff(a) || hasRole(a, ...PARTNER_ROLES),
  "partnerTier.write": (a: Actor) => producerAdmin(a),
};
