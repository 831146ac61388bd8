import { REPORT_MAX_PERIODS, type ReportQueryInput } from "../../../common/src/api/reports.js";
import type { RequestContext } from "../actor.js";
import { findAccount } from "../db/repos/accounts.js";
import { findEntitlement } from "../db/repos/entitlements.js";
import {
  type BulkReportRecord,
  bulkAncestry,
  bulkTree,
  type ChainRecord,
  customersPerBulk,
  customerTable,
  movementsByDay,
  type OverviewRecord,
  overviewRows,
  ownedBulkIds,
  type PartnerReportRecord,
  type ReportRecord,
  redemptionsByDay,
  type TreeNodeRow,
} from "../db/repos/reports.js";
import {
  addDays,
  buildSeries,
  type DayFigures,
  defaultFrom,
  type Interval,
  periodStart,
  periodsOf,
  todayUtc,
} from "../domain/reports.js";
import { errors } from "../errors.js";
import { authorize, can } from "../policies/index.js";

/**
 * Reports over a set of bulk entitlements — one and the bulk entitlements split from it, or all a
 * partner owns and theirs — and the chain of a bulk entitlement. Reads only: no transaction, no
 * audit. Figures come from the counters, the key ledger and the redeemed keys (db/repos/reports.ts).
 */

const DEFAULT_TOP = 10;

/** The report of a bulk entitlement and every bulk entitlement split from it. */
export async function bulkReport(
  db: Parameters<typeof bulkTree>[0],
  ctx: RequestContext,
  pk: string,
  q: ReportQueryInput,
): Promise<BulkReportRecord> {
  const row = await findEntitlement(db, pk);
  if (!row || row.kind !== "BULK") throw errors.notFound("Bulk entitlement", pk);
  const ancestry = await bulkAncestry(db, pk);
  const ref = { ownerAccountIds: ancestry.map((a) => a.owner).filter((o): o is string => o !== null) };
  // Not one of the caller's: its existence is not confirmed.
  if (!can(ctx.actor, "report.bulk", ref)) throw errors.notFound("Bulk entitlement", pk);
  const report = await reportOver(db, [pk], q);
  const bulk = report.nodes.find((n) => n.id === pk) as TreeNodeRow;
  return { ...report, bulk };
}

/** The report of every bulk entitlement an account currently owns, and those split from them. */
export async function partnerReport(
  db: Parameters<typeof bulkTree>[0],
  ctx: RequestContext,
  accountId: string,
  q: ReportQueryInput,
): Promise<PartnerReportRecord> {
  if (!can(ctx.actor, "report.partner", { accountId })) throw errors.notFound("Account", accountId);
  const account = await findAccount(db, accountId);
  if (!account) throw errors.notFound("Account", accountId);
  const owned = await ownedBulkIds(db, accountId);
  const report = await reportOver(db, owned, q);
  const ownedSet = new Set(owned);
  return {
    ...report,
    account: { id: account.id, name: account.name },
    owned: report.nodes.filter((n) => ownedSet.has(n.id)),
  };
}

