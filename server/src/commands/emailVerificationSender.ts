import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Db, Trx } from "../db/schema.js";
import { AppError, errors } from "../errors.js";
import { queueEmailLink } from "../mail/outbox.js";
import { authorize } from "../policies/index.js";
import { countLinkRequest, EMAIL_LINKS_PER_HOUR, EMAIL_TOKEN_TTL, issueEmailToken } from "../security/emailTokens.js";

/** Queues the verification email of `user` in the caller's transaction (self-registration calls this). */
export async function queueVerificationEmail(
  trx: Trx,
  ctx: RequestContext,
  user: { id: string; email: string; firstName: string },
): Promise<string> {
  const token = await issueEmailToken(trx, user, "VERIFY_EMAIL");
  return queueEmailLink(trx, ctx, {
    kind: "VERIFY_EMAIL",
    user,
    path: "verify-email",
    token,
    expiresIn: EMAIL_TOKEN_TTL.VERIFY_EMAIL.words,
  });
}

/**
 * A logged-in user asks for its verification email again: a new link (the older one stops
 * working). At most EMAIL_LINKS_PER_HOUR an hour per user (429 beyond); 409 once verified.
 */
export async function emailVerificationSender(db: Db, ctx: RequestContext): Promise<void> {
  const userId = ctx.actor.userId;
  if (!userId || ctx.actor.type !== "user") throw errors.forbidden("Only a logged-in user can verify its email.");
  authorize(ctx.actor, "user.resendVerification", { id: userId });
  await db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom("users")
      .select(["id", "email", "first_name", "email_verified_at"])
      .where("id", "=", userId)
      .executeTakeFirst();
    if (!user) throw errors.notFound("User", userId);
    if (user.email_verified_at) throw errors.conflict("Your email address is already verified.", "email");
    if ((await countLinkRequest(trx, "VERIFY_EMAIL", userId)) > EMAIL_LINKS_PER_HOUR)
      throw new AppError(
        429,
        "rate_limited",
        "Too many requests",
        `At most ${EMAIL_LINKS_PER_HOUR} verification emails an hour; try again later.`,
        undefined,
        undefined,
        { "retry-after": String(Math.ceil((3_600_000 - (Date.now() % 3_600_000)) / 1000)) },
      );
    await queueVerificationEmail(trx, ctx, { id: user.id, email: user.email, firstName: user.first_name });
    await recordAudit(trx, ctx, { action: "user.verification_sent", objectType: "user", objectId: user.id });
  });
}
