import { type Kysely, PostgresAdapter, sql } from "kysely";

/**
 * Rows every redemption used to write, which made concurrent redemptions on PostgreSQL queue one
 * behind the other, each holding the row until its commit reached the disk. Frozen once landed.
 *
 * - A bulk entitlement's redeemed count gets shards: a redemption adds one to the shard its key
 *   falls in, so concurrent redemptions rarely touch the same row. The count is
 *   `entitlements.redeemed_count` (what was counted before) plus the shards' sum.
 * - The rate-limit counters and miss lockouts are bumped by every attempt from one address.
 *   They are worth keeping only while the server runs: on PostgreSQL they become UNLOGGED (no WAL,
 *   so no wait for a flush; emptied after a database crash, never by a normal restart).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("key_redemption_counts")
    .addColumn("bulk_id", "text", (c) => c.notNull().references("entitlements.id").onDelete("cascade"))
    .addColumn("shard", "integer", (c) => c.notNull())
    .addColumn("redeemed", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("key_redemption_counts_pk", ["bulk_id", "shard"])
    .execute();
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`ALTER TABLE rate_counters SET UNLOGGED`.execute(db);
  await sql`ALTER TABLE redeem_misses SET UNLOGGED`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("key_redemption_counts").execute();
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`ALTER TABLE rate_counters SET LOGGED`.execute(db);
  await sql`ALTER TABLE redeem_misses SET LOGGED`.execute(db);
}
