import { sql } from "kysely";
import type { Db, Trx } from "../db/schema.js";
import { randomToken, sha256 } from "../util.js";

/**
 * Single-use links sent by email (password reset, email verification). The token is 32 random
 * bytes; only its SHA-256 is stored, so a copy of the database opens no account. A token is spent
 * by one conditional UPDATE, so of two concurrent confirms exactly one wins.
 */

export const EMAIL_TOKEN_PURPOSES = ["PASSWORD_RESET", "VERIFY_EMAIL"] as const;
export type EmailTokenPurpose = (typeof EMAIL_TOKEN_PURPOSES)[number];

/** How long a link works, and the words the email uses for it. */
export const EMAIL_TOKEN_TTL: Record<EmailTokenPurpose, { ms: number; words: string }> = {
  PASSWORD_RESET: { ms: 3_600_000, words: "1 hour" },
  VERIFY_EMAIL: { ms: 24 * 3_600_000, words: "24 hours" },
};

/** Emails of one purpose a single address (or user) may be sent per hour; more are silently not sent. */
export const EMAIL_LINKS_PER_HOUR = 3;
const HOUR_MS = 3_600_000;

/**
 * A new token for `user`, written in the caller's transaction; the user's unused older tokens of
 * the same purpose are deleted (the newest link is the only one that works). Returns the token.
 */
export async function issueEmailToken(
  trx: Trx,
  user: { id: string; email: string },
  purpose: EmailTokenPurpose,
  now = new Date(),
): Promise<string> {
  await trx
    .deleteFrom("user_email_tokens")
    .where("user_id", "=", user.id)
    .where("purpose", "=", purpose)
    .where("used_at", "is", null)
    .execute();
  const token = randomToken(32);
  await trx
    .insertInto("user_email_tokens")
    .values({
      id: sha256(token),
      user_id: user.id,
      purpose,
      email: user.email,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + EMAIL_TOKEN_TTL[purpose].ms).toISOString(),
      used_at: null,
    })
    .execute();
  return token;
}

/**
 * The user a live token (unused, unexpired, issued to the user's current address) belongs to, or
 * undefined. A read only: the token is spent by {@link spendEmailToken}.
 */
export async function findLiveEmailToken(db: Db | Trx, token: string, purpose: EmailTokenPurpose, now = new Date()) {
  return db
    .selectFrom("user_email_tokens as t")
    .innerJoin("users as u", "u.id", "t.user_id")
    .select(["t.id as tokenId", "u.id", "u.email", "u.first_name", "u.last_name", "u.status", "u.email_verified_at"])
    .where("t.id", "=", sha256(token))
    .where("t.purpose", "=", purpose)
    .where("t.used_at", "is", null)
    .where("t.expires_at", ">", now.toISOString())
    .whereRef("t.email", "=", "u.email")
    .executeTakeFirst();
}

/** Marks a live token used; true when this call spent it (false: unknown, used, expired or taken by a concurrent call). */
export async function spendEmailToken(trx: Trx, token: string, purpose: EmailTokenPurpose, now = new Date()): Promise<boolean> {
  const [r] = await trx
    .updateTable("user_email_tokens")
    .set({ used_at: now.toISOString() })
    .where("id", "=", sha256(token))
    .where("purpose", "=", purpose)
    .where("used_at", "is", null)
    .where("expires_at", ">", now.toISOString())
    .execute();
  return Number(r?.numUpdatedRows ?? 0) === 1;
}

/**
 * Counts one emailed-link request for `subject` (an address or a user id) in its hour, in the
 * database (`rate_counters`, shared by every server process); returns the count including this
 * one. Subjects are hashed: the counters hold no addresses.
 */
export async function countLinkRequest(trx: Trx, purpose: EmailTokenPurpose, subject: string, now = Date.now()): Promise<number> {
  const windowStart = Math.floor(now / HOUR_MS) * HOUR_MS;
  const row = await trx
    .insertInto("rate_counters")
    .values({ bucket: `link:${purpose}:${sha256(subject.toLowerCase())}`, window_start: windowStart, count: 1 })
    .onConflict((oc) => oc.columns(["bucket", "window_start"]).doUpdateSet({ count: sql`rate_counters.count + 1` }))
    .returning("count")
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
