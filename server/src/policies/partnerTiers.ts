import type { Actor } from "../actor.js";
import { producerAdmin, producerStaff } from "./predicates.js";

/** Tiers shape every channel: defining them is an administrator's decision. */
export const partnerTierPolicy = {
  "partnerTier.read": (a: Actor) => producerStaff(a),
  "partnerTier.write": (a: Actor) => producerAdmin(a),
};
