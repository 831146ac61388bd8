import type { PasswordReset, PasswordResetBody } from "../../../common/src/api/users.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { revokeUserTokens } from "../db/repos/tokens.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { passwordProblem } from "../security/passwordStrength.js";
import { generatePassword, hashPassword } from "../security/passwords.js";
import { nowIso } from "../util.js";
import { loadVisibleUser } from "./userUpdater.js";

/**
 * An administrator sets a new password for a user (generated unless given) and ends all its
 * sessions; with `revokeTokens` its API tokens are revoked too.
 */
export async function userPasswordResetter(
  db: Db,
  ctx: RequestContext,
  id: string,
  input: PasswordResetBody,
): Promise<PasswordReset> {
  const { row, ref } = await loadVisibleUser(db, ctx, id);
  authorize(ctx.actor, "user.resetPassword", ref);
  const generated = input.password === undefined ? await generatePassword() : null;
  const password = input.password ?? (generated as string);
  const p = await passwordProblem(password, row.email, [row.first_name, row.last_name]);
  if (p) throw errors.validation("password", p);
  const hash = await hashPassword(password);
  const counts = await db.transaction().execute(async (trx) => {
    const now = nowIso();
    await trx
      .updateTable("users")
      .set({ password_hash: hash, password_changed_at: now, updated_at: now })
      .where("id", "=", id)
      .execute();
    const [ended] = await trx.deleteFrom("sessions").where("user_id", "=", id).execute();
    await trx.deleteFrom("login_failures").where("email", "=", row.email).execute();
    const tokensRevoked = input.revokeTokens ? await revokeUserTokens(trx, id, now) : 0;
    const sessionsEnded = Number(ended?.numDeletedRows ?? 0);
    await recordAudit(trx, ctx, {
      action: "user.password_reset",
      objectType: "user",
      objectId: id,
      // Not "tokens…": the audit redacts any field named like a secret.
      after: { sessionsEnded, apiAccessRevoked: tokensRevoked },
    });
    return { sessionsEnded, tokensRevoked };
  });
  return { password: generated, ...counts };
}
