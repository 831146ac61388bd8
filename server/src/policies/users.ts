import type { Actor } from "../actor.js";
import { memberOf, partnerAdminOf, portalAdminOf, producerAdmin, producerStaff } from "./predicates.js";

type UserRef = { id: string; accountIds: string[] };

/**
 * Producer admins manage every user; producer staff read them. A portal admin manages the users
 * of its own account(s) only — and only users who belong to no other account.
 */
export const userPolicy = {
  "user.list": (_a: Actor) => true,
  "user.read": (a: Actor, u: UserRef) => producerStaff(a) || a.userId === u.id || u.accountIds.some((id) => portalAdminOf(a, id)),
  "user.create": (a: Actor) => producerAdmin(a) || a.memberships.some((m) => portalAdminOf(a, m.accountId)),
  /**
   * Checked per membership the new or edited user would have. A partner portal admin may also
   * place users on the accounts its partner account manages (the resellers and customers it
   * created in its portal: `accounts.managed_by`, which the command loads). Being related is not
   * enough: relations are symmetric, and a reseller must not add users to its distributor.
   */
  "user.assignToAccount": (a: Actor, acc: { id: string; managedBy: string | null }) =>
    producerAdmin(a) || portalAdminOf(a, acc.id) || (acc.managedBy !== null && partnerAdminOf(a, acc.managedBy)),
  "user.update": (a: Actor, u: UserRef) =>
    producerAdmin(a) || (u.accountIds.length > 0 && u.accountIds.every((id) => portalAdminOf(a, id))),
  "user.deactivate": (a: Actor, u: UserRef) =>
    a.userId !== u.id && (producerAdmin(a) || (u.accountIds.length > 0 && u.accountIds.every((id) => portalAdminOf(a, id)))),
  "user.resetPassword": (a: Actor, u: UserRef) =>
    producerAdmin(a) || (u.accountIds.length > 0 && u.accountIds.every((id) => portalAdminOf(a, id))),
  /** Anyone may ask for a reset link: the answer is the same whether the email has a user or not. */
  "user.requestPasswordReset": (_a: Actor) => true,
  /** Whoever holds an emailed link's token may use it: the token is the credential. */
  "user.confirmEmailLink": (_a: Actor) => true,
  /** A user asks for its own verification email again. */
  "user.resendVerification": (a: Actor, u: { id: string }) => a.type === "user" && a.userId === u.id,
  /** Scope helper, not an action: may the actor see users of this account in lists? */
  "user.listAccount": (a: Actor, acc: { id: string }) => producerStaff(a) || memberOf(a, acc.id),
};

/** Which users a list shows: `onlyAccountIds` null for all, else users of those accounts; `onlyUserId` just that one. */
export interface UserScope {
  onlyAccountIds: string[] | null;
  onlyUserId?: string | undefined;
}

/**
 * Which users a list shows the actor, as the list query applies it: producer staff every user, a
 * portal admin the users of the accounts it administers, anyone else only itself.
 */
export function scopeUsers(a: Actor): UserScope {
  if (producerStaff(a)) return { onlyAccountIds: null };
  const adminOf = [...new Set(a.memberships.filter((m) => portalAdminOf(a, m.accountId)).map((m) => m.accountId))];
  return adminOf.length > 0 ? { onlyAccountIds: adminOf } : { onlyAccountIds: [], onlyUserId: a.userId ?? "-" };
}
