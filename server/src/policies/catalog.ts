import type { Actor } from "../actor.js";
import { producerStaff, producerWriter } from "./predicates.js";

/** The catalog is the producer's: staff read it, admins and operations change it. */
export const catalogPolicy = {
  "product.read": (a: Actor) => producerStaff(a),
  "product.write": (a: Actor) => producerWriter(a),
  "licenseModel.read": (a: Actor) => producerStaff(a),
  "licenseModel.write": (a: Actor) => producerWriter(a),
  "partNumber.read": (a: Actor) => producerStaff(a),
  "partNumber.write": (a: Actor) => producerWriter(a),
};
