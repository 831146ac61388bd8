import { type Kysely, sql } from "kysely";

/**
 * Entitlements (simple and bulk), their line items (a bulk entitlement's one product configuration
 * is a line item with role BULK_CONFIG and no activation ID), the products on each line item,
 * channel partners per tier, and the per-entitlement state-change history. Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("entitlements")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("entitlement_id", "text", (c) => c.notNull().unique())
    .addColumn("id_generated", "integer", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("ship_to_email", "text")
    .addColumn("ship_to_address", "text")
    .addColumn("order_id", "text")
    .addColumn("order_line_number", "text")
    .addColumn("allow_portal_login", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("custom_attributes", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("parent_bulk_id", "text", (c) => c.references("entitlements.id"))
    .addColumn("created_by", "text")
    .addColumn("created_by_label", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_by", "text")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("entitlements_state").on("entitlements").columns(["state", "id"]).execute();
  await db.schema.createIndex("entitlements_kind").on("entitlements").columns(["kind", "id"]).execute();
  await db.schema.createIndex("entitlements_order").on("entitlements").column("order_id").execute();
  await db.schema.createIndex("entitlements_parent_bulk").on("entitlements").column("parent_bulk_id").execute();
  await db.schema.createIndex("entitlements_created_at").on("entitlements").column("created_at").execute();

  await db.schema
    .createTable("line_items")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("entitlement_id", "text", (c) => c.notNull().references("entitlements.id").onDelete("cascade"))
    .addColumn("role", "text", (c) => c.notNull()) // LINE_ITEM | BULK_CONFIG
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("activation_id", "text", (c) => c.unique()) // null for a bulk configuration
    .addColumn("id_generated", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("part_number_id", "text", (c) => c.references("part_numbers.id"))
    .addColumn("license_model_id", "text", (c) => c.references("license_models.id"))
    .addColumn("alt_license_model1_id", "text", (c) => c.references("license_models.id"))
    .addColumn("alt_license_model2_id", "text", (c) => c.references("license_models.id"))
    .addColumn("license_model_attributes", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("start_date_option", "text", (c) => c.notNull())
    .addColumn("start_date", "text")
    .addColumn("is_permanent", "integer", (c) => c.notNull())
    .addColumn("term_count", "integer")
    .addColumn("term_unit", "text")
    .addColumn("expiration_date", "text")
    .addColumn("version_date_option", "text")
    .addColumn("version_date", "text")
    .addColumn("number_of_copies", "integer", (c) => c.notNull())
    .addColumn("fulfilled_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("line_item_type", "text")
    .addColumn("parent_line_item_id", "text", (c) => c.references("line_items.id"))
    .addColumn("order_id", "text")
    .addColumn("order_line_number", "text")
    .addColumn("description", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addCheckConstraint("line_items_copies_positive", sql`number_of_copies >= 1`)
    .addCheckConstraint("line_items_fulfilled_within_copies", sql`fulfilled_count >= 0 AND fulfilled_count <= number_of_copies`)
    .execute();
  await db.schema.createIndex("line_items_entitlement").on("line_items").columns(["entitlement_id", "position"]).execute();
  await db.schema.createIndex("line_items_parent").on("line_items").column("parent_line_item_id").execute();
  await db.schema.createIndex("line_items_license_model").on("line_items").column("license_model_id").execute();
  await db.schema.createIndex("line_items_part_number").on("line_items").column("part_number_id").execute();
  // A bulk entitlement holds exactly one product configuration.
  await sql`CREATE UNIQUE INDEX line_items_one_bulk_config ON line_items (entitlement_id) WHERE role = 'BULK_CONFIG'`.execute(db);

  await db.schema
    .createTable("line_item_products")
    .addColumn("line_item_id", "text", (c) => c.notNull().references("line_items.id").onDelete("cascade"))
    .addColumn("product_id", "text", (c) => c.notNull().references("products.id"))
    .addColumn("quantity", "integer", (c) => c.notNull())
    .addColumn("position", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("line_item_products_pk", ["line_item_id", "product_id"])
    .addCheckConstraint("line_item_products_quantity_positive", sql`quantity >= 1`)
    .execute();
  await db.schema.createIndex("line_item_products_product").on("line_item_products").column("product_id").execute();

  await db.schema
    .createTable("entitlement_partners")
    .addColumn("entitlement_id", "text", (c) => c.notNull().references("entitlements.id").onDelete("cascade"))
    .addColumn("tier", "text", (c) => c.notNull().references("partner_tiers.name"))
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("contact_user_id", "text", (c) => c.references("users.id"))
    .addColumn("current_owner", "integer", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("entitlement_partners_pk", ["entitlement_id", "tier"])
    .execute();
  await db.schema
    .createIndex("entitlement_partners_account")
    .on("entitlement_partners")
    .columns(["account_id", "entitlement_id"])
    .execute();
  // Exactly one current owner per entitlement (at most one here; the command ensures at least one).
  await sql`CREATE UNIQUE INDEX entitlement_partners_one_owner ON entitlement_partners (entitlement_id) WHERE current_owner = 1`.execute(
    db,
  );

  await db.schema
    .createTable("entitlement_events")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("entitlement_id", "text", (c) => c.notNull().references("entitlements.id").onDelete("cascade"))
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("user_id", "text")
    .addColumn("user_label", "text")
    .addColumn("description", "text")
    .execute();
  await db.schema
    .createIndex("entitlement_events_entitlement")
    .on("entitlement_events")
    .columns(["entitlement_id", "id"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ["entitlement_events", "entitlement_partners", "line_item_products", "line_items", "entitlements"]) {
    await db.schema.dropTable(t).execute();
  }
}
