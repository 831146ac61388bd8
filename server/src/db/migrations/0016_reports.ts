import { type Kysely, sql } from "kysely";
import { v7 as uuidv7 } from "uuid";

/**
 * Reports and the chain view (issue 15 items 3–4). Frozen once landed.
 *
 * - `entitlements.split_from_id`: the entitlement a split created this one from (its lineage up the
 *   channel). Backfilled from the audit events of the splits made before it existed.
 * - `key_movements`: the key ledger of each bulk entitlement — keys LOADED, DELETED, SPLIT_OUT to
 *   and SPLIT_IN from another bulk entitlement (`other_bulk_id`) — written in the same transaction
 *   as the change. Redemptions are not in it: the redemption path writes nothing more, and the
 *   redeemed keys themselves (status, `redeemed_at`) are its record. The sum of a bulk
 *   entitlement's movements is its `key_count`; the keys held at any past moment are the movements
 *   up to it. Backfilled: LOADED per bulk entitlement and day of the keys there now (those a split
 *   moved are given back to the source's days, oldest first, as splits move the oldest keys), and
 *   SPLIT_OUT/SPLIT_IN from the audit events of past splits. Deleted keys left no trace and are
 *   not backfilled.
 * - `web_register_keys_redeemed_at`: the redeemed keys of a bulk entitlement by time with their
 *   customer, so a report's series and customer table are an index-only range scan (one index
 *   entry more per redemption, measured in bench/report.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("entitlements")
    .addColumn("split_from_id", "text", (c) => c.references("entitlements.id").onDelete("set null"))
    .execute();
  await db.schema.createIndex("entitlements_split_from").on("entitlements").column("split_from_id").execute();

  await db.schema
    .createTable("key_movements")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("bulk_id", "text", (c) => c.notNull().references("entitlements.id").onDelete("cascade"))
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull().check(sql`kind IN ('LOADED', 'DELETED', 'SPLIT_OUT', 'SPLIT_IN')`))
    .addColumn("count", "integer", (c) => c.notNull().check(sql`count > 0`))
    .addColumn("other_bulk_id", "text")
    .execute();
  await db.schema.createIndex("key_movements_bulk").on("key_movements").columns(["bulk_id", "at"]).execute();
  await db.schema.createIndex("key_movements_at").on("key_movements").columns(["at"]).execute();

  await sql`CREATE INDEX web_register_keys_redeemed_at ON web_register_keys (bulk_id, redeemed_at, sold_to) WHERE status = 'REDEEMED'`.execute(
    db,
  );

  await backfill(db);
}

interface SplitEvent {
  at: string;
  action: string;
  object_id: string;
  changes: string;
}

/** Also run by the tests on a database whose splits predate the ledger. */
export async function backfill(db: Kysely<any>): Promise<void> {
  const events = (await db
    .selectFrom("audit_events")
    .select(["at", "action", "object_id", "changes"])
    .where("action", "in", ["entitlement.created_by_split", "entitlement.split_received"])
    .where("object_type", "=", "entitlement")
    .orderBy("id")
    .execute()) as SplitEvent[];
  const kinds = new Map(
    ((await db.selectFrom("entitlements").select(["id", "kind"]).execute()) as { id: string; kind: string }[]).map((r) => [
      r.id,
      r.kind,
    ]),
  );
  const splits: { at: string; from: string; to: string; moved: number }[] = [];
  for (const e of events) {
    const changes = JSON.parse(e.changes) as Record<string, { after?: unknown }>;
    const from = (changes.from?.after as { entitlement?: string } | null)?.entitlement;
    const moved = Number(changes.moved?.after ?? 0);
    if (!from || !kinds.has(from) || !kinds.has(e.object_id)) continue;
    if (e.action === "entitlement.created_by_split")
      await db.updateTable("entitlements").set({ split_from_id: from }).where("id", "=", e.object_id).execute();
    // Key movements only between bulk entitlements (a line item split moves copies, not keys).
    if (kinds.get(e.object_id) === "BULK" && moved > 0) splits.push({ at: e.at, from, to: e.object_id, moved });
  }

  const perDay = new Map<string, Map<string, number>>();
  const rows = (await sql`SELECT bulk_id, substr(created_at, 1, 10) AS day, count(*) AS n FROM web_register_keys
      WHERE load_id IS NULL OR NOT EXISTS (SELECT 1 FROM key_loads kl WHERE kl.id = web_register_keys.load_id)
      GROUP BY bulk_id, substr(created_at, 1, 10)`.execute(db)) as {
    rows: { bulk_id: string; day: string; n: number | string }[];
  };
  for (const r of rows.rows) {
    const days = perDay.get(r.bulk_id) ?? new Map<string, number>();
    days.set(r.day, Number(r.n));
    perDay.set(r.bulk_id, days);
  }
  // Latest split first: the keys a split moved are given back to its source, so every key counts
  // as LOADED where it was loaded.
  for (const s of [...splits].reverse()) {
    const target = perDay.get(s.to);
    if (!target) continue;
    const source = perDay.get(s.from) ?? new Map<string, number>();
    perDay.set(s.from, source);
    let left = s.moved;
    for (const day of [...target.keys()].sort()) {
      if (left === 0) break;
      const n = target.get(day) ?? 0;
      const take = Math.min(n, left);
      left -= take;
      if (n === take) target.delete(day);
      else target.set(day, n - take);
      source.set(day, (source.get(day) ?? 0) + take);
    }
  }
  const inserts: Record<string, unknown>[] = [];
  for (const [bulkId, days] of perDay) {
    if (!kinds.has(bulkId)) continue;
    for (const [day, n] of days) {
      if (n > 0)
        inserts.push({
          id: uuidv7(),
          bulk_id: bulkId,
          at: `${day}T00:00:00.000Z`,
          kind: "LOADED",
          count: n,
          other_bulk_id: null,
        });
    }
  }
  for (const s of splits) {
    inserts.push({ id: uuidv7(), bulk_id: s.from, at: s.at, kind: "SPLIT_OUT", count: s.moved, other_bulk_id: s.to });
    inserts.push({ id: uuidv7(), bulk_id: s.to, at: s.at, kind: "SPLIT_IN", count: s.moved, other_bulk_id: s.from });
  }
  for (let i = 0; i < inserts.length; i += 500)
    await db
      .insertInto("key_movements")
      .values(inserts.slice(i, i + 500))
      .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX web_register_keys_redeemed_at`.execute(db);
  await db.schema.dropTable("key_movements").execute();
  await db.schema.dropIndex("entitlements_split_from").execute();
  await db.schema.alterTable("entitlements").dropColumn("split_from_id").execute();
}
