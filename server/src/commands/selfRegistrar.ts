import crypto from "node:crypto";
import type { RegistrationBody } from "../../../common/src/api/redemptions.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isUniqueViolation } from "../db/constraints.js";
import { loadSettings } from "../db/repos/settings.js";
import type { Db } from "../db/schema.js";
import { accountProblems } from "../domain/accounts.js";
import { CROCKFORD } from "../domain/keyFormat.js";
import { emailProblem } from "../domain/users.js";
import { errors } from "../errors.js";
import { passwordProblem } from "../security/passwordStrength.js";
import { hashPassword } from "../security/passwords.js";
import { newId, nowIso } from "../util.js";
import { emitAccount } from "./domainEvents.js";
import { queueVerificationEmail } from "./emailVerificationSender.js";
import { normaliseKey, redeemWithin } from "./keyRedeemer.js";

/** The request body, as the route validated it (common/src/api/redemptions.ts). */
export type RegistrationInput = RegistrationBody;

/**
 * End-user self-registration with a key: a SELF_REGISTERED account for the company, its first
 * user (customer portal admin), and the key redeemed into it — all in one transaction, so a key
 * that cannot be redeemed leaves no half-made account behind. The key is redeemed before the user
 * is written, so the key decides the answer before the email can.
 */
export async function selfRegistrar(
  db: Db,
  meta: { ip: string | null; requestId: string | null },
  input: RegistrationInput,
): Promise<{ userId: string; accountId: string; entitlementPk: string }> {
  const settings = await loadSettings(db);
  const key = normaliseKey(input.key, settings.keyFormat);
  const email = input.email.trim().toLowerCase();
  const pwProblem = await passwordProblem(input.password, email, [input.company, input.firstName, input.lastName]);
  const problems = [
    ...accountProblems({ name: input.company }).map((p) => ({ ...p, field: "company" })),
    ...(emailProblem(email) ? [{ field: "email", message: emailProblem(email) as string }] : []),
    ...(pwProblem ? [{ field: "password", message: pwProblem }] : []),
    ...(input.firstName.trim() ? [] : [{ field: "firstName", message: "must not be empty" }]),
    ...(input.lastName.trim() ? [] : [{ field: "lastName", message: "must not be empty" }]),
  ];
  if (problems.length) throw errors.validationMany(problems);
  const hash = await hashPassword(input.password);
  const accountId = `SR-${Array.from(crypto.randomBytes(10), (b) => CROCKFORD[b & 31]).join("")}`;
  const userId = newId();
  try {
    const pk = await db.transaction().execute(async (trx) => {
      const now = nowIso();
      const ctx: RequestContext = {
        actor: {
          type: "user",
          userId,
          email,
          tokenId: null,
          memberships: [{ accountId, accountType: "SELF_REGISTERED", role: "CUSTOMER_PORTAL_ADMIN" }],
        },
        requestId: meta.requestId,
        ip: meta.ip,
      };
      await trx
        .insertInto("accounts")
        .values({
          id: accountId,
          name: input.company.trim(),
          type: "SELF_REGISTERED",
          description: "Registered through the end-user portal with a web register key.",
          address1: null,
          address2: null,
          city: null,
          state: null,
          zipcode: null,
          country: null,
          region: null,
          visible: 1,
          parent_id: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await emitAccount(trx, ctx, "account.created", accountId, { via: "self-registration" });
      // The key first: an unknown key gets the same 404 (counted as a miss) whether or not the
      // email is taken, so this anonymous route cannot tell which emails have users. Only a
      // caller holding a redeemable key reaches the email check below.
      const r = await redeemWithin(trx, ctx, {
        key,
        soldTo: accountId,
        owner: `${input.firstName.trim()} ${input.lastName.trim()}`,
        template: settings.idTemplates.entitlement,
        redeemedIdTemplate: settings.redeemedEntitlementIdTemplate,
        // The new user gets the certificate of what they registered.
        notify: [email],
      });
      await trx
        .insertInto("users")
        .values({
          id: userId,
          email,
          first_name: input.firstName.trim(),
          last_name: input.lastName.trim(),
          phone: null,
          locale: null,
          time_zone: null,
          status: "ACTIVE",
          password_hash: hash,
          password_changed_at: now,
          last_login_at: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await trx
        .insertInto("user_roles")
        .values({ user_id: userId, account_id: accountId, role: "CUSTOMER_PORTAL_ADMIN" })
        .execute();
      // The address is unproven until its link is followed (the user may log in meanwhile; the
      // portal asks them to verify).
      await queueVerificationEmail(trx, ctx, { id: userId, email, firstName: input.firstName.trim() });
      await recordAudit(trx, ctx, {
        action: "account.self_registered",
        objectType: "account",
        objectId: accountId,
        after: { name: input.company.trim(), email },
      });
      return r.pk;
    });
    return { userId, accountId, entitlementPk: pk };
  } catch (err) {
    if (isUniqueViolation(err))
      throw errors.alreadyExists("email", "A user with this email already exists; log in and use Register a key instead.");
    throw err;
  }
}
