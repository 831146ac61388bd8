import type { Kysely } from "kysely";

/**
 * Which channel partner manages an account (issue 15, partner portal). Frozen once landed.
 *
 * `accounts.managed_by`: the partner account whose portal admin created this account (a reseller
 * or customer it sells to). Only that partner's admins may place users on it. A relation alone
 * (`account_relations`, symmetric: "may sell to") never grants that: otherwise a reseller's admin
 * could add itself to its distributor, or a partner to any customer the producer related to it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("accounts")
    .addColumn("managed_by", "text", (c) => c.references("accounts.id"))
    .execute();
  await db.schema.createIndex("accounts_managed_by").on("accounts").column("managed_by").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("accounts_managed_by").execute();
  await db.schema.alterTable("accounts").dropColumn("managed_by").execute();
}
