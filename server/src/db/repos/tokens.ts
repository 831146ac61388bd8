import { newestFirst, type Page, type PageRequest } from "../paging.js";
import type { ApiTokensTable, Db, Trx } from "../schema.js";

export type TokenRow = ApiTokensTable & { user_email: string };

/** Tokens newest first (ids are time-ordered); `userId` null lists everyone's. */
export async function listTokens(db: Db, userId: string | null, page: PageRequest): Promise<Page<TokenRow>> {
  let q = db
    .selectFrom("api_tokens")
    .innerJoin("users", "users.id", "api_tokens.user_id")
    .selectAll("api_tokens")
    .select("users.email as user_email");
  if (userId) q = q.where("api_tokens.user_id", "=", userId);
  return newestFirst(q, "api_tokens.id", page);
}

/**
 * Revokes every live API token of a user, inside the caller's transaction (a password change or
 * reset that asked for it). The one write here: both callers need exactly this statement.
 */
export async function revokeUserTokens(trx: Trx, userId: string, now: string): Promise<number> {
  const r = await trx
    .updateTable("api_tokens")
    .set({ revoked_at: now })
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
