import { type Kysely, sql } from "kysely";

/**
 * Fulfillments: one generated license each (issue 14). Frozen once landed.
 *
 * - `fulfillments.fulfillment_id`: the public `FID_…` ID, unique. The claims it was signed with are
 *   kept as columns (product, license model, hosts, dates, attributes) and the signed file in
 *   `license`, so a later change of the catalog or line item never changes an issued license.
 * - `fulfillment_hosts`: one row per host of a fulfillment, `normalized` by LICENSE-FORMAT §4. The
 *   partial unique index over ACTIVE hosts (`active` = 1) is what refuses a second active license
 *   for one host on one line item, whoever activates at the same moment.
 * - `request_nonce`: an offline activation request's nonce, unique: the same file uploaded twice
 *   gives the same fulfillment.
 * - `fulfillment_actions`: every return, rehost and repair of a line item, counted against the
 *   license model's policies over their window.
 * - Deleting a line item (a TEST entitlement deleted) deletes its fulfillments.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("fulfillments")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("fulfillment_id", "text", (c) => c.notNull().unique())
    .addColumn("line_item_id", "text", (c) => c.notNull().references("line_items.id").onDelete("cascade"))
    .addColumn("entitlement_pk", "text", (c) => c.notNull().references("entitlements.id").onDelete("cascade"))
    .addColumn("entitlement_id", "text", (c) => c.notNull())
    .addColumn("activation_id", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("product_name", "text", (c) => c.notNull())
    .addColumn("product_version", "text", (c) => c.notNull())
    .addColumn("license_model_id", "text", (c) => c.notNull())
    .addColumn("license_model_name", "text", (c) => c.notNull())
    .addColumn("license_model_type", "text", (c) => c.notNull())
    .addColumn("technology", "text", (c) => c.notNull())
    .addColumn("features", "text", (c) => c.notNull())
    .addColumn("hosts", "text", (c) => c.notNull())
    .addColumn("count", "integer", (c) => c.notNull())
    .addColumn("start_date", "text", (c) => c.notNull())
    .addColumn("expiration_date", "text")
    .addColumn("version_date", "text")
    .addColumn("attributes", "text", (c) => c.notNull())
    .addColumn("ship_to_email", "text")
    .addColumn("ship_to_address", "text")
    .addColumn("send_email", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("parent_id", "text")
    .addColumn("kid", "text", (c) => c.notNull())
    .addColumn("license", "text", (c) => c.notNull())
    .addColumn("reason", "text")
    .addColumn("policy_overridden", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("request_nonce", "text", (c) => c.unique())
    .addColumn("fulfilled_at", "text", (c) => c.notNull())
    .addColumn("fulfilled_by", "text")
    .addColumn("fulfilled_by_user_id", "text")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addCheckConstraint("fulfillments_count_positive", sql`count >= 1`)
    .execute();
  await db.schema.createIndex("fulfillments_line_item").on("fulfillments").columns(["line_item_id", "id"]).execute();
  await db.schema.createIndex("fulfillments_entitlement").on("fulfillments").columns(["entitlement_pk", "id"]).execute();
  await db.schema.createIndex("fulfillments_parent").on("fulfillments").column("parent_id").execute();

  await db.schema
    .createTable("fulfillment_hosts")
    .addColumn("fulfillment_id", "text", (c) => c.notNull().references("fulfillments.id").onDelete("cascade"))
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("line_item_id", "text", (c) => c.notNull())
    .addColumn("host_type", "text", (c) => c.notNull())
    .addColumn("normalized", "text", (c) => c.notNull())
    .addColumn("active", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("fulfillment_hosts_pk", ["fulfillment_id", "position"])
    .execute();
  await db.schema
    .createIndex("fulfillment_hosts_one_active")
    .on("fulfillment_hosts")
    .columns(["line_item_id", "host_type", "normalized"])
    .unique()
    .where(sql.ref("active"), "=", 1)
    .execute();
  await db.schema.createIndex("fulfillment_hosts_search").on("fulfillment_hosts").columns(["normalized"]).execute();

  await db.schema
    .createTable("fulfillment_actions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("line_item_id", "text", (c) => c.notNull().references("line_items.id").onDelete("cascade"))
    .addColumn("fulfillment_id", "text", (c) => c.notNull().references("fulfillments.id").onDelete("cascade"))
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("overridden", "integer", (c) => c.notNull())
    .addColumn("reason", "text")
    .execute();
  await db.schema
    .createIndex("fulfillment_actions_count")
    .on("fulfillment_actions")
    .columns(["line_item_id", "action", "at"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("fulfillment_actions").execute();
  await db.schema.dropTable("fulfillment_hosts").execute();
  await db.schema.dropTable("fulfillments").execute();
}
