import type { PasswordChangeBody } from "../../../common/src/api/session.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { revokeUserTokens } from "../db/repos/tokens.js";
import { findUser } from "../db/repos/users.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { passwordProblem } from "../security/passwordStrength.js";
import { hashPassword, verifyPassword } from "../security/passwords.js";
import { nowIso } from "../util.js";

/**
 * A logged-in user changes its own password. Every other session of that user ends, so a stolen
 * session does not survive the change; with `revokeTokens` its API tokens are revoked as well
 * (a token made by whoever held the old password would otherwise live on).
 */
export async function passwordChanger(
  db: Db,
  ctx: RequestContext,
  input: PasswordChangeBody & { keepSessionId: string | null },
): Promise<{ sessionsEnded: number; tokensRevoked: number }> {
  const userId = ctx.actor.userId;
  if (!userId || ctx.actor.type !== "user") throw errors.forbidden("Only a logged-in user can change its password.");
  const user = await findUser(db, userId);
  if (!user) throw errors.notFound("User", userId);
  if (!(await verifyPassword(input.currentPassword, user.password_hash))) {
    throw errors.validation("currentPassword", "is not your current password");
  }
  const p = await passwordProblem(input.newPassword, user.email, [user.first_name, user.last_name]);
  if (p) throw errors.validation("newPassword", p);
  if (input.newPassword === input.currentPassword)
    throw errors.validation("newPassword", "must differ from the current password");
  const hash = await hashPassword(input.newPassword);
  return db.transaction().execute(async (trx) => {
    const now = nowIso();
    await trx
      .updateTable("users")
      .set({ password_hash: hash, password_changed_at: now, updated_at: now })
      .where("id", "=", userId)
      .execute();
    let del = trx.deleteFrom("sessions").where("user_id", "=", userId);
    if (input.keepSessionId) del = del.where("id", "!=", input.keepSessionId);
    const [ended] = await del.execute();
    const tokensRevoked = input.revokeTokens ? await revokeUserTokens(trx, userId, now) : 0;
    const sessionsEnded = Number(ended?.numDeletedRows ?? 0);
    await recordAudit(trx, ctx, {
      action: "user.password_changed",
      objectType: "user",
      objectId: userId,
      // Not "tokens…": the audit redacts any field named like a secret.
      after: { sessionsEnded, apiAccessRevoked: tokensRevoked },
    });
    return { sessionsEnded, tokensRevoked };
  });
}
