import { type Static, Type } from "typebox";
import { StringEnum } from "./shared.js";

/**
 * Reports (issue 15 items 3–4): keys over time, redemptions by end customer and top resellers per
 * bulk entitlement (with the bulk entitlements split from it) or per partner account; the
 * producer's home figures; the chain of a bulk entitlement from distributor to end customers.
 * Every table is also served as CSV at the same path with `.csv` after the table's name.
 */

export const REPORT_INTERVALS = ["day", "week", "month"] as const;
export type ReportInterval = (typeof REPORT_INTERVALS)[number];
/** How many periods one report may hold (366 days, about seven years of weeks, 30 years of months). */
export const REPORT_MAX_PERIODS = 400;

const Day = (description: string) => Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$", description });
const Count = Type.Integer({ minimum: 0 });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const ReportQuery = Type.Object(
  {
    from: Type.Optional(
      Day(
        "First day (UTC) of the report, YYYY-MM-DD. Default: the start of the period 29 days / 11 weeks / 11 months before `to`.",
      ),
    ),
    to: Type.Optional(Day("Last day (UTC) of the report, YYYY-MM-DD, inclusive. Default: today.")),
    interval: Type.Optional(
      StringEnum(REPORT_INTERVALS, { description: "Length of one period (weeks start on Monday). Default: day." }),
    ),
    top: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100,
        description: "How many customers and resellers are listed by name (default 10).",
      }),
    ),
  },
  { additionalProperties: false },
);
export type ReportQueryInput = Static<typeof ReportQuery>;

export const ReportPeriodSchema = Type.Object({
  start: Day("First day of the period."),
  end: Day("Last day of the period (inclusive; cut at the report's `to`)."),
  loaded: Type.Integer({ minimum: 0, description: "Keys loaded into these bulk entitlements in the period." }),
  received: Type.Integer({ minimum: 0, description: "Keys split into them from outside (a parent bulk entitlement)." }),
  splitOut: Type.Integer({ minimum: 0, description: "Keys split from them to bulk entitlements outside the report." }),
  deleted: Type.Integer({ minimum: 0, description: "Unredeemed keys deleted." }),
  redeemed: Type.Integer({ minimum: 0, description: "Keys redeemed in the period." }),
  keys: Type.Integer({ description: "Keys held at the end of the period (redeemed or not)." }),
  redeemedTotal: Type.Integer({ description: "Keys redeemed up to the end of the period." }),
  unredeemed: Type.Integer({ description: "Unredeemed keys at the end of the period." }),
});
export type ReportPeriod = Static<typeof ReportPeriodSchema>;

export const CustomerFigureSchema = Type.Object({
  accountId: Nullable(Type.String()),
  accountName: Type.String(),
  redeemed: Count,
});
export type CustomerFigure = Static<typeof CustomerFigureSchema>;

export const CustomerTableSchema = Type.Object({
  items: Type.Array(CustomerFigureSchema, { description: "The top customers by keys redeemed in the period, most first." }),
  others: Type.Object({
    customers: Count,
    redeemed: Type.Integer({ minimum: 0, description: "Keys redeemed in the period by the customers not listed." }),
  }),
  customers: Type.Integer({ minimum: 0, description: "End customers who redeemed keys in the period." }),
  redeemed: Type.Integer({ minimum: 0, description: "Keys redeemed in the period." }),
});

export const ResellerFigureSchema = Type.Object({
  id: Type.String({ description: "The child bulk entitlement (its id)." }),
  entitlementId: Type.String(),
  accountId: Nullable(Type.String()),
  accountName: Nullable(Type.String()),
  tier: Nullable(Type.String({ description: "The owner's tier (display name)." })),
  received: Type.Integer({ minimum: 0, description: "Keys split into it (ever)." }),
  keys: Type.Integer({ minimum: 0, description: "Keys now held by it and the bulk entitlements split from it." }),
  redeemed: Type.Integer({ minimum: 0, description: "Keys redeemed there (ever)." }),
  unredeemed: Count,
});
export type ResellerFigure = Static<typeof ResellerFigureSchema>;

export const ReportTotalsSchema = Type.Object({
  keys: Type.Integer({ minimum: 0, description: "Keys held now (from the counters)." }),
  redeemed: Count,
  unredeemed: Count,
  bulkEntitlements: Type.Integer({ minimum: 0, description: "Bulk entitlements the report covers." }),
});

