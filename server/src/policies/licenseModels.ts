import type { Actor } from "../actor.js";
import { producerStaff, producerWriter } from "./predicates.js";

export const licenseModelPolicy = {
  "licenseModel.read": (a: Actor) => producerStaff(a),
  "licenseModel.write": (a: Actor) => producerWriter(a),
};
