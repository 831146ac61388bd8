import { type Kysely, PostgresAdapter } from "kysely";

/**
 * Webhook endpoints and their signed deliveries (issue 17 item 1). Frozen once landed.
 *
 * `webhook_endpoints`: where events are sent.
 * - `event_types`: JSON array of exact event types or `subject.*` (every type of a subject) or `*`.
 * - `secret_sealed`: the Standard Webhooks secret (`whsec_<base64>`), sealed with the key-encryption
 *   key of the signing keys (licensing/secret.ts), its associated data naming the endpoint.
 * - `position_tx_id`, `position_seq`: how far in the event stream (migration 0021) this endpoint's
 *   fan-out has gone; advanced by a conditional UPDATE (WHERE the position is the one read) in the
 *   transaction that inserts the deliveries, so two processes never fan out an event twice.
 *
 * `webhook_deliveries`: one per (endpoint, event), unique, so a second fan-out cannot duplicate it.
 * - `event_tx_id`, `event_seq`: the event's stream position, the delivery order; `entitlement_id` its
 *   order key: a delivery waits while an earlier one of the same endpoint and entitlement is PENDING.
 * - `status`: PENDING (waiting for `next_attempt_at`, or `claim`ed by a `webhook.deliver` job),
 *   SUCCEEDED, FAILED (still failing at `deadline_at`: 24 h after it was created, or at once after a
 *   failed redelivery); `claim`: the token of the `webhook.deliver` job that owns its next attempt;
 *   `next_trigger`: what that attempt is (AUTO, REDELIVER asked by a user, TEST event).
 * - The index on (status, next_attempt_at) is the dispatcher's: due deliveries, cheaply.
 *
 * `webhook_delivery_attempts`: every attempt, with its response code or error, duration and the
 * first bytes of the response body.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable("webhook_endpoints")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("event_types", "text", (c) => c.notNull())
    .addColumn("secret_sealed", "text", (c) => c.notNull())
    .addColumn("enabled", "integer", (c) => c.notNull())
    .addColumn("position_tx_id", "bigint", (c) => c.notNull())
    .addColumn("position_seq", "bigint", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("webhook_deliveries")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("endpoint_id", "text", (c) => c.notNull().references("webhook_endpoints.id").onDelete("cascade"))
    .addColumn("event_id", "text", (c) => c.notNull())
    .addColumn("event_type", "text", (c) => c.notNull())
    .addColumn("event_tx_id", "bigint", (c) => c.notNull())
    .addColumn("event_seq", "bigint", (c) => c.notNull())
    .addColumn("entitlement_id", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "text")
    .addColumn("deadline_at", "text", (c) => c.notNull())
    .addColumn("claim", "text")
    .addColumn("next_trigger", "text", (c) => c.notNull().defaultTo("AUTO"))
    .addColumn("last_status_code", "integer")
    .addColumn("last_error", "text")
    .addColumn("last_duration_ms", "integer")
    .addColumn("delivered_at", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addUniqueConstraint("webhook_deliveries_endpoint_event", ["endpoint_id", "event_id"])
    .execute();
  await db.schema.createIndex("webhook_deliveries_due").on("webhook_deliveries").columns(["status", "next_attempt_at"]).execute();
  await db.schema
    .createIndex("webhook_deliveries_order")
    .on("webhook_deliveries")
    .columns(["endpoint_id", "entitlement_id", "status", "event_tx_id", "event_seq"])
    .execute();
  await db.schema.createIndex("webhook_deliveries_log").on("webhook_deliveries").columns(["endpoint_id", "id"]).execute();
  await db.schema.createIndex("webhook_deliveries_claim").on("webhook_deliveries").columns(["claim"]).execute();
  await db.schema
    .createTable("webhook_delivery_attempts")
    .addColumn("id", pg ? "bigint" : "integer", (c) => (pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey()))
    .addColumn("delivery_id", "text", (c) => c.notNull().references("webhook_deliveries.id").onDelete("cascade"))
    .addColumn("attempted_at", "text", (c) => c.notNull())
    .addColumn("trigger", "text", (c) => c.notNull())
    .addColumn("status_code", "integer")
    .addColumn("error", "text")
    .addColumn("duration_ms", "integer", (c) => c.notNull())
    .addColumn("response_snippet", "text")
    .execute();
  await db.schema
    .createIndex("webhook_delivery_attempts_delivery")
    .on("webhook_delivery_attempts")
    .columns(["delivery_id", "id"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("webhook_delivery_attempts").execute();
  await db.schema.dropTable("webhook_deliveries").execute();
  await db.schema.dropTable("webhook_endpoints").execute();
}
