import { sql } from "kysely";
import type { KeyStatus } from "../../../../common/src/rules/keys.js";
import { canonicalKey } from "../../domain/keyFormat.js";
import { after, decodeCursor, type Page, type PageRequest, pageLimit, toPage } from "../paging.js";
import type { Db, Trx, WebRegisterKeyRow } from "../schema.js";

/** canonicalKey() in SQL; frozen with the indexes built on it (migration 0006). */
export { canonicalKeySql } from "../migrations/0006_key_identity.js";

/**
 * A key is visible unless its load is still staged (SQLite loads, see keys/keyLoader.ts): every
 * reader of web_register_keys adds this condition. `column` is the row's `load_id`.
 */
export const visibleKey = (column: string) =>
  sql<boolean>`(${sql.ref(column)} IS NULL OR NOT EXISTS (SELECT 1 FROM key_loads kl WHERE kl.id = ${sql.ref(column)}))`;

export interface KeyFilter {
  status?: KeyStatus | undefined;
  /** Keys starting with this text, compared canonically (case, spaces and dashes ignored). */
  prefix?: string | undefined;
}

/**
 * Keys of a bulk entitlement in load order. The keyset is the integer row id, which only grows,
 * so pages stay stable while other loads insert: nothing shifts, nothing repeats.
 */
export async function listKeys(db: Db, bulkPk: string, f: KeyFilter, page: PageRequest): Promise<Page<WebRegisterKeyRow>> {
  const limit = pageLimit(page);
  const cur = decodeCursor(page.cursor, 1);
  let q = db.selectFrom("web_register_keys").selectAll().where("bulk_id", "=", bulkPk).where(visibleKey("load_id"));
  if (f.status) q = q.where("status", "=", f.status);
  const prefix = f.prefix ? canonicalKey(f.prefix) : "";
  if (prefix) {
    // A range on the canonical key instead of LIKE: index-friendly and no wildcard escaping.
    q = q.where("key_canon", ">=", prefix).where("key_canon", "<", `${prefix}\uffff`);
  }
  if (cur) q = q.where((eb) => after(eb, ["id"], cur));
  const rows = await q
    .orderBy("id")
    .limit(limit + 1)
    .execute();
  return toPage(
    rows,
    limit,
    (r) => [Number(r.id)],
    (r) => r,
  );
}

/** Key batches for exports, in load order, without OFFSET. */
export async function* keyBatches(db: Db, bulkPk: string, f: KeyFilter, batch = 5000): AsyncGenerator<WebRegisterKeyRow[]> {
  let last = 0;
  for (;;) {
    let q = db
      .selectFrom("web_register_keys")
      .selectAll()
      .where("bulk_id", "=", bulkPk)
      .where("id", ">", last)
      .where(visibleKey("load_id"));
    if (f.status) q = q.where("status", "=", f.status);
    const rows = await q.orderBy("id").limit(batch).execute();
    if (rows.length === 0) return;
    last = Number((rows[rows.length - 1] as WebRegisterKeyRow).id);
    yield rows;
    if (rows.length < batch) return;
  }
}

/** How many shards a bulk entitlement's redeemed count is spread over (migration 0005). */
export const REDEEMED_SHARDS = 64;

export interface KeyCounts {
  total: number;
  redeemed: number;
  unredeemed: number;
}

/** Total, redeemed and unredeemed keys of a bulk entitlement, from its counters (never a scan of the keys). */
export async function keyCounts(db: Db | Trx, bulkPk: string): Promise<KeyCounts | undefined> {
  return (await keyCountsMany(db, [bulkPk])).get(bulkPk);
}

/** {@link keyCounts} of several bulk entitlements in one query (a list page's). */
export async function keyCountsMany(db: Db | Trx, bulkPks: string[]): Promise<Map<string, KeyCounts>> {
  const out = new Map<string, KeyCounts>();
  if (bulkPks.length === 0) return out;
  const rows = await db
    .selectFrom("entitlements as e")
    .select((eb) => [
      "e.id",
      "e.key_count",
      "e.redeemed_count",
      // The redeemed count lives in the row plus its shards (redemptions add to a shard, not the row).
      eb
        .selectFrom("key_redemption_counts as c")
        .select((c) => c.fn.sum<number>("c.redeemed").as("n"))
        .whereRef("c.bulk_id", "=", "e.id")
        .as("sharded"),
    ])
    .where("e.id", "in", bulkPks)
    .execute();
  for (const r of rows) {
    const redeemed = Number(r.redeemed_count) + Number(r.sharded ?? 0);
    out.set(r.id, { total: Number(r.key_count), redeemed, unredeemed: Number(r.key_count) - redeemed });
  }
  return out;
}

/** The visible key with this canonical form (keys are unique by it), wherever it is loaded. */
export async function findKeyByCanon(db: Db | Trx, canon: string): Promise<WebRegisterKeyRow | undefined> {
  return db
    .selectFrom("web_register_keys")
    .selectAll()
    .where("key_canon", "=", canon)
    .where(visibleKey("load_id"))
    .executeTakeFirst();
}

/**
 * One page of a bulk entitlement's keys in load order, by position (FNO's 1-based `pageNumber` and
 * `batchSize` in getWebRegKeysQuery), for the SOAP facade; the REST list pages by keyset instead.
 */
export async function keysAtPage(db: Db, bulkPk: string, pageNumber: number, batchSize: number): Promise<WebRegisterKeyRow[]> {
  return db
    .selectFrom("web_register_keys")
    .selectAll()
    .where("bulk_id", "=", bulkPk)
    .where(visibleKey("load_id"))
    .orderBy("id")
    .limit(batchSize)
    .offset((pageNumber - 1) * batchSize)
    .execute();
}
