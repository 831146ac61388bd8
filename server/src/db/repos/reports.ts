import { type RawBuilder, sql } from "kysely";
import type { Interval, PeriodFigures } from "../../domain/reports.js";
import type { Db, Trx } from "../schema.js";

/**
 * The reads behind reports and the chain view. The figures come from three places, each already
 * kept up to date by the change it describes: the counters on `entitlements` (and the redemption
 * shards) for what is held now, the key ledger `key_movements` for keys loaded, split and deleted
 * over time, and the redeemed keys themselves — by the partial index
 * `web_register_keys_redeemed_at (bulk_id, redeemed_at, sold_to) WHERE status = 'REDEEMED'` — for
 * redemptions by day and by customer. `status` is a literal where it names the partial index (a
 * bound value would make SQLite re-plan the statement on every run).
 */

type Conn = Db | Trx;
const REDEEMED = sql.lit("REDEEMED");
const ids = (list: string[]): RawBuilder<unknown> => sql.join(list.map((i) => sql`${i}`));
const num = (v: unknown) => Number(v ?? 0);

/** A bulk entitlement of a chain with its counters and current owner. */
export interface TreeNodeRow {
  id: string;
  entitlement_id: string;
  state: string;
  split_from_id: string | null;
  key_count: number;
  redeemed: number;
  account_id: string | null;
  account_name: string | null;
  tier_display_name: string | null;
}

/**
 * The bulk entitlements `roots` and every bulk entitlement split from them, at any depth, with
 * their counters (the redeemed count is the counter plus its shards) and current owner.
 */
export async function bulkTree(db: Conn, roots: string[]): Promise<TreeNodeRow[]> {
  if (roots.length === 0) return [];
  const r = await sql<Record<string, unknown>>`
    WITH RECURSIVE tree (id) AS (
      SELECT id FROM entitlements WHERE id IN (${ids(roots)}) AND kind = 'BULK'
      UNION
      SELECT e.id FROM entitlements e JOIN tree ON e.split_from_id = tree.id WHERE e.kind = 'BULK'
    )
    SELECT e.id, e.entitlement_id, e.state, e.split_from_id, e.key_count,
      e.redeemed_count + COALESCE((SELECT sum(c.redeemed) FROM key_redemption_counts c WHERE c.bulk_id = e.id), 0) AS redeemed,
      ep.account_id, a.name AS account_name, t.display_name AS tier_display_name
    FROM tree
    JOIN entitlements e ON e.id = tree.id
    LEFT JOIN entitlement_partners ep ON ep.entitlement_id = e.id AND ep.current_owner = 1
    LEFT JOIN accounts a ON a.id = ep.account_id
    LEFT JOIN partner_tiers t ON t.name = ep.tier
    ORDER BY e.entitlement_id`.execute(db);
  return r.rows.map((x) => ({
    id: x.id as string,
    entitlement_id: x.entitlement_id as string,
    state: x.state as string,
    split_from_id: (x.split_from_id as string | null) ?? null,
    key_count: num(x.key_count),
    redeemed: num(x.redeemed),
    account_id: (x.account_id as string | null) ?? null,
    account_name: (x.account_name as string | null) ?? null,
    tier_display_name: (x.tier_display_name as string | null) ?? null,
  }));
}

/** The bulk entitlement and those it was split from, nearest first, with each one's current owner. */
export async function bulkAncestry(
  db: Conn,
  pk: string,
): Promise<{ id: string; kind: string; split_from_id: string | null; owner: string | null; depth: number }[]> {
  const r = await sql<Record<string, unknown>>`
    WITH RECURSIVE up (id, depth) AS (
      SELECT id, 0 FROM entitlements WHERE id = ${pk}
      UNION ALL
      SELECT e.split_from_id, up.depth + 1 FROM up JOIN entitlements e ON e.id = up.id
      WHERE e.split_from_id IS NOT NULL AND up.depth < 100
    )
    SELECT e.id, e.kind, e.split_from_id, ep.account_id AS owner, up.depth
    FROM up JOIN entitlements e ON e.id = up.id
    LEFT JOIN entitlement_partners ep ON ep.entitlement_id = e.id AND ep.current_owner = 1
    ORDER BY up.depth`.execute(db);
  return r.rows.map((x) => ({
    id: x.id as string,
    kind: x.kind as string,
    split_from_id: (x.split_from_id as string | null) ?? null,
    owner: (x.owner as string | null) ?? null,
    depth: num(x.depth),
  }));
}

/** The bulk entitlements an account is the current owner of. */
export async function ownedBulkIds(db: Conn, accountId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("entitlement_partners as ep")
    .innerJoin("entitlements as e", "e.id", "ep.entitlement_id")
    .select("e.id")
    .where("ep.account_id", "=", accountId)
    .where("ep.current_owner", "=", 1)
    .where("e.kind", "=", "BULK")
    .execute();
  return rows.map((r) => r.id);
}