/** Figures over the trees under `roots`: series, customers in the period, and the roots' children (other owners). */
async function reportOver(db: Parameters<typeof bulkTree>[0], roots: string[], q: ReportQueryInput): Promise<ReportRecord> {
  const interval: Interval = q.interval ?? "day";
  const to = q.to ?? todayUtc();
  const from = q.from ?? defaultFrom(to, interval);
  const ps = periodsOf(from, to, interval, REPORT_MAX_PERIODS);
  if ("problem" in ps) throw errors.validation(ps.problem.field, ps.problem.message);
  const top = q.top ?? DEFAULT_TOP;

  const nodes = await bulkTree(db, roots);
  const inTree = new Set(nodes.map((n) => n.id));
  const treeIds = [...inTree];
  const fromIso = `${from}T00:00:00.000Z`;
  const untilIso = `${addDays(to, 1)}T00:00:00.000Z`;
  const [moves, redeemed, customers] = await Promise.all([
    movementsByDay(db, treeIds),
    redemptionsByDay(db, treeIds, fromIso, untilIso),
    customerTable(db, treeIds, fromIso, untilIso, top),
  ]);

  // Day figures: a split between two bulk entitlements of the report moves nothing in or out.
  const days = new Map<string, DayFigures>();
  const dayOf = (day: string) => {
    let d = days.get(day);
    if (!d) {
      d = { day, loaded: 0, received: 0, splitOut: 0, deleted: 0, redeemed: 0 };
      days.set(day, d);
    }
    return d;
  };
  const received = new Map<string, number>();
  for (const m of moves) {
    const internal = m.other_bulk_id !== null && inTree.has(m.other_bulk_id);
    if (m.kind === "SPLIT_IN") received.set(m.bulk_id, (received.get(m.bulk_id) ?? 0) + m.n);
    if (m.kind === "LOADED") dayOf(m.day).loaded += m.n;
    else if (m.kind === "DELETED") dayOf(m.day).deleted += m.n;
    else if (m.kind === "SPLIT_IN" && !internal) dayOf(m.day).received += m.n;
    else if (m.kind === "SPLIT_OUT" && !internal) dayOf(m.day).splitOut += m.n;
  }
  for (const r of redeemed) dayOf(r.day).redeemed += r.n;
  const series = buildSeries(ps.periods, [...days.values()]);

  // Resellers: the bulk entitlements split from the roots to another owner, each with its subtree.
  const children = new Map<string, TreeNodeRow[]>();
  for (const n of nodes) {
    if (n.split_from_id === null) continue;
    const list = children.get(n.split_from_id) ?? [];
    list.push(n);
    children.set(n.split_from_id, list);
  }
  const subtree = (n: TreeNodeRow): { keys: number; redeemed: number } => {
    let keys = n.key_count;
    let red = n.redeemed;
    for (const c of children.get(n.id) ?? []) {
      const s = subtree(c);
      keys += s.keys;
      red += s.redeemed;
    }
    return { keys, redeemed: red };
  };
  const rootSet = new Set(roots);
  const resellers = nodes
    .filter((n) => n.split_from_id !== null && rootSet.has(n.split_from_id) && !rootSet.has(n.id))
    .map((node) => ({ node, received: received.get(node.id) ?? 0, ...subtree(node) }))
    .sort(
      (a, b) => b.redeemed - a.redeemed || b.received - a.received || a.node.entitlement_id.localeCompare(b.node.entitlement_id),
    )
    .slice(0, top);

  return { from, to, interval, nodes, series, customers, resellers };
}

/** The producer's home figures. */
export async function overviewReport(
  db: Parameters<typeof bulkTree>[0],
  ctx: RequestContext,
  now = new Date(),
): Promise<OverviewRecord> {
  authorize(ctx.actor, "report.overview");
  const today = todayUtc(now);
  const weekStart = periodStart(today, "week");
  const previousWeekStart = addDays(weekStart, -7);
  const first = addDays(today, -29);
  const since = [previousWeekStart, first].sort()[0] as string;
  const rows = await overviewRows(db, {
    weekStart: `${weekStart}T00:00:00.000Z`,
    previousWeekStart: `${previousWeekStart}T00:00:00.000Z`,
    since: `${since}T00:00:00.000Z`,
    failedSince: new Date(now.getTime() - 86_400_000).toISOString(),
  });
  const days: string[] = [];
  for (let d = first; d <= today; d = addDays(d, 1)) days.push(d);
  return { ...rows, weekStart, previousWeekStart, days };
}

/** The whole chain a bulk entitlement is part of: from its root down, with each node's customers (capped). */
export async function chainReader(
  db: Parameters<typeof bulkTree>[0],
  ctx: RequestContext,
  pk: string,
  customersPerNode = 20,
): Promise<ChainRecord> {
  if (!can(ctx.actor, "entitlement.chain")) throw errors.notFound("Bulk entitlement", pk);
  const row = await findEntitlement(db, pk);
  if (!row || row.kind !== "BULK") throw errors.notFound("Bulk entitlement", pk);
  const ancestry = (await bulkAncestry(db, pk)).filter((a) => a.kind === "BULK");
  const root = (ancestry[ancestry.length - 1] ?? { id: pk }).id;
  const nodes = await bulkTree(db, [root]);
  const children = new Map<string | null, TreeNodeRow[]>();
  for (const n of nodes) {
    const parent = n.id === root ? null : n.split_from_id;
    const list = children.get(parent) ?? [];
    list.push(n);
    children.set(parent, list);
  }
  // Depth first, children by entitlement ID (bulkTree's order).
  const ordered: { node: TreeNodeRow; depth: number }[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const n of children.get(parent) ?? []) {
      ordered.push({ node: n, depth });
      walk(n.id, depth + 1);
    }
  };
  walk(null, 0);
  const customers: ChainRecord["customers"] = new Map();
  for (const c of await customersPerBulk(
    db,
    nodes.map((n) => n.id),
    customersPerNode,
  )) {
    const entry = customers.get(c.bulk_id) ?? { rows: [], customers: c.customers };
    if (c.rn <= customersPerNode) entry.rows.push({ sold_to: c.sold_to, name: c.name, n: c.n });
    customers.set(c.bulk_id, entry);
  }
  return { focus: pk, nodes: ordered, customers };
}
