import type { UserUpdateBody } from "../../../common/src/api/users.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isUniqueViolation } from "../db/constraints.js";
import { findUser, membershipsOfUser, type UserRecord } from "../db/repos/users.js";
import type { Db, Trx } from "../db/schema.js";
import { emailProblem } from "../domain/users.js";
import { errors } from "../errors.js";
import { authorize, can } from "../policies/index.js";
import { presentUser } from "../presenters/users.js";
import { nowIso } from "../util.js";
import { checkMemberships } from "./userCreator.js";

/** The request body, as the route validated it (common/src/api). */
export type UserUpdateInput = UserUpdateBody;

/** Loads a user the actor may see, or 404 (never 403, so existence does not leak). */
export async function loadVisibleUser(trx: Trx | Db, ctx: RequestContext, id: string) {
  const row = await findUser(trx, id);
  if (!row) throw errors.notFound("User", id);
  const memberships = await membershipsOfUser(trx, id);
  const ref = { id, accountIds: [...new Set(memberships.map((m) => m.accountId))] };
  if (!can(ctx.actor, "user.read", ref)) throw errors.notFound("User", id);
  return { row, memberships, ref };
}

/** Refuses a change that would leave no active producer admin (nobody could administer the instance). */
export async function assertProducerAdminRemains(trx: Trx) {
  const row = await trx
    .selectFrom("user_roles")
    .innerJoin("users", "users.id", "user_roles.user_id")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("user_roles.role", "=", "PRODUCER_ADMIN")
    .where("users.status", "=", "ACTIVE")
    .executeTakeFirstOrThrow();
  if (Number(row.n) === 0) throw errors.conflict("This would leave no active producer admin; make another user admin first.");
}

/** Edits a user's profile and, optionally, replaces its memberships. */
export async function userUpdater(db: Db, ctx: RequestContext, id: string, input: UserUpdateInput): Promise<UserRecord> {
  if (input.email !== undefined) {
    const p = emailProblem(input.email);
    if (p) throw errors.validation("email", p);
  }
  try {
    return await db.transaction().execute(async (trx) => {
      const { row: before, memberships: beforeMs, ref } = await loadVisibleUser(trx, ctx, id);
      authorize(ctx.actor, "user.update", ref);
      if (input.memberships) {
        await checkMemberships(trx, ctx, input.memberships);
        // Removing someone from an account is managing that account's users too.
        for (const m of beforeMs) {
          // Only the account's own admins (or producer admins) take users off it: its managing partner does not.
          if (!can(ctx.actor, "user.assignToAccount", { id: m.accountId, managedBy: null })) {
            throw errors.forbidden(`You cannot manage users of account '${m.accountId}'.`);
          }
        }
        await trx.deleteFrom("user_roles").where("user_id", "=", id).execute();
        await trx
          .insertInto("user_roles")
          .values(input.memberships.map((m) => ({ user_id: id, account_id: m.accountId, role: m.role })))
          .execute();
        if (beforeMs.some((m) => m.role === "PRODUCER_ADMIN")) await assertProducerAdminRemains(trx);
      }
      const row = {
        ...before,
        email: input.email !== undefined ? input.email.trim().toLowerCase() : before.email,
        first_name: input.firstName !== undefined ? input.firstName.trim() : before.first_name,
        last_name: input.lastName !== undefined ? input.lastName.trim() : before.last_name,
        phone: input.phone !== undefined ? input.phone : before.phone,
        locale: input.locale !== undefined ? input.locale : before.locale,
        time_zone: input.timeZone !== undefined ? input.timeZone : before.time_zone,
        updated_at: nowIso(),
      };
      await trx.updateTable("users").set(row).where("id", "=", id).execute();
      const memberships = await membershipsOfUser(trx, id);
      const { updatedAt: _a, lastLoginAt: _l, ...after } = presentUser(row, memberships);
      const { updatedAt: _b, lastLoginAt: _m, ...prior } = presentUser(before, beforeMs);
      await recordAudit(trx, ctx, { action: "user.updated", objectType: "user", objectId: id, before: prior, after });
      return { row, memberships };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw errors.alreadyExists("email", `A user with email '${input.email}' already exists.`);
    throw err;
  }
}
