import { type Kysely, sql } from "kysely";

/**
 * Extra activations (FNO's overdraft; issue 14 item 5). Frozen once landed.
 *
 * - `line_items.overdraft_count`: copies licensed past `number_of_copies` as extra activations,
 *   now in use (given back first by a return); never below zero. `fulfilled_count` stays within
 *   the copies, so the available count is unchanged: max(0, copies − fulfilled).
 * - `fulfillments.overdraft_count`: how many of a license's copies were taken as extra activations.
 * - `fulfillment_actions.copies`: how many copies an action row stands for; an `EXTRA_ACTIVATION`
 *   row records the extra copies one activation took, counted against the license model's
 *   `allowedExtraActivations` over its window. Support actions are one each.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // Column CHECKs are portable (ALTER TABLE … ADD CONSTRAINT is not, on SQLite).
  await db.schema
    .alterTable("line_items")
    .addColumn("overdraft_count", "integer", (c) => c.notNull().defaultTo(0).check(sql`overdraft_count >= 0`))
    .execute();
  await db.schema
    .alterTable("fulfillments")
    .addColumn("overdraft_count", "integer", (c) => c.notNull().defaultTo(0).check(sql`overdraft_count >= 0`))
    .execute();
  await db.schema
    .alterTable("fulfillment_actions")
    .addColumn("copies", "integer", (c) => c.notNull().defaultTo(1).check(sql`copies >= 1`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("fulfillment_actions").dropColumn("copies").execute();
  await db.schema.alterTable("fulfillments").dropColumn("overdraft_count").execute();
  await db.schema.alterTable("line_items").dropColumn("overdraft_count").execute();
}
