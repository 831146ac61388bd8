import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Db } from "../db/schema.js";
import { passwordProblem } from "../domain/passwords.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { generatePassword, hashPassword } from "../security/passwords.js";
import { nowIso } from "../util.js";
import { loadVisibleUser } from "./userUpdater.js";

/** An administrator sets a new password for a user (generated unless given) and ends its sessions. */
export async function userPasswordResetter(
  db: Db,
  ctx: RequestContext,
  id: string,
  input: { password?: string },
): Promise<{ password: string | null }> {
  const { row, ref } = await loadVisibleUser(db, ctx, id);
  authorize(ctx.actor, "user.resetPassword", ref);
  const generated = input.password === undefined ? generatePassword() : null;
  const password = input.password ?? (generated as string);
  const p = passwordProblem(password, row.email);
  if (p) throw errors.validation("password", p);
  const hash = await hashPassword(password);
  await db.transaction().execute(async (trx) => {
    const now = nowIso();
    await trx
      .updateTable("users")
      .set({ password_hash: hash, password_changed_at: now, updated_at: now })
      .where("id", "=", id)
      .execute();
    await trx.deleteFrom("sessions").where("user_id", "=", id).execute();
    await trx.deleteFrom("login_failures").where("email", "=", row.email).execute();
    await recordAudit(trx, ctx, { action: "user.password_reset", objectType: "user", objectId: id });
  });
  return { password: generated };
}
