import type { Actor } from "../actor.js";
import { producerStaff, producerWriter } from "./predicates.js";

/** A license model as a customer or partner meets it: on a line item of an entitlement their account owns. */
type LicenseModelRef = { usedByOwnEntitlement: boolean };

export const licenseModelPolicy = {
  /** Producer staff read every model; others only the models of their own line items (to activate them). */
  "licenseModel.read": (a: Actor, r?: LicenseModelRef) => producerStaff(a) || r?.usedByOwnEntitlement === true,
  "licenseModel.list": (a: Actor) => producerStaff(a),
  "licenseModel.write": (a: Actor) => producerWriter(a),
};
