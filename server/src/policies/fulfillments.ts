import { type Actor, accountIdsOf, hasRole } from "../actor.js";
import { memberOf, producerStaff, producerWriter } from "./predicates.js";

/** A fulfillment (or the line item to activate) as policies see it: the accounts owning its entitlement (end customer, current owner). */
type FulfillmentRef = { ownerAccountIds: string[] };

const owns = (a: Actor, r: FulfillmentRef) => r.ownerAccountIds.some((id) => memberOf(a, id));
/** Producer admin, operations and support generate licenses and run support actions. */
const producerLicenser = (a: Actor) => hasRole(a, "PRODUCER_ADMIN", "PRODUCER_OPERATIONS", "PRODUCER_SUPPORT");

/**
 * Licenses: producer staff read every one (viewers only read); admin, operations and support
 * activate and return, rehost or repair any; a customer or partner user does all of that on the
 * line items of entitlements their account owns (end customer or current owner), and sees nothing
 * else. Only admin and operations may override a license model's policy.
 */
export const fulfillmentPolicy = {
  "fulfillment.list": (_a: Actor) => true,
  "fulfillment.read": (a: Actor, r: FulfillmentRef) => producerStaff(a) || owns(a, r),
  "fulfillment.activate": (a: Actor, r: FulfillmentRef) => producerLicenser(a) || (!producerStaff(a) && owns(a, r)),
  "fulfillment.support": (a: Actor, r: FulfillmentRef) => producerLicenser(a) || (!producerStaff(a) && owns(a, r)),
  "fulfillment.overridePolicy": (a: Actor) => producerWriter(a),
  /** Email a license: producer staff who generate licenses, and its owners. */
  "fulfillment.email": (a: Actor, r: FulfillmentRef) => producerLicenser(a) || (!producerStaff(a) && owns(a, r)),
};

/** Which fulfillments a list shows: null for every one (producer staff), else those of entitlements these accounts own. */
export const scopeFulfillments = (a: Actor): string[] | null => (producerStaff(a) ? null : accountIdsOf(a));
