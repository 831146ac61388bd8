import type { Actor } from "../actor.js";
import { producerStaff } from "./predicates.js";

/** Domain events describe every customer's business: the producer's roles read them, no portal user. */
export const eventPolicy = {
  "events.read": (a: Actor) => producerStaff(a),
};
