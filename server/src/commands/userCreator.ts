import type { UserCreateBody } from "../../../common/src/api/users.js";
import type { AccountType } from "../../../common/src/enums.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isUniqueViolation } from "../db/constraints.js";
import { accountManagers } from "../db/repos/accounts.js";
import { membershipsOfUser, type UserRecord } from "../db/repos/users.js";
import type { Db, Trx } from "../db/schema.js";
import { emailProblem, type MembershipInput, membershipProblems } from "../domain/users.js";
import { errors } from "../errors.js";
import { authorize, can } from "../policies/index.js";
import { presentUser } from "../presenters/users.js";
import { passwordProblem } from "../security/passwordStrength.js";
import { generatePassword, hashPassword } from "../security/passwords.js";
import { newId, nowIso } from "../util.js";

/** The request body, as the route validated it (common/src/api/users.ts). */
export type UserCreateInput = UserCreateBody;

/** Loads account types for membership checks, inside the caller's transaction. */
export async function accountTypesOf(trx: Trx, ids: string[]): Promise<Map<string, AccountType>> {
  if (ids.length === 0) return new Map();
  const rows = await trx.selectFrom("accounts").select(["id", "type"]).where("id", "in", ids).execute();
  return new Map(rows.map((r) => [r.id, r.type as AccountType]));
}

/** Checks memberships and that the actor may place a user on each of their accounts. */
export async function checkMemberships(trx: Trx, ctx: RequestContext, memberships: MembershipInput[]) {
  const types = await accountTypesOf(
    trx,
    memberships.map((m) => m.accountId),
  );
  const problems = membershipProblems(memberships, types);
  if (problems.length) throw errors.validationMany(problems);
  // Who manages each account is data: loaded here and handed to the policy, which stays pure.
  const managers = await accountManagers(
    trx,
    memberships.map((m) => m.accountId),
  );
  for (const m of memberships) {
    if (!can(ctx.actor, "user.assignToAccount", { id: m.accountId, managedBy: managers.get(m.accountId) ?? null })) {
      throw errors.forbidden(`You cannot manage users of account '${m.accountId}'.`);
    }
  }
}

/**
 * Creates a user with its account memberships. Without a password one is generated and returned
 * once (the caller shows it; it is never stored in clear or logged).
 */
export async function userCreator(
  db: Db,
  ctx: RequestContext,
  input: UserCreateInput,
): Promise<{ user: UserRecord; initialPassword: string | null }> {
  authorize(ctx.actor, "user.create");
  const email = input.email.trim().toLowerCase();
  const ep = emailProblem(email);
  if (ep) throw errors.validation("email", ep);
  const generated = input.password === undefined ? await generatePassword() : null;
  const password = input.password ?? (generated as string);
  const pp = await passwordProblem(password, email);
  if (pp) throw errors.validation("password", pp);
  const hash = await hashPassword(password);
  try {
    const user = await db.transaction().execute(async (trx) => {
      await checkMemberships(trx, ctx, input.memberships);
      const now = nowIso();
      const row = {
        id: newId(),
        email,
        first_name: input.firstName.trim(),
        last_name: input.lastName.trim(),
        phone: input.phone ?? null,
        locale: input.locale ?? null,
        time_zone: input.timeZone ?? null,
        status: "ACTIVE",
        password_hash: hash,
        password_changed_at: now,
        last_login_at: null,
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto("users").values(row).execute();
      await trx
        .insertInto("user_roles")
        .values(input.memberships.map((m) => ({ user_id: row.id, account_id: m.accountId, role: m.role })))
        .execute();
      const memberships = await membershipsOfUser(trx, row.id);
      await recordAudit(trx, ctx, {
        action: "user.created",
        objectType: "user",
        objectId: row.id,
        after: presentUser(row, memberships) as never,
      });
      return { row, memberships };
    });
    return { user, initialPassword: generated };
  } catch (err) {
    if (isUniqueViolation(err)) throw errors.alreadyExists("email", `A user with email '${email}' already exists.`);
    throw err;
  }
}
