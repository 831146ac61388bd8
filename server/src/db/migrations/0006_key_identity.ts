import crypto from "node:crypto";
import { type Kysely, PostgresAdapter, sql } from "kysely";

/**
 * One identity per web register key (PRODUCT.md §3): keys compare by their canonical form —
 * spaces and dashes dropped, ASCII letters upper-cased, O read as 0 and I, L as 1 (common
 * `canonicalKey()`). Frozen once landed.
 *
 * - `web_register_keys.key_canon` holds it; its unique index replaces the one on `key` (the key
 *   is still stored and shown as loaded).
 * - `line_items` gets an index on the canonical form of `activation_id`, so a load refuses a key
 *   that is an activation ID in another spelling without scanning line items.
 *
 * Existing keys that become one key: the REDEEMED one is kept, else the oldest (lowest row id);
 * the other UNREDEEMED ones are deleted — they could never be redeemed as themselves (redemption
 * always found the kept one, or looked for the generated spelling) — their bulk entitlement's key
 * count lowered, with a history event and an audit row each. Two REDEEMED keys that become one
 * cannot be resolved automatically: the migration then refuses, changes nothing, and lists them.
 */

/** The SQL form of canonicalKey(), per dialect. Indexes are built on it: never change it here. */
export function canonicalKeySql(pg: boolean, column: string): string {
  return pg
    ? `translate(${column}, 'abcdefghijklmnopqrstuvwxyzOIL -', 'ABCDEFGH1JK1MN0PQRSTUVWXYZ011')`
    : `replace(replace(replace(replace(replace(upper(${column}), ' ', ''), '-', ''), 'O', '0'), 'I', '1'), 'L', '1')`;
}

interface KeyRow {
  id: number;
  bulk_id: string;
  key: string;
  status: string;
  canon: string;
  entitlement_id: string;
}

const mask = (key: string) => (key.length <= 8 ? `${key.slice(0, 2)}…` : `${key.slice(0, 5)}…${key.slice(-2)}`);

export async function up(db: Kysely<any>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  const canon = canonicalKeySql(pg, "k.key");
  // Decided before anything changes (SQLite runs DDL outside a transaction here).
  const dup = await sql<KeyRow>`
    SELECT k.id, k.bulk_id, k.key, k.status, ${sql.raw(canon)} AS canon, e.entitlement_id
    FROM web_register_keys k JOIN entitlements e ON e.id = k.bulk_id
    WHERE ${sql.raw(canon)} IN (
      SELECT ${sql.raw(canonicalKeySql(pg, "key"))} FROM web_register_keys
      GROUP BY ${sql.raw(canonicalKeySql(pg, "key"))} HAVING count(*) > 1)
    ORDER BY canon, CASE WHEN k.status = 'REDEEMED' THEN 0 ELSE 1 END, k.id`.execute(db);
  const groups = new Map<string, KeyRow[]>();
  for (const r of dup.rows) groups.set(r.canon, [...(groups.get(r.canon) ?? []), { ...r, id: Number(r.id) }]);
  const drop: KeyRow[] = [];
  const unresolved: string[] = [];
  for (const rows of groups.values()) {
    const [kept, ...others] = rows as [KeyRow, ...KeyRow[]];
    for (const r of others) {
      if (r.status === "REDEEMED")
        unresolved.push(
          `${mask(kept.key)} (row ${kept.id}, bulk entitlement ${kept.entitlement_id}, ${kept.status}) and ${mask(r.key)} (row ${r.id}, bulk entitlement ${r.entitlement_id}, REDEEMED)`,
        );
      else drop.push(r);
    }
  }
  if (unresolved.length > 0) {
    throw new Error(
      `${unresolved.length} pair(s) of REDEEMED web register keys are the same key once case, spaces and dashes are ignored, and both were redeemed; nothing was changed. Decide which entitlement stays with each key (for example make one of the two entitlements OBSOLETE and delete its row from web_register_keys with SQL), then start again: ${unresolved.join("; ")}`,
    );
  }

  const run = async (trx: Kysely<any>) => {
    await trx.schema.alterTable("web_register_keys").addColumn("key_canon", "text").execute();
    await sql`UPDATE web_register_keys SET key_canon = ${sql.raw(canonicalKeySql(pg, "key"))}`.execute(trx);
    const now = new Date().toISOString();
    for (const r of drop) {
      await trx.deleteFrom("web_register_keys").where("id", "=", r.id).execute();
      await trx
        .updateTable("entitlements")
        .set({ key_count: sql`key_count - 1`, updated_at: now })
        .where("id", "=", r.bulk_id)
        .execute();
      const description = `Unredeemed web register key ${mask(r.key)} deleted: it is the same key as an older or redeemed one once case, spaces and dashes are ignored (migration 0006)`;
      await trx
        .insertInto("entitlement_events")
        .values({
          id: crypto.randomUUID(),
          entitlement_id: r.bulk_id,
          event: "EVENT_PROPERTY_CHANGED",
          at: now,
          user_id: null,
          user_label: "migration 0006",
          description,
        })
        .execute();
      await trx
        .insertInto("audit_events")
        .values({
          id: crypto.randomUUID(),
          at: now,
          actor_type: "system",
          actor_id: null,
          actor_label: "migration 0006",
          token_id: null,
          action: "keys.deleted",
          object_type: "entitlement",
          object_id: r.bulk_id,
          changes: JSON.stringify({ deleted: { before: 1, after: null }, reason: { before: null, after: description } }),
          request_id: null,
          ip: null,
        })
        .execute();
    }
    if (pg) await sql`ALTER TABLE web_register_keys ALTER COLUMN key_canon SET NOT NULL`.execute(trx);
    await trx.schema.createIndex("web_register_keys_canon").unique().on("web_register_keys").column("key_canon").execute();
    await trx.schema.dropIndex("web_register_keys_key").execute();
    await sql`CREATE INDEX line_items_activation_canon ON line_items (${sql.raw(canonicalKeySql(pg, "activation_id"))})`.execute(
      trx,
    );
  };
  // PostgreSQL runs each migration in a transaction already; on SQLite this makes it all-or-nothing.
  if (pg) await run(db);
  else await db.transaction().execute(run);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("line_items_activation_canon").execute();
  await db.schema.createIndex("web_register_keys_key").unique().on("web_register_keys").column("key").execute();
  await db.schema.dropIndex("web_register_keys_canon").execute();
  await db.schema.alterTable("web_register_keys").dropColumn("key_canon").execute();
}
