import type { Kysely } from "kysely";

/**
 * Password reset by email and email verification (issue 17 item 4). Frozen once landed.
 *
 * - `users.email_verified_at`: when the user proved they receive mail at their address (a
 *   verification link, or a password reset link, followed). Users that existed before this
 *   migration are taken as verified at their creation: they were made by an administrator or
 *   registered before verification existed, and nobody should be nagged for that.
 * - `user_email_tokens`: single-use links sent by email. `id` is the SHA-256 of the token (hex): the
 *   token itself is only ever in the email. `purpose` is PASSWORD_RESET or VERIFY_EMAIL; a token is
 *   spent by one conditional UPDATE of `used_at` (`used_at IS NULL AND expires_at > now`), so two
 *   concurrent confirms cannot both succeed. A newer token of the same purpose deletes the user's
 *   unused older ones.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("users").addColumn("email_verified_at", "text").execute();
  await db
    .updateTable("users")
    .set((eb) => ({ email_verified_at: eb.ref("created_at") }))
    .execute();
  await db.schema
    .createTable("user_email_tokens")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("purpose", "text", (c) => c.notNull())
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("used_at", "text")
    .execute();
  await db.schema.createIndex("user_email_tokens_user").on("user_email_tokens").columns(["user_id", "purpose"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("user_email_tokens").execute();
  await db.schema.alterTable("users").dropColumn("email_verified_at").execute();
}
