import type { PasswordResetRequestBody } from "../../../common/src/api/accountRecovery.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Db } from "../db/schema.js";
import { queueEmailLink } from "../mail/outbox.js";
import { authorize } from "../policies/index.js";
import { countLinkRequest, EMAIL_LINKS_PER_HOUR, EMAIL_TOKEN_TTL, issueEmailToken } from "../security/emailTokens.js";

/**
 * "Forgot password": for an ACTIVE user with a password, a reset link is emailed (a newer one
 * supersedes the older). The caller is told nothing: the route answers the same whatever happened,
 * and the same writes happen either way (the per-address counter and the audit row; for a real user
 * the token and the message as well), so the answer's timing says little about the address.
 * More than EMAIL_LINKS_PER_HOUR requests for one address in an hour are counted but send nothing.
 */
export async function passwordResetRequester(
  db: Db,
  meta: { ip: string | null; requestId: string | null },
  input: PasswordResetRequestBody,
): Promise<void> {
  const email = input.email.trim().toLowerCase();
  const ctx: RequestContext = {
    actor: { type: "system", userId: null, email, tokenId: null, memberships: [] },
    requestId: meta.requestId,
    ip: meta.ip,
  };
  authorize(ctx.actor, "user.requestPasswordReset");
  await db.transaction().execute(async (trx) => {
    const count = await countLinkRequest(trx, "PASSWORD_RESET", email);
    const user = await trx
      .selectFrom("users")
      .select(["id", "email", "first_name", "status", "password_hash"])
      .where("email", "=", email)
      .executeTakeFirst();
    const eligible = user !== undefined && user.status === "ACTIVE" && user.password_hash !== null;
    const send = eligible && count <= EMAIL_LINKS_PER_HOUR;
    if (send) {
      const token = await issueEmailToken(trx, user, "PASSWORD_RESET");
      await queueEmailLink(trx, ctx, {
        kind: "PASSWORD_RESET",
        user: { id: user.id, email: user.email, firstName: user.first_name },
        path: "reset-password",
        token,
        expiresIn: EMAIL_TOKEN_TTL.PASSWORD_RESET.words,
      });
    }
    await recordAudit(trx, ctx, {
      action: "user.password_reset_requested",
      objectType: "user",
      objectId: user?.id ?? email,
      after: { emailed: send, throttled: eligible && !send },
    });
  });
}
