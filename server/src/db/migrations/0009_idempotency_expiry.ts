import type { Kysely } from "kysely";

/** The fields the idempotency plugin redacts (kept here as they were, so this migration stays frozen). */
const SECRET_FIELDS = ["token", "initialPassword", "password", "secret"];
function redactSecrets(response: string): string {
  try {
    const body = JSON.parse(response) as unknown;
    if (!body || typeof body !== "object" || Array.isArray(body)) return response;
    const o = body as Record<string, unknown>;
    if (!SECRET_FIELDS.some((f) => typeof o[f] === "string")) return response;
    for (const f of SECRET_FIELDS) if (typeof o[f] === "string") o[f] = null;
    return JSON.stringify(o);
  } catch {
    return response;
  }
}

/**
 * Stored idempotent answers expire (plugins/idempotency.ts sweeps rows older than 24 hours by
 * `created_at`, hence the index) and never hold a secret: answers stored before this migration
 * had API token secrets and initial passwords in plain text; they are redacted here, the same way
 * new answers are (the secret becomes null). Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex("idempotency_keys_created_at").on("idempotency_keys").column("created_at").execute();
  const rows = await db
    .selectFrom("idempotency_keys")
    .select(["scope", "key", "response"])
    .where("response", "is not", null)
    .execute();
  for (const r of rows as { scope: string; key: string; response: string }[]) {
    const redacted = redactSecrets(r.response);
    if (redacted === r.response) continue;
    await db
      .updateTable("idempotency_keys")
      .set({ response: redacted })
      .where("scope", "=", r.scope)
      .where("key", "=", r.key)
      .execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("idempotency_keys_created_at").execute();
}
