import type { Actor } from "../actor.js";
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