/** The key ledger of these bulk entitlements, summed per day, kind and counterpart. */
export async function movementsByDay(
  db: Conn,
  bulkIds: string[],
): Promise<{ day: string; bulk_id: string; kind: string; other_bulk_id: string | null; n: number }[]> {
  if (bulkIds.length === 0) return [];
  const r = await sql<Record<string, unknown>>`
    SELECT substr(at, 1, 10) AS day, bulk_id, kind, other_bulk_id, sum(count) AS n
    FROM key_movements WHERE bulk_id IN (${ids(bulkIds)})
    GROUP BY substr(at, 1, 10), bulk_id, kind, other_bulk_id`.execute(db);
  return r.rows.map((x) => ({
    day: x.day as string,
    bulk_id: x.bulk_id as string,
    kind: x.kind as string,
    other_bulk_id: (x.other_bulk_id as string | null) ?? null,
    n: num(x.n),
  }));
}

/** The day an opening balance is filed under: before any real day, so it folds into the first period's start. */
export const BEFORE_ANY_DAY = "0000-00-00";

/**
 * Keys of these bulk entitlements redeemed per day (UTC) in [from, until), and those redeemed
 * before `from` as one figure on {@link BEFORE_ANY_DAY} (the opening balance). Only the period's
 * redemptions are grouped by day: the earlier ones are a plain count of an index range, with no
 * sort (on SQLite the grouping by day sorts every row it reads).
 */
export async function redemptionsByDay(
  db: Conn,
  bulkIds: string[],
  from: string,
  until: string,
): Promise<{ day: string; n: number }[]> {
  if (bulkIds.length === 0) return [];
  const r = await sql<Record<string, unknown>>`
    SELECT ${BEFORE_ANY_DAY} AS day, count(*) AS n
    FROM web_register_keys WHERE bulk_id IN (${ids(bulkIds)}) AND status = ${REDEEMED} AND redeemed_at < ${from}
    UNION ALL
    SELECT substr(redeemed_at, 1, 10) AS day, count(*) AS n
    FROM web_register_keys
    WHERE bulk_id IN (${ids(bulkIds)}) AND status = ${REDEEMED} AND redeemed_at >= ${from} AND redeemed_at < ${until}
    GROUP BY substr(redeemed_at, 1, 10)`.execute(db);
  return r.rows.map((x) => ({ day: x.day as string, n: num(x.n) }));
}

/**
 * The `top` customers by keys of these bulk entitlements redeemed in [from, until), with how many
 * customers and redemptions there are in all.
 */
export async function customerTable(
  db: Conn,
  bulkIds: string[],
  from: string,
  until: string,
  top: number,
): Promise<{ rows: { sold_to: string | null; name: string | null; n: number }[]; customers: number; redeemed: number }> {
  if (bulkIds.length === 0) return { rows: [], customers: 0, redeemed: 0 };
  const r = await sql<Record<string, unknown>>`
    SELECT t.sold_to, t.n, t.customers, t.total, a.name
    FROM (
      SELECT sold_to, count(*) AS n, count(*) OVER () AS customers, sum(count(*)) OVER () AS total
      FROM web_register_keys
      WHERE bulk_id IN (${ids(bulkIds)}) AND status = ${REDEEMED} AND redeemed_at >= ${from} AND redeemed_at < ${until}
      GROUP BY sold_to
      ORDER BY count(*) DESC, COALESCE(sold_to, '')
      LIMIT ${top}
    ) t LEFT JOIN accounts a ON a.id = t.sold_to
    ORDER BY t.n DESC, COALESCE(t.sold_to, '')`.execute(db);
  const first = r.rows[0];
  return {
    rows: r.rows.map((x) => ({
      sold_to: (x.sold_to as string | null) ?? null,
      name: (x.name as string | null) ?? null,
      n: num(x.n),
    })),
    customers: first ? num(first.customers) : 0,
    redeemed: first ? num(first.total) : 0,
  };
}

/** Per bulk entitlement, its `top` customers by keys redeemed (ever) and how many customers it has. */
export async function customersPerBulk(
  db: Conn,
  bulkIds: string[],
  top: number,
): Promise<{ bulk_id: string; sold_to: string | null; name: string | null; n: number; rn: number; customers: number }[]> {
  if (bulkIds.length === 0) return [];
  const r = await sql<Record<string, unknown>>`
    SELECT t.bulk_id, t.sold_to, t.n, t.rn, t.customers, a.name
    FROM (
      SELECT bulk_id, sold_to, count(*) AS n,
        row_number() OVER (PARTITION BY bulk_id ORDER BY count(*) DESC, COALESCE(sold_to, '')) AS rn,
        count(*) OVER (PARTITION BY bulk_id) AS customers
      FROM web_register_keys
      WHERE bulk_id IN (${ids(bulkIds)}) AND status = ${REDEEMED}
      GROUP BY bulk_id, sold_to
    ) t LEFT JOIN accounts a ON a.id = t.sold_to
    WHERE t.rn <= ${Math.max(top, 1)}
    ORDER BY t.bulk_id, t.rn`.execute(db);
  return r.rows.map((x) => ({
    bulk_id: x.bulk_id as string,
    sold_to: (x.sold_to as string | null) ?? null,
    name: (x.name as string | null) ?? null,
    n: num(x.n),
    rn: num(x.rn),
    customers: num(x.customers),
  }));
}

