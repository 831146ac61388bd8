import type { Kysely } from "kysely";

/**
 * License signing keys (docs/LICENSE-FORMAT.md §5). Frozen once landed.
 *
 * - `kid`: the RFC 7638 thumbprint of the public key, unique: licenses name their key by it.
 * - `public_x`: the Ed25519 public key, base64url (published as the JWK's `x`).
 * - `private_enc`: the PKCS #8 private key sealed with AES-256-GCM (`iv.ciphertext.tag`, base64url),
 *   the kid as associated data, under a key-encryption key from LICENSOR_SIGNING_KEY_SECRET or the
 *   data folder's generated secret; `kek_id` names that key-encryption key (never the key itself),
 *   so a process holding another one says so instead of failing to decrypt.
 * - At most one ACTIVE key: a partial unique index, so two processes starting at once or two
 *   rotations at once cannot both leave an active key (the loser retries or reads the winner's).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("signing_keys")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("kid", "text", (c) => c.notNull().unique())
    .addColumn("algorithm", "text", (c) => c.notNull())
    .addColumn("public_x", "text", (c) => c.notNull())
    .addColumn("private_enc", "text", (c) => c.notNull())
    .addColumn("kek_id", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("retired_at", "text")
    .execute();
  await db.schema
    .createIndex("signing_keys_one_active")
    .on("signing_keys")
    .column("status")
    .unique()
    .where("status", "=", "ACTIVE")
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("signing_keys").execute();
}