const ReportBody = {
  from: Day("First day of the report."),
  to: Day("Last day of the report."),
  interval: StringEnum(REPORT_INTERVALS),
  totals: ReportTotalsSchema,
  series: Type.Array(ReportPeriodSchema),
  customers: CustomerTableSchema,
  resellers: Type.Array(ResellerFigureSchema, { description: "Child bulk entitlements by keys redeemed, then received." }),
};

export const BulkReportSchema = Type.Object(
  {
    entitlement: Type.Object({
      id: Type.String(),
      entitlementId: Type.String(),
      accountId: Nullable(Type.String()),
      accountName: Nullable(Type.String()),
    }),
    ...ReportBody,
  },
  { $id: "BulkReport" },
);
export type BulkReport = Static<typeof BulkReportSchema>;

export const PartnerReportSchema = Type.Object(
  {
    account: Type.Object({ id: Type.String(), name: Type.String() }),
    bulks: Type.Array(
      Type.Object({
        id: Type.String(),
        entitlementId: Type.String(),
        keys: Count,
        redeemed: Count,
        unredeemed: Count,
      }),
      { description: "The bulk entitlements the account currently owns (their own counts)." },
    ),
    ...ReportBody,
  },
  { $id: "PartnerReport" },
);
export type PartnerReport = Static<typeof PartnerReportSchema>;

export const ReportTableParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 255 }),
  table: StringEnum(["series", "customers", "resellers"] as const, { description: "Which table of the report." }),
});
export const PartnerReportParams = Type.Object({ accountId: Type.String({ minLength: 1, maxLength: 255 }) });
export const PartnerReportTableParams = Type.Object({
  accountId: Type.String({ minLength: 1, maxLength: 255 }),
  table: StringEnum(["series", "customers", "resellers", "bulks"] as const, { description: "Which table of the report." }),
});

export const OverviewSchema = Type.Object(
  {
    entitlements: Type.Array(Type.Object({ kind: Type.String(), state: Type.String(), count: Count }), {
      description: "Entitlements by kind and state.",
    }),
    keys: Type.Object({
      loaded: Type.Object({ total: Count, thisWeek: Count, previousWeek: Count }),
      redeemed: Type.Object({ total: Count, thisWeek: Count, previousWeek: Count }),
    }),
    redemptionsPerDay: Type.Array(Type.Object({ day: Day("The day (UTC)."), redeemed: Count }), {
      description: "Keys redeemed on each of the last 30 days (UTC), oldest first.",
    }),
    jobs: Type.Object({
      running: Count,
      queued: Count,
      failed24h: Type.Integer({ minimum: 0, description: "Failed in the last 24 hours." }),
    }),
    emailsNotSent: Type.Integer({ minimum: 0, description: "Outbox emails not (yet) sent." }),
    licensesThisWeek: Type.Integer({ minimum: 0, description: "Licenses issued since Monday 00:00 UTC." }),
    weekStart: Day("This week's Monday (UTC)."),
  },
  { $id: "Overview" },
);
export type Overview = Static<typeof OverviewSchema>;

export const ChainCustomerSchema = Type.Object({
  accountId: Nullable(Type.String()),
  accountName: Type.String(),
  redeemed: Count,
});

export const ChainNodeSchema = Type.Object({
  id: Type.String(),
  entitlementId: Type.String(),
  state: Type.String(),
  parentId: Nullable(Type.String({ description: "The bulk entitlement it was split from (null for the root)." })),
  depth: Type.Integer({ minimum: 0, description: "0 for the root, 1 for its children, …" }),
  accountId: Nullable(Type.String()),
  accountName: Nullable(Type.String()),
  tier: Nullable(Type.String({ description: "The current owner's tier (display name)." })),
  keys: Type.Integer({ minimum: 0, description: "Keys held by this bulk entitlement (redeemed or not)." }),
  redeemed: Count,
  unredeemed: Count,
  customers: Type.Array(ChainCustomerSchema, { description: "End customers who redeemed its keys, most first (capped)." }),
  moreCustomers: Type.Object({ customers: Count, redeemed: Count }, { description: "The customers not listed." }),
});
export type ChainNode = Static<typeof ChainNodeSchema>;

export const ChainQuery = Type.Object(
  {
    customers: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 500,
        description: "End customers listed per node (default 20); the rest are counted.",
      }),
    ),
  },
  { additionalProperties: false },
);

export const ChainSchema = Type.Object(
  {
    focus: Type.String({ description: "The bulk entitlement asked for (its id)." }),
    nodes: Type.Array(ChainNodeSchema, {
      description:
        "The tree from the root bulk entitlement down, depth first (a node before its children, children by entitlement ID).",
    }),
  },
  { $id: "Chain" },
);
export type Chain = Static<typeof ChainSchema>;
