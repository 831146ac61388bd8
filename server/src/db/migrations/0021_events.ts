import { type Kysely, PostgresAdapter, sql } from "kysely";

/**
 * Domain events (issue 17 item 1). Frozen once landed.
 *
 * `events`: one row per domain event, written in the same transaction as the change it records, so
 * an event exists exactly when its change committed. Webhook deliveries and the events API read it.
 * - `seq`: the order of insertion; `id` (`evt_…`): the event's public, unique id (a webhook's
 *   `webhook-id`, so receivers detect a retried duplicate).
 * - `tx_id`: on PostgreSQL the writing transaction's id (`pg_current_xact_id()`). Concurrent
 *   transactions commit in another order than they took `seq`, so a reader paging by `seq` alone
 *   could pass an event that commits later with a lower `seq` and never see it. Readers page by
 *   (`tx_id`, `seq`) and only over transactions older than the oldest still running
 *   (`pg_snapshot_xmin(pg_current_snapshot())`): everything below that line is final. On SQLite one
 *   writer commits at a time, so `seq` order is commit order and `tx_id` stays 0.
 * - `entitlement_id`: the entitlement the event concerns (its order key: deliveries of one
 *   entitlement's events go out in order), null for events about no entitlement.
 * - `payload`: the event's JSON body (`data` of the webhook), as it was when the change committed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable("events")
    .addColumn("seq", pg ? "bigint" : "integer", (c) => (pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey()))
    .addColumn("id", "text", (c) => c.notNull().unique())
    .addColumn("tx_id", "bigint", (c) => c.notNull().defaultTo(pg ? sql`(pg_current_xact_id()::text::bigint)` : 0))
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("occurred_at", "text", (c) => c.notNull())
    .addColumn("subject_type", "text", (c) => c.notNull())
    .addColumn("subject_id", "text", (c) => c.notNull())
    .addColumn("entitlement_id", "text")
    .addColumn("account_id", "text")
    .addColumn("request_id", "text")
    .addColumn("payload", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("events_tx_seq").on("events").columns(["tx_id", "seq"]).execute();
  await db.schema.createIndex("events_type_seq").on("events").columns(["type", "seq"]).execute();
  await db.schema.createIndex("events_entitlement").on("events").columns(["entitlement_id", "seq"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("events").execute();
}
