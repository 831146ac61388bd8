import type { PasswordResetConfirmBody } from "../../../common/src/api/accountRecovery.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { findLiveEmailToken, spendEmailToken } from "../security/emailTokens.js";
import { passwordProblem } from "../security/passwordStrength.js";
import { hashPassword } from "../security/passwords.js";

/** One answer for an unknown, used, superseded or expired link: which it was is not told. */
export const invalidLink = () =>
  errors.validation("token", "this link is not valid (it may have expired or been used already); ask for a new one");

/**
 * Sets a new password with an emailed reset link. A weak password is refused before the token is
 * touched (the link still works). Then, in one transaction: the token is spent by a conditional
 * UPDATE (so a link works once, even when confirmed twice at the same moment), the password set,
 * every session of the user ended, the login lockout cleared, the address counted as verified
 * (the user just proved they read its mail), and the audit event written.
 */
export async function passwordResetConfirmer(
  db: Db,
  meta: { ip: string | null; requestId: string | null },
  input: PasswordResetConfirmBody,
): Promise<{ userId: string; sessionsEnded: number }> {
  const found = await findLiveEmailToken(db, input.token, "PASSWORD_RESET");
  if (!found || found.status !== "ACTIVE") throw invalidLink();
  const ctx: RequestContext = {
    actor: { type: "system", userId: null, email: found.email, tokenId: null, memberships: [] },
    requestId: meta.requestId,
    ip: meta.ip,
  };
  authorize(ctx.actor, "user.confirmEmailLink");
  const p = await passwordProblem(input.password, found.email, [found.first_name, found.last_name]);
  if (p) throw errors.validation("password", p);
  const hash = await hashPassword(input.password);
  return db.transaction().execute(async (trx) => {
    const now = new Date();
    const at = now.toISOString();
    if (!(await spendEmailToken(trx, input.token, "PASSWORD_RESET", now))) throw invalidLink();
    await trx
      .updateTable("users")
      .set((eb) => ({
        password_hash: hash,
        password_changed_at: at,
        updated_at: at,
        email_verified_at: eb.fn.coalesce("email_verified_at", eb.val(at)),
      }))
      .where("id", "=", found.id)
      .where("email", "=", found.email)
      .execute();
    const [ended] = await trx.deleteFrom("sessions").where("user_id", "=", found.id).execute();
    await trx.deleteFrom("login_failures").where("email", "=", found.email).execute();
    const sessionsEnded = Number(ended?.numDeletedRows ?? 0);
    await recordAudit(trx, ctx, {
      action: "user.password_reset_by_email",
      objectType: "user",
      objectId: found.id,
      after: { sessionsEnded },
    });
    return { userId: found.id, sessionsEnded };
  });
}
