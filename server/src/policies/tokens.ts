import type { Actor } from "../actor.js";
import { producerAdmin } from "./predicates.js";

type TokenRef = { userId: string };

/** Tokens are personal: a user manages its own; a producer admin may see and revoke anyone's. */
export const tokenPolicy = {
  "token.list": (_a: Actor) => true,
  "token.create": (a: Actor) => a.userId !== null,
  "token.revoke": (a: Actor, t: TokenRef) => a.userId === t.userId || producerAdmin(a),
};
