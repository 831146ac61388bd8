import { type AccountType, PRODUCER_ROLES, type Role } from "../../common/src/enums.js";

export interface Membership {
  accountId: string;
  accountType: AccountType;
  role: Role;
}

/** Who is making a request: a logged-in user, an API token, or the system itself (CLI, first start). */
export interface Actor {
  type: "user" | "token" | "system";
  userId: string | null;
  email: string | null;
  tokenId: string | null;
  /** For a user: every (account, role) held. For a token: exactly the token's one role. */
  memberships: Membership[];
}

export const SYSTEM_ACTOR: Actor = { type: "system", userId: null, email: "system", tokenId: null, memberships: [] };

/** Everything a command needs to know about the request besides its input. */
export interface RequestContext {
  actor: Actor;
  requestId: string | null;
  ip: string | null;
  /** The interface the request came through, recorded with each audit event (null when unstated). */
  interface?: "REST" | "SOAP" | undefined;
}

export const systemContext = (requestId: string | null = null): RequestContext => ({
  actor: SYSTEM_ACTOR,
  requestId,
  ip: null,
});

const producerRoles = new Set<string>(PRODUCER_ROLES);

export function hasRole(actor: Actor, ...roles: Role[]): boolean {
  if (actor.type === "system") return true;
  return actor.memberships.some((m) => roles.includes(m.role));
}

export function isProducerStaff(actor: Actor): boolean {
  return actor.type === "system" || actor.memberships.some((m) => producerRoles.has(m.role));
}

/** Accounts the actor belongs to (any role). */
export function accountIdsOf(actor: Actor): string[] {
  return [...new Set(actor.memberships.map((m) => m.accountId))];
}

export function hasRoleOn(actor: Actor, accountId: string, ...roles: Role[]): boolean {
  return actor.memberships.some((m) => m.accountId === accountId && roles.includes(m.role));
}

export function belongsTo(actor: Actor, accountId: string): boolean {
  return actor.memberships.some((m) => m.accountId === accountId);
}

/**
 * Portal the actor lands in: producer staff use the producer portal; a member of a channel
 * partner account the partner portal (even if it also belongs to a customer account: that portal
 * links to the customer pages); everyone else the end-user one.
 */
export function portalOf(actor: Actor): "producer" | "partner" | "enduser" {
  if (isProducerStaff(actor)) return "producer";
  return actor.memberships.some((m) => m.accountType === "CHANNEL_PARTNER") ? "partner" : "enduser";
}

export function actorLabel(actor: Actor): string {
  if (actor.type === "system") return "system";
  return actor.type === "token" ? `${actor.email ?? "?"} (token)` : (actor.email ?? "?");
}
