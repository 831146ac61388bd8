import { type ExpressionBuilder, sql } from "kysely";
import { TIER_END_CUSTOMER } from "../../../../common/src/enums.js";
import type { DateFilter, TextFilter } from "../../domain/filters.js";
import { dateMatch, newestFirst, type Page, type PageRequest, textMatch } from "../paging.js";
import type { Db } from "../schema.js";
import { type EntitlementRecord, lineItemsOf, partnersOf } from "./entitlements.js";

/** A comparison of a whole number (FNO's NumberQueryType). */
export interface NumberFilter {
  op: "GREATER_THAN" | "GREATER_THAN_EQUALS" | "LESS_THAN" | "LESS_THAN_EQUALS" | "EQUALS" | "NOT_EQUALS";
  value: number;
}

/**
 * The line items (activatable items) of simple entitlements a search names: FNO's
 * searchActivatableItemDataType, as far as Licensor stores what it asks about.
 */
export interface LineItemFilter {
  /** Only line items of entitlements where one of these accounts is in a tier; null = all (producer staff). */
  onlyAccountIds: string[] | null;
  entitlementId?: TextFilter | undefined;
  activationId?: TextFilter | undefined;
  productName?: TextFilter | undefined;
  productVersion?: TextFilter | undefined;
  partId?: TextFilter | undefined;
  orderId?: TextFilter | undefined;
  orderLineNumber?: TextFilter | undefined;
  /** Only line items without an order ID. */
  withNoOrderId?: boolean | undefined;
  /** Only line items with copies left to activate (not fulfilled yet). */
  withCount?: boolean | undefined;
  fulfilled?: NumberFilter | undefined;
  isPermanent?: boolean | undefined;
  /** Day columns (YYYY-MM-DD); the filter's bounds are read as days. */
  startDate?: DateFilter | undefined;
  expirationDate?: DateFilter | undefined;
  versionDate?: DateFilter | undefined;
  /** The End Customer's account (id or name). */
  soldTo?: TextFilter | undefined;
  accountName?: TextFilter | undefined;
  tier?: string | undefined;
  allowPortalLogin?: boolean | undefined;
  parentActivationId?: TextFilter | undefined;
  createdAt?: DateFilter | undefined;
  updatedAt?: DateFilter | undefined;
  /** Only line items that can be activated now: DEPLOYED, on a DEPLOYED entitlement, with copies left. */
  readyToActivate?: boolean | undefined;
}

const NUMBER_OPS = {
  GREATER_THAN: ">",
  GREATER_THAN_EQUALS: ">=",
  LESS_THAN: "<",
  LESS_THAN_EQUALS: "<=",
  EQUALS: "=",
  NOT_EQUALS: "<>",
} as const;

/** A day column against a date filter: its bounds are whole days, compared as YYYY-MM-DD text. */
function dayMatch(eb: ExpressionBuilder<any, any>, col: string, f: DateFilter) {
  const parts = [eb(eb.ref(col), "is not", null)];
  if (f.from) parts.push(eb(eb.ref(col), ">=", f.from.slice(0, 10)));
  if (f.to) parts.push(eb(eb.ref(col), "<", f.to.slice(0, 10)));
  return eb.and(parts);
}

