import { type Actor, accountIdsOf } from "../actor.js";
import { memberOf, partnerAdminOf, portalAdminOf, producerStaff, producerWriter } from "./predicates.js";

type AccountRef = { id: string };
/** A new account as the create policy sees it: its type, parent, and the partner account it is to be related to. */
type NewAccountRef = { type: string; parentId: string | null; relateTo: string | null };

/** Producer staff see every account; portal users see only accounts they belong to. */
export const accountPolicy = {
  "account.list": (_a: Actor) => true,
  "account.read": (a: Actor, acc: AccountRef) => producerStaff(a) || memberOf(a, acc.id),
  /** A partner portal admin creates reseller and customer accounts related to its own (nothing more). */
  "account.create": (a: Actor, n: NewAccountRef) =>
    producerWriter(a) ||
    (n.relateTo !== null &&
      partnerAdminOf(a, n.relateTo) &&
      (n.type === "CUSTOMER" || n.type === "CHANNEL_PARTNER") &&
      (n.parentId === null || n.parentId === n.relateTo)),
  "account.update": (a: Actor, acc: AccountRef) => producerWriter(a) || portalAdminOf(a, acc.id),
  "account.delete": (a: Actor, _acc: AccountRef) => producerWriter(a),
  "account.relate": (a: Actor, _acc: AccountRef) => producerWriter(a),
};

/**
 * Which accounts a list shows the actor, as the list query applies it: null for every account
 * (producer staff), else the accounts it belongs to (as `account.read` allows).
 */
export const scopeAccounts = (a: Actor): string[] | null => (producerStaff(a) ? null : accountIdsOf(a));
