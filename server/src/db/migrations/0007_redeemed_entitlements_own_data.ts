import { type Kysely, sql } from "kysely";

/**
 * A redeemed entitlement copies the bulk's product configuration only (PRODUCT.md §3): never the
 * retailer's order ID, order line, ship-to, custom attributes or descriptions. Entitlements
 * redeemed before that rule (and those transferred from them, which keep `parent_bulk_id`) lose
 * the values they copied from their bulk entitlement — only where they are still the bulk's, so a
 * value a producer set on the redeemed entitlement itself stays. Both databases. Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const col of ["order_id", "order_line_number", "description", "ship_to_email", "ship_to_address"]) {
    await sql`
      UPDATE entitlements SET ${sql.ref(col)} = NULL
      WHERE parent_bulk_id IS NOT NULL
        AND ${sql.ref(col)} = (SELECT b.${sql.ref(col)} FROM entitlements b WHERE b.id = entitlements.parent_bulk_id)
    `.execute(db);
  }
  await sql`
    UPDATE entitlements SET custom_attributes = '{}'
    WHERE parent_bulk_id IS NOT NULL AND custom_attributes <> '{}'
      AND custom_attributes = (SELECT b.custom_attributes FROM entitlements b WHERE b.id = entitlements.parent_bulk_id)
  `.execute(db);
  for (const col of ["order_id", "order_line_number", "description"]) {
    await sql`
      UPDATE line_items SET ${sql.ref(col)} = NULL
      WHERE ${sql.ref(col)} IS NOT NULL
        AND ${sql.ref(col)} = (
          SELECT c.${sql.ref(col)} FROM entitlements e
          JOIN line_items c ON c.entitlement_id = e.parent_bulk_id AND c.role = 'BULK_CONFIG'
          WHERE e.id = line_items.entitlement_id
        )
    `.execute(db);
  }
}

/** The copied values are not kept anywhere, so there is nothing to put back. */
export async function down(_db: Kysely<any>): Promise<void> {}
