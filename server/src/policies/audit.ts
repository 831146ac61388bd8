import type { Actor } from "../actor.js";
import { producerStaff } from "./predicates.js";

/** The audit log names people and what they changed: producer staff only. */
export const auditPolicy = {
  "audit.read": (a: Actor) => producerStaff(a),
};