function filtered(db: Db, f: LineItemFilter) {
  let q = db
    .selectFrom("line_items as li")
    .innerJoin("entitlements as e", "e.id", "li.entitlement_id")
    .where("li.role", "=", "LINE_ITEM");
  if (f.onlyAccountIds) {
    const ids = f.onlyAccountIds.length ? f.onlyAccountIds : ["\u0000none"];
    q = q.where("e.id", "in", (eb) =>
      eb.selectFrom("entitlement_partners").select("entitlement_id").where("account_id", "in", ids),
    );
  }
  const product = (col: "p.name" | "p.version", pf: TextFilter) =>
    q.where("li.id", "in", (eb) =>
      eb
        .selectFrom("line_item_products as lp")
        .innerJoin("products as p", "p.id", "lp.product_id")
        .select("lp.line_item_id")
        .where((w) => textMatch(w, col, pf)),
    );
  if (f.entitlementId) q = q.where((eb) => textMatch(eb, "e.entitlement_id", f.entitlementId as TextFilter));
  if (f.activationId) q = q.where((eb) => textMatch(eb, "li.activation_id", f.activationId as TextFilter));
  if (f.productName) q = product("p.name", f.productName);
  if (f.productVersion) q = product("p.version", f.productVersion);
  if (f.partId) {
    const pf = f.partId;
    q = q.where("li.part_number_id", "in", (eb) =>
      eb
        .selectFrom("part_numbers as pn")
        .select("pn.id")
        .where((w) => textMatch(w, "pn.part_id", pf)),
    );
  }
  if (f.orderId) q = q.where((eb) => textMatch(eb, "li.order_id", f.orderId as TextFilter));
  if (f.orderLineNumber) q = q.where((eb) => textMatch(eb, "li.order_line_number", f.orderLineNumber as TextFilter));
  if (f.withNoOrderId) q = q.where("li.order_id", "is", null);
  if (f.withCount) q = q.where(sql<boolean>`li.number_of_copies > li.fulfilled_count`);
  if (f.fulfilled) {
    const n = f.fulfilled;
    q = q.where("li.fulfilled_count", NUMBER_OPS[n.op], n.value);
  }
  if (f.isPermanent !== undefined) q = q.where("li.is_permanent", "=", f.isPermanent ? 1 : 0);
  if (f.startDate) q = q.where((eb) => dayMatch(eb, "li.start_date", f.startDate as DateFilter));
  if (f.expirationDate) q = q.where((eb) => dayMatch(eb, "li.expiration_date", f.expirationDate as DateFilter));
  if (f.versionDate) q = q.where((eb) => dayMatch(eb, "li.version_date", f.versionDate as DateFilter));
  if (f.soldTo) {
    const sf = f.soldTo;
    q = q.where("e.id", "in", (eb) =>
      eb
        .selectFrom("entitlement_partners as ep")
        .innerJoin("accounts as a", "a.id", "ep.account_id")
        .select("ep.entitlement_id")
        .where("ep.tier", "=", TIER_END_CUSTOMER)
        .where((w) => w.or([textMatch(w, "a.id", sf), textMatch(w, "a.name", sf)])),
    );
  }
  if (f.accountName || f.tier) {
    q = q.where("e.id", "in", (eb) => {
      let s = eb
        .selectFrom("entitlement_partners as ep")
        .innerJoin("accounts as a", "a.id", "ep.account_id")
        .select("ep.entitlement_id");
      if (f.tier) s = s.where("ep.tier", "=", f.tier);
      if (f.accountName) s = s.where((w) => textMatch(w, "a.name", f.accountName as TextFilter));
      return s;
    });
  }
  if (f.allowPortalLogin !== undefined) q = q.where("e.allow_portal_login", "=", f.allowPortalLogin ? 1 : 0);
  if (f.parentActivationId) {
    const pf = f.parentActivationId;
    q = q.where("li.parent_line_item_id", "in", (eb) =>
      eb
        .selectFrom("line_items as parent")
        .select("parent.id")
        .where((w) => textMatch(w, "parent.activation_id", pf)),
    );
  }
  if (f.createdAt) q = q.where((eb) => dateMatch(eb, "li.created_at", f.createdAt as DateFilter));
  if (f.updatedAt) q = q.where((eb) => dateMatch(eb, "li.updated_at", f.updatedAt as DateFilter));
  if (f.readyToActivate)
    q = q
      .where("li.state", "=", "DEPLOYED")
      .where("e.state", "=", "DEPLOYED")
      .where(sql<boolean>`li.number_of_copies > li.fulfilled_count`);
  return q;
}

/** Line items newest first, keyset-paged on their time-ordered id; each with its entitlement's id. */
export async function listLineItems(
  db: Db,
  f: LineItemFilter,
  page: PageRequest,
): Promise<Page<{ id: string; entitlement_id: string }>> {
  return newestFirst(filtered(db, f).select(["li.id", "li.entitlement_id"]), "li.id", page);
}

export async function countLineItems(db: Db, f: LineItemFilter): Promise<number> {
  const row = await filtered(db, f).select(sql<number>`count(*)`.as("n")).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A line item (not a bulk entitlement's product) by its id or its activation ID, with its entitlement's id. */
export async function findLineItemByAnyId(
  db: Db,
  ident: { uniqueId?: string | undefined; activationId?: string | undefined },
): Promise<{ id: string; entitlement_id: string; activation_id: string | null } | undefined> {
  let q = db.selectFrom("line_items").select(["id", "entitlement_id", "activation_id"]).where("role", "=", "LINE_ITEM");
  if (ident.uniqueId) q = q.where("id", "=", ident.uniqueId);
  else if (ident.activationId) q = q.where("activation_id", "=", ident.activationId);
  else return undefined;
  return q.executeTakeFirst();
}

/** Entitlements whole (row, partners, line items) by id, in three reads whatever their number. */
export async function entitlementRecordsMany(db: Db, pks: string[]): Promise<Map<string, EntitlementRecord>> {
  const out = new Map<string, EntitlementRecord>();
  const ids = [...new Set(pks)];
  if (!ids.length) return out;
  const rows = await db.selectFrom("entitlements").selectAll().where("id", "in", ids).execute();
  const partners = await partnersOf(db, ids);
  const items = await lineItemsOf(db, ids);
  for (const row of rows) out.set(row.id, { row, partners: partners.get(row.id) ?? [], lineItems: items.get(row.id) ?? [] });
  return out;
}
