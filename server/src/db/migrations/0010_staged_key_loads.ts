import type { Kysely } from "kysely";

/**
 * Staged key loads (SQLite): a load writes its keys in short transactions so other requests go on,
 * each key with the `load_id` of a `key_loads` row; readers ignore keys whose load is still
 * there, and the load's last small transaction deletes the row, making all its keys visible at
 * once. A killed load leaves its row and keys for the next load to delete. Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("key_loads")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("bulk_id", "text", (c) => c.notNull())
    .addColumn("owner", "text", (c) => c.notNull())
    .addColumn("after_id", "bigint", (c) => c.notNull())
    .addColumn("heartbeat_at", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.alterTable("web_register_keys").addColumn("load_id", "text").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("web_register_keys").dropColumn("load_id").execute();
  await db.schema.dropTable("key_loads").execute();
}
