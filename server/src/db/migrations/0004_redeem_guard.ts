import type { Kysely } from "kysely";

/**
 * Shared abuse-control state for redemption, in the database so limits hold across several server
 * processes (PostgreSQL) with no extra service: fixed-window counters and miss lockouts. Frozen
 * once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("rate_counters")
    .addColumn("bucket", "text", (c) => c.notNull())
    .addColumn("window_start", "bigint", (c) => c.notNull())
    .addColumn("count", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("rate_counters_pk", ["bucket", "window_start"])
    .execute();
  await db.schema
    .createTable("redeem_misses")
    .addColumn("subject", "text", (c) => c.primaryKey())
    .addColumn("misses", "integer", (c) => c.notNull())
    .addColumn("lockouts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("first_miss_at", "text", (c) => c.notNull())
    .addColumn("locked_until", "text")
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("redeem_misses").execute();
  await db.schema.dropTable("rate_counters").execute();
}