export interface OverviewRows {
  entitlements: { kind: string; state: string; count: number }[];
  loaded: { total: number; thisWeek: number; previousWeek: number };
  redeemedTotal: number;
  redeemedPerDay: { day: string; n: number }[];
  jobs: { running: number; queued: number; failed24h: number };
  emailsNotSent: number;
  licensesSince: number;
}

/** The producer's home figures; `since` is the first day redemptions per day are read for. */
export async function overviewRows(
  db: Conn,
  a: { weekStart: string; previousWeekStart: string; since: string; failedSince: string },
): Promise<OverviewRows> {
  const ents = await db
    .selectFrom("entitlements")
    .select((eb) => ["kind", "state", eb.fn.countAll<number>().as("n")])
    .groupBy(["kind", "state"])
    .orderBy("kind")
    .orderBy("state")
    .execute();
  const loaded = await sql<Record<string, unknown>>`
    SELECT sum(count) AS total,
      sum(CASE WHEN at >= ${a.weekStart} THEN count ELSE 0 END) AS this_week,
      sum(CASE WHEN at >= ${a.previousWeekStart} AND at < ${a.weekStart} THEN count ELSE 0 END) AS previous_week
    FROM key_movements WHERE kind = 'LOADED'`.execute(db);
  const redeemed = await sql<Record<string, unknown>>`
    SELECT COALESCE((SELECT sum(redeemed_count) FROM entitlements WHERE kind = 'BULK'), 0)
      + COALESCE((SELECT sum(redeemed) FROM key_redemption_counts), 0) AS total`.execute(db);
  const perDay = await sql<Record<string, unknown>>`
    SELECT substr(redeemed_at, 1, 10) AS day, count(*) AS n FROM web_register_keys
    WHERE status = ${REDEEMED} AND redeemed_at >= ${a.since}
    GROUP BY substr(redeemed_at, 1, 10)`.execute(db);
  const jobs = await sql<Record<string, unknown>>`
    SELECT
      (SELECT count(*) FROM jobs WHERE state = 'RUNNING') AS running,
      (SELECT count(*) FROM jobs WHERE state = 'QUEUED') AS queued,
      (SELECT count(*) FROM jobs WHERE state = 'FAILED' AND finished_at >= ${a.failedSince}) AS failed,
      (SELECT count(*) FROM email_messages WHERE status <> 'SENT') AS emails,
      (SELECT count(*) FROM fulfillments WHERE fulfilled_at >= ${a.weekStart}) AS licenses`.execute(db);
  const l = loaded.rows[0] ?? {};
  const j = jobs.rows[0] ?? {};
  return {
    entitlements: ents.map((e) => ({ kind: e.kind, state: e.state, count: num(e.n) })),
    loaded: { total: num(l.total), thisWeek: num(l.this_week), previousWeek: num(l.previous_week) },
    redeemedTotal: num(redeemed.rows[0]?.total),
    redeemedPerDay: perDay.rows.map((x) => ({ day: x.day as string, n: num(x.n) })),
    jobs: { running: num(j.running), queued: num(j.queued), failed24h: num(j.failed) },
    emailsNotSent: num(j.emails),
    licensesSince: num(j.licenses),
  };
}

/** What a report is made of (presenters/reports.ts turns it into JSON). */
export interface ReportRecord {
  from: string;
  to: string;
  interval: Interval;
  nodes: TreeNodeRow[];
  series: PeriodFigures[];
  customers: { rows: { sold_to: string | null; name: string | null; n: number }[]; customers: number; redeemed: number };
  resellers: ResellerRecord[];
}

export interface ResellerRecord {
  node: TreeNodeRow;
  received: number;
  keys: number;
  redeemed: number;
}

export interface BulkReportRecord extends ReportRecord {
  bulk: TreeNodeRow;
}

export interface PartnerReportRecord extends ReportRecord {
  account: { id: string; name: string };
  owned: TreeNodeRow[];
}

export interface OverviewRecord extends OverviewRows {
  weekStart: string;
  previousWeekStart: string;
  days: string[];
}

export interface ChainRecord {
  focus: string;
  nodes: { node: TreeNodeRow; depth: number }[];
  customers: Map<string, { rows: { sold_to: string | null; name: string | null; n: number }[]; customers: number }>;
}
