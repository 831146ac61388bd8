import type { Actor } from "../actor.js";
import { producerAdmin, producerStaff } from "./predicates.js";

export const adminPolicy = {
  "audit.read": (a: Actor) => producerStaff(a),
  "partnerTier.read": (a: Actor) => producerStaff(a),
  "partnerTier.write": (a: Actor) => producerAdmin(a),
  "settings.read": (a: Actor) => producerStaff(a),
  "settings.write": (a: Actor) => producerAdmin(a),
};
