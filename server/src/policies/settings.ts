import type { Actor } from "../actor.js";
import { producerAdmin, producerStaff } from "./predicates.js";

export const settingsPolicy = {
  "settings.read": (a: Actor) => producerStaff(a),
  "settings.write": (a: Actor) => producerAdmin(a),
};
