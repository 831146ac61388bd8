import { after, decodeCursor, type Page, type PageRequest, pageLimit, toPage } from "../paging.js";
import type { ApiTokensTable, Db, Trx } from "../schema.js";

export type TokenRow = ApiTokensTable & { user_email: string };

/** Tokens newest first (ids are time-ordered); `userId` null lists everyone's. */
export async function listTokens(db: Db, userId: string | null, page: PageRequest): Promise<Page<TokenRow>> {
  const limit = pageLimit(page);
  const cur = decodeCursor(page.cursor, 1);
  let q = db
    .selectFrom("api_tokens")
    .innerJoin("users", "users.id", "api_tokens.user_id")
    .selectAll("api_tokens")
    .select("users.email as user_email");
  if (userId) q = q.where("api_tokens.user_id", "=", userId);
  if (cur) q = q.where((eb) => after(eb, ["api_tokens.id"], cur, "desc"));
  const rows = await q
    .orderBy("api_tokens.id", "desc")
    .limit(limit + 1)
    .execute();
  return toPage(
    rows,
    limit,
    (r) => [r.id],
    (r) => r,
  );
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
