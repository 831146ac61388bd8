import { type Actor, accountIdsOf } from "../actor.js";
import { memberOf, portalAdminOf, producerStaff, producerWriter } from "./predicates.js";

type AccountRef = { id: string };

/** Producer staff see every account; portal users see only accounts they belong to. */
export const accountPolicy = {
  "account.list": (_a: Actor) => true,
  "account.read": (a: Actor, acc: AccountRef) => producerStaff(a) || memberOf(a, acc.id),
  "account.create": (a: Actor) => producerWriter(a),
  "account.update": (a: Actor, acc: AccountRef) => producerWriter(a) || portalAdminOf(a, acc.id),
  "account.delete": (a: Actor, _acc: AccountRef) => producerWriter(a),
  "account.relate": (a: Actor, _acc: AccountRef) => producerWriter(a),
};

/**
 * Which accounts a list shows the actor, as the list query applies it: null for every account
 * (producer staff), else the accounts it belongs to (as `account.read` allows).
 */
export const scopeAccounts = (a: Actor): string[] | null => (producerStaff(a) ? null : accountIdsOf(a));
