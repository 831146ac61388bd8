import type { Actor } from "../actor.js";
import { producerAdmin, producerStaff } from "./predicates.js";

/** Webhook endpoints and their deliveries: the four producer roles read, the producer admin writes. */
export const webhookPolicy = {
  "webhook.read": (a: Actor) => producerStaff(a),
  "webhook.write": (a: Actor) => producerAdmin(a),
};
