import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { findUser } from "../db/repos/users.js";
import type { Db } from "../db/schema.js";
import { passwordProblem } from "../domain/passwords.js";
import { errors } from "../errors.js";
import { hashPassword, verifyPassword } from "../security/passwords.js";
import { nowIso } from "../util.js";

/**
 * A logged-in user changes its own password. Every other session of that user ends, so a stolen
 * session does not survive the change.
 */
export async function passwordChanger(
  db: Db,
  ctx: RequestContext,
  input: { currentPassword: string; newPassword: string; keepSessionId: string | null },
): Promise<void> {
  const userId = ctx.actor.userId;
  if (!userId || ctx.actor.type !== "user") throw errors.forbidden("Only a logged-in user can change its password.");
  const user = await findUser(db, userId);
  if (!user) throw errors.notFound("User", userId);
  if (!(await verifyPassword(input.currentPassword, user.password_hash))) {
    throw errors.validation("currentPassword", "is not your current password");
  }
  const p = passwordProblem(input.newPassword, user.email);
  if (p) throw errors.validation("newPassword", p);
  if (input.newPassword === input.currentPassword)
    throw errors.validation("newPassword", "must differ from the current password");
  const hash = await hashPassword(input.newPassword);
  await db.transaction().execute(async (trx) => {
    const now = nowIso();
    await trx
      .updateTable("users")
      .set({ password_hash: hash, password_changed_at: now, updated_at: now })
      .where("id", "=", userId)
      .execute();
    let del = trx.deleteFrom("sessions").where("user_id", "=", userId);
    if (input.keepSessionId) del = del.where("id", "!=", input.keepSessionId);
    await del.execute();
    await recordAudit(trx, ctx, { action: "user.password_changed", objectType: "user", objectId: userId });
  });
}
