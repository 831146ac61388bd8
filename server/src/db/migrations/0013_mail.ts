import type { Kysely } from "kysely";

/**
 * The outbox (issue 14 item 7): every email Licensor sends or would send. Frozen once landed.
 *
 * - A message is inserted in the same transaction as what caused it (a deploy, a redemption, an
 *   activation), QUEUED, so nothing is lost when SMTP is not configured or down.
 * - `recipients` and `attachments` are JSON text: the addresses, and `{filename, contentType,
 *   content}` with the content inline (licenses and certificates are text; binary as base64 with
 *   `encoding: "base64"`).
 * - `status`: QUEUED (waiting for `next_attempt_at`), SENDING (a `mail.send` job named by `job_id`
 *   owns it), SENT, FAILED (permanent refusal or out of attempts), NOT_SENT_NO_SMTP (no SMTP host
 *   configured when its turn came; kept until someone resends it).
 * - The index on (status, next_attempt_at) is the dispatcher's: due messages, cheaply.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("email_messages")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("recipients", "text", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("body_text", "text", (c) => c.notNull())
    .addColumn("attachments", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_error", "text")
    .addColumn("next_attempt_at", "text")
    .addColumn("sent_at", "text")
    .addColumn("job_id", "text")
    .addColumn("object_type", "text")
    .addColumn("object_id", "text")
    .addColumn("created_by", "text")
    .addColumn("created_by_label", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("email_messages_due").on("email_messages").columns(["status", "next_attempt_at"]).execute();
  await db.schema.createIndex("email_messages_object").on("email_messages").columns(["object_id"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("email_messages").execute();
}
