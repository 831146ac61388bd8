import { stringify } from "csv-stringify/sync";
import type {
  BulkReport,
  Chain,
  CustomerFigure,
  Overview,
  PartnerReport,
  ReportPeriod,
  ResellerFigure,
} from "../../../common/src/api/reports.js";
import type { BulkReportRecord, ChainRecord, OverviewRecord, PartnerReportRecord, ReportRecord } from "../db/repos/reports.js";

/** Reports as JSON, and each of their tables as CSV (the same figures, one row per item). */

const customerName = (accountId: string | null, name: string | null) => name ?? accountId ?? "(no account)";

function body(r: ReportRecord) {
  const keys = r.nodes.reduce((s, n) => s + n.key_count, 0);
  const redeemed = r.nodes.reduce((s, n) => s + n.redeemed, 0);
  const listed = r.customers.rows.reduce((s, c) => s + c.n, 0);
  return {
    from: r.from,
    to: r.to,
    interval: r.interval,
    totals: { keys, redeemed, unredeemed: keys - redeemed, bulkEntitlements: r.nodes.length },
    series: r.series.map(
      (p): ReportPeriod => ({
        start: p.start,
        end: p.end,
        loaded: p.loaded,
        received: p.received,
        splitOut: p.splitOut,
        deleted: p.deleted,
        redeemed: p.redeemed,
        keys: p.keys,
        redeemedTotal: p.redeemedTotal,
        unredeemed: p.unredeemed,
      }),
    ),
    customers: {
      items: r.customers.rows.map(
        (c): CustomerFigure => ({ accountId: c.sold_to, accountName: customerName(c.sold_to, c.name), redeemed: c.n }),
      ),
      others: { customers: r.customers.customers - r.customers.rows.length, redeemed: r.customers.redeemed - listed },
      customers: r.customers.customers,
      redeemed: r.customers.redeemed,
    },
    resellers: r.resellers.map(
      (x): ResellerFigure => ({
        id: x.node.id,
        entitlementId: x.node.entitlement_id,
        accountId: x.node.account_id,
        accountName: x.node.account_name,
        tier: x.node.tier_display_name,
        received: x.received,
        keys: x.keys,
        redeemed: x.redeemed,
        unredeemed: x.keys - x.redeemed,
      }),
    ),
  };
}

export function presentBulkReport(r: BulkReportRecord): BulkReport {
  return {
    entitlement: {
      id: r.bulk.id,
      entitlementId: r.bulk.entitlement_id,
      accountId: r.bulk.account_id,
      accountName: r.bulk.account_name,
    },
    ...body(r),
  };
}

export function presentPartnerReport(r: PartnerReportRecord): PartnerReport {
  return {
    account: r.account,
    bulks: r.owned.map((n) => ({
      id: n.id,
      entitlementId: n.entitlement_id,
      keys: n.key_count,
      redeemed: n.redeemed,
      unredeemed: n.key_count - n.redeemed,
    })),
    ...body(r),
  };
}

/** One table of a report as CSV, with a header row; the customer table ends with its "Others" row. */
export function reportCsv(r: BulkReport | PartnerReport, table: "series" | "customers" | "resellers" | "bulks"): string {
  if (table === "series")
    return stringify(
      r.series.map((p) => [
        p.start,
        p.end,
        p.loaded,
        p.received,
        p.splitOut,
        p.deleted,
        p.redeemed,
        p.keys,
        p.redeemedTotal,
        p.unredeemed,
      ]),
      {
        header: true,
        columns: ["start", "end", "loaded", "received", "splitOut", "deleted", "redeemed", "keys", "redeemedTotal", "unredeemed"],
      },
    );
  if (table === "customers")
    return stringify(
      [
        ...r.customers.items.map((c) => [c.accountId ?? "", c.accountName, c.redeemed]),
        ...(r.customers.others.customers > 0
          ? [["", `Others (${r.customers.others.customers} customers)`, r.customers.others.redeemed]]
          : []),
      ],
      { header: true, columns: ["accountId", "accountName", "redeemed"] },
    );
  if (table === "resellers")
    return stringify(
      r.resellers.map((x) => [
        x.id,
        x.entitlementId,
        x.accountId ?? "",
        x.accountName ?? "",
        x.tier ?? "",
        x.received,
        x.keys,
        x.redeemed,
        x.unredeemed,
      ]),
      {
        header: true,
        columns: ["id", "entitlementId", "accountId", "accountName", "tier", "received", "keys", "redeemed", "unredeemed"],
      },
    );
  const bulks = "bulks" in r ? r.bulks : [];
  return stringify(
    bulks.map((b) => [b.id, b.entitlementId, b.keys, b.redeemed, b.unredeemed]),
    { header: true, columns: ["id", "entitlementId", "keys", "redeemed", "unredeemed"] },
  );
}

export function presentOverview(r: OverviewRecord): Overview {
  const perDay = new Map(r.redeemedPerDay.map((d) => [d.day, d.n]));
  const sum = (from: string, until: string) =>
    r.redeemedPerDay.filter((d) => d.day >= from && d.day < until).reduce((s, d) => s + d.n, 0);
  return {
    entitlements: r.entitlements,
    keys: {
      loaded: r.loaded,
      redeemed: {
        total: r.redeemedTotal,
        thisWeek: sum(r.weekStart, "9999"),
        previousWeek: sum(r.previousWeekStart, r.weekStart),
      },
    },
    redemptionsPerDay: r.days.map((day) => ({ day, redeemed: perDay.get(day) ?? 0 })),
    jobs: r.jobs,
    emailsNotSent: r.emailsNotSent,
    licensesThisWeek: r.licensesSince,
    weekStart: r.weekStart,
  };
}

export function presentChain(r: ChainRecord): Chain {
  return {
    focus: r.focus,
    nodes: r.nodes.map(({ node, depth }) => {
      const c = r.customers.get(node.id) ?? { rows: [], customers: 0 };
      const listed = c.rows.reduce((s, x) => s + x.n, 0);
      return {
        id: node.id,
        entitlementId: node.entitlement_id,
        state: node.state,
        parentId: depth === 0 ? null : node.split_from_id,
        depth,
        accountId: node.account_id,
        accountName: node.account_name,
        tier: node.tier_display_name,
        keys: node.key_count,
        redeemed: node.redeemed,
        unredeemed: node.key_count - node.redeemed,
        customers: c.rows.map((x) => ({ accountId: x.sold_to, accountName: customerName(x.sold_to, x.name), redeemed: x.n })),
        moreCustomers: { customers: c.customers - c.rows.length, redeemed: node.redeemed - listed },
      };
    }),
  };
}

/** The chain flattened, one row per node (depth shows the tree). */
export function chainCsv(c: Chain): string {
  return stringify(
    c.nodes.map((n) => [
      n.depth,
      n.id,
      n.entitlementId,
      n.parentId ?? "",
      n.accountId ?? "",
      n.accountName ?? "",
      n.tier ?? "",
      n.keys,
      n.redeemed,
      n.unredeemed,
      n.customers.length + n.moreCustomers.customers,
    ]),
    {
      header: true,
      columns: [
        "depth",
        "id",
        "entitlementId",
        "parentId",
        "accountId",
        "accountName",
        "tier",
        "keys",
        "redeemed",
        "unredeemed",
        "customers",
      ],
    },
  );
}
