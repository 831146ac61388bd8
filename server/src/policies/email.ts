import type { Actor } from "../actor.js";
import { producerAdmin, producerStaff, producerWriter } from "./predicates.js";

/**
 * The outbox: producer staff read it (messages hold customers' addresses and licenses, so no
 * customer or partner does); admins and operations resend; sending a test email is part of
 * configuring SMTP, so admins only (Settings → Email is `settings.read`/`settings.write`).
 */
export const emailPolicy = {
  "email.list": (a: Actor) => producerStaff(a),
  "email.read": (a: Actor) => producerStaff(a),
  "email.resend": (a: Actor) => producerWriter(a),
  "email.test": (a: Actor) => producerAdmin(a),
};
