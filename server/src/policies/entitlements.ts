import { type Actor, accountIdsOf } from "../actor.js";
import { memberOf, producerStaff, producerWriter } from "./predicates.js";

/** An entitlement as policies see it: the accounts in its channel-partner tiers. */
type EntitlementRef = { accountIds: string[] };

/**
 * Producer staff see every entitlement; partner and customer users see those where their account
 * is in a tier. Admins and operations create and change them.
 */
export const entitlementPolicy = {
  "entitlement.list": (_a: Actor) => true,
  "entitlement.read": (a: Actor, e: EntitlementRef) => producerStaff(a) || e.accountIds.some((id) => memberOf(a, id)),
  "entitlement.create": (a: Actor) => producerWriter(a),
  "entitlement.update": (a: Actor, _e: EntitlementRef) => producerWriter(a),
  "entitlement.delete": (a: Actor, _e: EntitlementRef) => producerWriter(a),
  "entitlement.changeState": (a: Actor, _e: EntitlementRef) => producerWriter(a),
};

/**
 * Which entitlements a list or count shows the actor, as the query applies it: null for every one
 * (producer staff), else those with one of these accounts in a tier (as `entitlement.read` allows).
 */
export const scopeEntitlements = (a: Actor): string[] | null => (producerStaff(a) ? null : accountIdsOf(a));
