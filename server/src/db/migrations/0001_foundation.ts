import { type Kysely, sql } from "kysely";

/**
 * Foundation schema: accounts, users and roles, sessions and tokens, partner tiers, catalog, audit.
 * Frozen: never import application code here. Portable DDL only (text timestamps in ISO-8601 UTC,
 * integer 0/1 booleans, JSON as text) so one query layer serves SQLite and PostgreSQL alike.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const ts = (name: string) => [name, "text", (c: any) => c.notNull()] as const;

  await db.schema
    .createTable("accounts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("address1", "text")
    .addColumn("address2", "text")
    .addColumn("city", "text")
    .addColumn("state", "text")
    .addColumn("zipcode", "text")
    .addColumn("country", "text")
    .addColumn("region", "text")
    .addColumn("visible", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("parent_id", "text", (c) => c.references("accounts.id"))
    .addColumn(...ts("created_at"))
    .addColumn(...ts("updated_at"))
    .execute();
  // Exactly one PUBLISHER account: the producer running this instance.
  await sql`CREATE UNIQUE INDEX accounts_one_publisher ON accounts (type) WHERE type = 'PUBLISHER'`.execute(db);
  await db.schema.createIndex("accounts_name").on("accounts").column("name").execute();
  await db.schema.createIndex("accounts_parent").on("accounts").column("parent_id").execute();

  await db.schema
    .createTable("account_relations")
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    .addColumn("related_account_id", "text", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    .addColumn(...ts("created_at"))
    .addPrimaryKeyConstraint("account_relations_pk", ["account_id", "related_account_id"])
    .execute();
  await db.schema.createIndex("account_relations_related").on("account_relations").column("related_account_id").execute();

  await db.schema
    .createTable("users")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("email", "text", (c) => c.notNull().unique())
    .addColumn("first_name", "text", (c) => c.notNull())
    .addColumn("last_name", "text", (c) => c.notNull())
    .addColumn("phone", "text")
    .addColumn("locale", "text")
    .addColumn("time_zone", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("password_hash", "text")
    .addColumn("password_changed_at", "text")
    .addColumn("last_login_at", "text")
    .addColumn(...ts("created_at"))
    .addColumn(...ts("updated_at"))
    .execute();

  await db.schema
    .createTable("user_roles")
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("role", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("user_roles_pk", ["user_id", "account_id", "role"])
    .execute();
  await db.schema.createIndex("user_roles_account").on("user_roles").columns(["account_id", "role"]).execute();

  await db.schema
    .createTable("sessions")
    .addColumn("id", "text", (c) => c.primaryKey()) // sha256 of the cookie value, never the value
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("csrf_token", "text", (c) => c.notNull())
    .addColumn("ip", "text")
    .addColumn("user_agent", "text")
    .addColumn(...ts("created_at"))
    .addColumn(...ts("last_seen_at"))
    .addColumn(...ts("expires_at"))
    .execute();
  await db.schema.createIndex("sessions_user").on("sessions").column("user_id").execute();

  await db.schema
    .createTable("api_tokens")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("prefix", "text", (c) => c.notNull())
    .addColumn("expires_at", "text")
    .addColumn("revoked_at", "text")
    .addColumn("last_used_at", "text")
    .addColumn(...ts("created_at"))
    .execute();
  await db.schema.createIndex("api_tokens_user").on("api_tokens").column("user_id").execute();

  await db.schema
    .createTable("login_failures")
    .addColumn("email", "text", (c) => c.primaryKey())
    .addColumn("failures", "integer", (c) => c.notNull())
    .addColumn("lockouts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn(...ts("first_failure_at"))
    .addColumn("locked_until", "text")
    .execute();

  await db.schema
    .createTable("partner_tiers")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("display_name", "text", (c) => c.notNull().unique())
    .addColumn("description", "text")
    .addColumn("rank", "integer", (c) => c.notNull())
    .addColumn("built_in", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn(...ts("created_at"))
    .addColumn(...ts("updated_at"))
    .execute();
  const now = new Date().toISOString();
  await db
    .insertInto("partner_tiers")
    .values([
      {
        name: "bo.constants.partnertiernames.tier1",
        display_name: "Distributor",
        description: "Channel partner that buys from the producer and resells.",
        rank: 1,
        built_in: 1,
        created_at: now,
        updated_at: now,
      },
      {
        name: "bo.constants.partnertiernames.endcustomer",
        display_name: "End Customer",
        description: "The company that uses the product.",
        rank: 100,
        built_in: 1,
        created_at: now,
        updated_at: now,
      },
    ])
    .execute();

  await db.schema
    .createTable("license_models")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("description", "text")
    .addColumn("technology", "text", (c) => c.notNull())
    .addColumn("model_type", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("attributes", "text", (c) => c.notNull())
    .addColumn("policies", "text", (c) => c.notNull())
    .addColumn(...ts("created_at"))
    .addColumn(...ts("updated_at"))
    .execute();

  await db.schema
    .createTable("products")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("version", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn(...ts("created_at"))
    .addColumn(...ts("updated_at"))
    .addUniqueConstraint("products_name_version", ["name", "version"])
    .execute();

  await db.schema
    .createTable("product_features")
    .addColumn("product_id", "text", (c) => c.notNull().references("products.id").onDelete("cascade"))
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("version", "text", (c) => c.notNull())
    .addColumn("count", "integer") // null: uncounted
    .addPrimaryKeyConstraint("product_features_pk", ["product_id", "name", "version"])
    .execute();

  await db.schema
    .createTable("product_relations")
    .addColumn("product_id", "text", (c) => c.notNull().references("products.id").onDelete("cascade"))
    .addColumn("related_product_id", "text", (c) => c.notNull().references("products.id").onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("product_relations_pk", ["product_id", "related_product_id", "kind"])
    .execute();

  await db.schema
    .createTable("product_license_models")
    .addColumn("product_id", "text", (c) => c.notNull().references("products.id").onDelete("cascade"))
    .addColumn("license_model_id", "text", (c) => c.notNull().references("license_models.id"))
    .addPrimaryKeyConstraint("product_license_models_pk", ["product_id", "license_model_id"])
    .execute();

  await db.schema
    .createTable("part_numbers")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("part_id", "text", (c) => c.notNull().unique())
    .addColumn("description", "text")
    .addColumn("product_id", "text", (c) => c.notNull().references("products.id"))
    .addColumn("quantity", "integer", (c) => c.notNull())
    .addColumn("license_model_id", "text", (c) => c.references("license_models.id"))
    .addColumn(...ts("created_at"))
    .addColumn(...ts("updated_at"))
    .execute();

  // Referencing columns get indexes so "is it in use?" checks and cascades never scan.
  await db.schema.createIndex("part_numbers_product").on("part_numbers").column("product_id").execute();
  await db.schema.createIndex("part_numbers_license_model").on("part_numbers").column("license_model_id").execute();
  await db.schema.createIndex("product_license_models_model").on("product_license_models").column("license_model_id").execute();
  await db.schema.createIndex("product_relations_related").on("product_relations").column("related_product_id").execute();
  await db.schema.createIndex("api_tokens_account").on("api_tokens").column("account_id").execute();

  await db.schema
    .createTable("audit_events")
    .addColumn("id", "text", (c) => c.primaryKey()) // UUIDv7: time-ordered, so it is the keyset too
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("actor_type", "text", (c) => c.notNull())
    .addColumn("actor_id", "text")
    .addColumn("actor_label", "text")
    .addColumn("token_id", "text")
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("object_type", "text", (c) => c.notNull())
    .addColumn("object_id", "text", (c) => c.notNull())
    .addColumn("changes", "text", (c) => c.notNull())
    .addColumn("request_id", "text")
    .addColumn("ip", "text")
    .execute();
  await db.schema.createIndex("audit_events_object").on("audit_events").columns(["object_type", "object_id", "id"]).execute();
  await db.schema.createIndex("audit_events_actor").on("audit_events").columns(["actor_id", "id"]).execute();
  await db.schema.createIndex("audit_events_action").on("audit_events").columns(["action", "id"]).execute();

  await db.schema
    .createTable("idempotency_keys")
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("request_hash", "text", (c) => c.notNull())
    .addColumn("status_code", "integer")
    .addColumn("response", "text")
    .addColumn(...ts("created_at"))
    .addPrimaryKeyConstraint("idempotency_keys_pk", ["scope", "key"])
    .execute();

  await db.schema
    .createTable("settings")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .addColumn(...ts("updated_at"))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    "settings",
    "idempotency_keys",
    "audit_events",
    "part_numbers",
    "product_license_models",
    "product_relations",
    "product_features",
    "products",
    "license_models",
    "partner_tiers",
    "login_failures",
    "api_tokens",
    "sessions",
    "user_roles",
    "users",
    "account_relations",
    "accounts",
  ]) {
    await db.schema.dropTable(t).execute();
  }
}
