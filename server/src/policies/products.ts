import type { Actor } from "../actor.js";
import { producerStaff, producerWriter } from "./predicates.js";

/** The catalog is the producer's: staff read products, admins and operations change them. */
export const productPolicy = {
  "product.read": (a: Actor) => producerStaff(a),
  "product.write": (a: Actor) => producerWriter(a),
};
