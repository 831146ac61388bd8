import type { Actor } from "../actor.js";
import { producerAdmin } from "./predicates.js";

/** Listing the public keys needs no policy: they are public (GET /api/v1/license-keys answers anyone). */
export const licenseKeyPolicy = {
  "licenseKey.rotate": (a: Actor) => producerAdmin(a),
};
