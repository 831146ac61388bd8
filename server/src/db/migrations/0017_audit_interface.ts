import type { Kysely } from "kysely";

/**
 * Which interface a change came through (issue 16): `REST` (the API and the portal), `SOAP` (the
 * FNO-compatible facade) or null (events written before this column, and the CLI's and jobs'
 * system contexts). Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("audit_events").addColumn("interface", "text").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("audit_events").dropColumn("interface").execute();
}
