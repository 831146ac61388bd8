import { type Kysely, PostgresAdapter, sql } from "kysely";

/**
 * Web register keys and background jobs. Keys get an integer row id (SQLite's rowid, a
 * PostgreSQL identity) because a million-key load is dominated by index maintenance: one integer
 * primary key plus the unique key index is the least a globally unique key can cost. Bulk
 * entitlements keep key counters so counting never scans. Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable("web_register_keys")
    .addColumn("id", pg ? "bigint" : "integer", (c) => (pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey()))
    .addColumn("bulk_id", "text", (c) => c.notNull().references("entitlements.id"))
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("job_id", "text")
    .addColumn("redeemed_at", "text")
    .addColumn("redeemed_by", "text")
    .addColumn("redeemed_by_label", "text")
    .addColumn("sold_to", "text")
    .addColumn("owner", "text")
    .addColumn("entitlement_id", "text")
    .execute();
  await db.schema.createIndex("web_register_keys_key").unique().on("web_register_keys").column("key").execute();
  // Lists and exports walk a bulk entitlement's keys in id order; redeemed ones (a minority until
  // late) get their own small partial index for the "redeemed" filter. Counts come from counters.
  await db.schema.createIndex("web_register_keys_bulk").on("web_register_keys").columns(["bulk_id", "id"]).execute();
  await sql`CREATE INDEX web_register_keys_redeemed ON web_register_keys (bulk_id, id) WHERE status = 'REDEEMED'`.execute(db);

  for (const col of ["key_count", "redeemed_count"]) {
    await db.schema
      .alterTable("entitlements")
      .addColumn(col, "integer", (c) => c.notNull().defaultTo(0))
      .execute();
  }

  await db.schema
    .createTable("jobs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("bulk_id", "text")
    .addColumn("params", "text", (c) => c.notNull())
    .addColumn("total", "integer")
    .addColumn("done", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("result", "text")
    .addColumn("error", "text")
    .addColumn("cancel_requested", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("worker", "text")
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_by", "text")
    .addColumn("created_by_label", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("started_at", "text")
    .addColumn("heartbeat_at", "text")
    .addColumn("finished_at", "text")
    .execute();
  await db.schema.createIndex("jobs_state").on("jobs").columns(["state", "created_at"]).execute();
  await db.schema.createIndex("jobs_bulk").on("jobs").columns(["bulk_id", "id"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("jobs").execute();
  await db.schema.dropTable("web_register_keys").execute();
  for (const col of ["key_count", "redeemed_count"]) await db.schema.alterTable("entitlements").dropColumn(col).execute();
}
