import crypto from "node:crypto";
import type { TokenCreateBody } from "../../../common/src/api/tokens.js";
import { rolesAtOrBelow } from "../../../common/src/enums.js";
import type { Membership, RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { findUser } from "../db/repos/users.js";
import type { ApiTokensTable, Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { membershipsOf } from "../security/actorLoader.js";
import { newId, nowIso, sha256 } from "../util.js";

/** The request body (common/src/api/tokens.ts), and whose token: the acting user unless the system (CLI) names another. */
export type TokenCreateInput = TokenCreateBody & { userId?: string };

/** `lic_` + 256 random bits: recognisable in logs and secret scanners, unguessable. */
export const newTokenSecret = () => `lic_${crypto.randomBytes(32).toString("base64url")}`;

/** A token just issued: its row, its user's email, and the secret (returned this once, never stored). */
export interface CreatedToken {
  row: ApiTokensTable;
  userEmail: string;
  token: string;
}

/**
 * Issues an API token acting with one role on one account. The role must be one the owner holds
 * there, or a weaker one of the same family; a token cannot mint a stronger token than itself.
 * The secret is returned once and only its SHA-256 is stored.
 */
export async function tokenCreator(db: Db, ctx: RequestContext, input: TokenCreateInput): Promise<CreatedToken> {
  authorize(ctx.actor, "token.create");
  const userId = input.userId ?? ctx.actor.userId;
  if (!userId) throw errors.validation("userId", "is required when no user is acting");
  if (input.userId && input.userId !== ctx.actor.userId && ctx.actor.type !== "system") {
    throw errors.forbidden("You can only create tokens for yourself.");
  }
  const user = await findUser(db, userId);
  if (!user) throw errors.notFound("User", userId);
  if (user.status !== "ACTIVE") throw errors.conflict("The user is deactivated; its tokens would not work.");
  if (input.name.trim() === "") throw errors.validation("name", "must not be empty");
  if (input.expiresAt != null) {
    const t = Date.parse(input.expiresAt);
    if (!Number.isFinite(t)) throw errors.validation("expiresAt", "must be an ISO date or timestamp");
    if (t <= Date.now()) throw errors.validation("expiresAt", "must be in the future");
  }
  // What the token may carry is bounded by what the creator holds (a token actor holds only its own role).
  const held: Membership[] =
    ctx.actor.type === "system" || ctx.actor.type === "user" ? await membershipsOf(db, userId) : ctx.actor.memberships;
  const allowed = held.filter((m) => m.accountId === input.accountId).flatMap((m) => rolesAtOrBelow(m.role));
  if (!allowed.includes(input.role)) {
    throw errors.validation(
      "role",
      held.some((m) => m.accountId === input.accountId)
        ? `must be one of ${[...new Set(allowed)].join(", ")} on account '${input.accountId}'`
        : `the user holds no role on account '${input.accountId}'`,
    );
  }
  const secret = newTokenSecret();
  const now = nowIso();
  const row = {
    id: newId(),
    user_id: userId,
    account_id: input.accountId,
    role: input.role,
    name: input.name.trim(),
    token_hash: sha256(secret),
    prefix: secret.slice(0, 12),
    expires_at: input.expiresAt != null ? new Date(Date.parse(input.expiresAt)).toISOString() : null,
    revoked_at: null,
    last_used_at: null,
    created_at: now,
  };
  await db.transaction().execute(async (trx) => {
    await trx.insertInto("api_tokens").values(row).execute();
    await recordAudit(trx, ctx, {
      action: "token.created",
      objectType: "token",
      objectId: row.id,
      after: { name: row.name, userId, accountId: row.account_id, role: row.role, prefix: row.prefix, expiresAt: row.expires_at },
    });
  });
  return { row, userEmail: user.email, token: secret };
}
