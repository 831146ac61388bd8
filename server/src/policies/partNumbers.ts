import type { Actor } from "../actor.js";
import { producerStaff, producerWriter } from "./predicates.js";

export const partNumberPolicy = {
  "partNumber.read": (a: Actor) => producerStaff(a),
  "partNumber.write": (a: Actor) => producerWriter(a),
};
