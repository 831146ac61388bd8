import type { EmailVerificationConfirmBody } from "../../../common/src/api/accountRecovery.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Db } from "../db/schema.js";
import { authorize } from "../policies/index.js";
import { findLiveEmailToken, spendEmailToken } from "../security/emailTokens.js";
import { invalidLink } from "./passwordResetConfirmer.js";

/**
 * Marks a user's address verified with the emailed link: the token spent by a conditional UPDATE
 * (once only), `users.email_verified_at` set, the audit event, in one transaction.
 */
export async function emailVerificationConfirmer(
  db: Db,
  meta: { ip: string | null; requestId: string | null },
  input: EmailVerificationConfirmBody,
): Promise<{ userId: string; email: string }> {
  const found = await findLiveEmailToken(db, input.token, "VERIFY_EMAIL");
  if (!found) throw invalidLink();
  const ctx: RequestContext = {
    actor: { type: "system", userId: null, email: found.email, tokenId: null, memberships: [] },
    requestId: meta.requestId,
    ip: meta.ip,
  };
  authorize(ctx.actor, "user.confirmEmailLink");
  return db.transaction().execute(async (trx) => {
    const now = new Date();
    if (!(await spendEmailToken(trx, input.token, "VERIFY_EMAIL", now))) throw invalidLink();
    await trx
      .updateTable("users")
      .set({ email_verified_at: now.toISOString(), updated_at: now.toISOString() })
      .where("id", "=", found.id)
      .where("email", "=", found.email)
      .execute();
    await recordAudit(trx, ctx, {
      action: "user.email_verified",
      objectType: "user",
      objectId: found.id,
      after: { email: found.email },
    });
    return { userId: found.id, email: found.email };
  });
}
