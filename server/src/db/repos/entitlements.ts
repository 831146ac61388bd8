import { sql } from "kysely";
import type { StateType } from "../../../../common/src/enums.js";
import type { DateFilter, TextFilter } from "../../domain/filters.js";
import { dateMatch, newestFirst, type Page, type PageRequest, textMatch } from "../paging.js";
import type { Db, EntitlementEventsTable, EntitlementRow, LineItemsTable, Trx } from "../schema.js";

export async function findEntitlement(db: Db | Trx, id: string): Promise<EntitlementRow | undefined> {
  return db.selectFrom("entitlements").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function findEntitlementByEntitlementId(db: Db | Trx, entitlementId: string): Promise<EntitlementRow | undefined> {
  return db.selectFrom("entitlements").selectAll().where("entitlement_id", "=", entitlementId).executeTakeFirst();
}

/**
 * An entitlement by its internal id or, failing that, by the entitlement ID users and FNO
 * integrations know (`GET /entitlements/{id}` accepts both). The internal id wins on the
 * (theoretical) clash of one entitlement's UUID with another's specified ID.
 */
export async function findEntitlementByAnyId(db: Db | Trx, id: string): Promise<EntitlementRow | undefined> {
  return (await findEntitlement(db, id)) ?? (await findEntitlementByEntitlementId(db, id));
}

export interface PartnerRow {
  tier: string;
  tier_display_name: string;
  tier_rank: number;
  account_id: string;
  account_name: string;
  contact_user_id: string | null;
  contact_email: string | null;
  current_owner: number;
}

/** A partner row's columns, over `entitlement_partners ep` joined to tiers `t`, accounts `a` and users `u`. */
export const PARTNER_COLUMNS = [
  "ep.tier",
  "t.display_name as tier_display_name",
  "t.rank as tier_rank",
  "ep.account_id",
  "a.name as account_name",
  "ep.contact_user_id",
  "u.email as contact_email",
  "ep.current_owner",
] as const;

export async function partnersOf(db: Db | Trx, entitlementPks: string[]): Promise<Map<string, PartnerRow[]>> {
  const map = new Map<string, PartnerRow[]>(entitlementPks.map((id) => [id, []]));
  if (entitlementPks.length === 0) return map;
  const rows = await db
    .selectFrom("entitlement_partners as ep")
    .innerJoin("partner_tiers as t", "t.name", "ep.tier")
    .innerJoin("accounts as a", "a.id", "ep.account_id")
    .leftJoin("users as u", "u.id", "ep.contact_user_id")
    .select(["ep.entitlement_id", ...PARTNER_COLUMNS])
    .where("ep.entitlement_id", "in", entitlementPks)
    .orderBy("t.rank")
    .execute();
  for (const r of rows) map.get(r.entitlement_id)?.push(r);
  return map;
}

export interface LineItemProductRow {
  product_id: string;
  name: string;
  version: string;
  quantity: number;
}

export interface LineItemFull extends LineItemsTable {
  products: LineItemProductRow[];
  part_id: string | null;
  license_model_name: string | null;
}

export async function lineItemsOf(db: Db | Trx, entitlementPks: string[]): Promise<Map<string, LineItemFull[]>> {
  const map = new Map<string, LineItemFull[]>(entitlementPks.map((id) => [id, []]));
  if (entitlementPks.length === 0) return map;
  const items = await db
    .selectFrom("line_items as li")
    .leftJoin("part_numbers as pn", "pn.id", "li.part_number_id")
    .leftJoin("license_models as lm", "lm.id", "li.license_model_id")
    .selectAll("li")
    .select(["pn.part_id", "lm.name as license_model_name"])
    .where("li.entitlement_id", "in", entitlementPks)
    .orderBy("li.entitlement_id")
    .orderBy("li.position")
    .execute();
  const ids = items.map((i) => i.id);
  const prods = ids.length
    ? await db
        .selectFrom("line_item_products as lp")
        .innerJoin("products as p", "p.id", "lp.product_id")
        .select(["lp.line_item_id", "lp.product_id", "p.name", "p.version", "lp.quantity"])
        .where("lp.line_item_id", "in", ids)
        .orderBy("lp.position")
        .execute()
    : [];
  const byItem = new Map<string, LineItemProductRow[]>();
  for (const p of prods) {
    const list = byItem.get(p.line_item_id) ?? [];
    list.push({ product_id: p.product_id, name: p.name, version: p.version, quantity: p.quantity });
    byItem.set(p.line_item_id, list);
  }
  for (const i of items) map.get(i.entitlement_id)?.push({ ...i, products: byItem.get(i.id) ?? [] });
  return map;
}

export async function eventsOf(db: Db | Trx, entitlementPk: string): Promise<EntitlementEventsTable[]> {
  return db.selectFrom("entitlement_events").selectAll().where("entitlement_id", "=", entitlementPk).orderBy("id").execute();
}

export interface EntitlementFilter {
  /** Only entitlements where one of these accounts is in a tier; null = all (producer staff). */
  onlyAccountIds: string[] | null;
  q?: string | undefined;
  entitlementId?: TextFilter | undefined;
  activationId?: TextFilter | undefined;
  orderId?: TextFilter | undefined;
  description?: TextFilter | undefined;
  shipToEmail?: TextFilter | undefined;
  productName?: TextFilter | undefined;
  accountName?: TextFilter | undefined;
  accountId?: string | undefined;
  tier?: string | undefined;
  states?: StateType[] | undefined;
  kind?: "SIMPLE" | "BULK" | undefined;
  createdBy?: TextFilter | undefined;
  createdAt?: DateFilter | undefined;
  updatedAt?: DateFilter | undefined;
}

function filtered(db: Db, f: EntitlementFilter) {
  let q = db.selectFrom("entitlements as e");
  if (f.onlyAccountIds) {
    const ids = f.onlyAccountIds.length ? f.onlyAccountIds : ["\u0000none"];
    q = q.where("e.id", "in", (eb) =>
      eb.selectFrom("entitlement_partners").select("entitlement_id").where("account_id", "in", ids),
    );
  }
  const hasProduct = (pf: TextFilter) =>
    q.where("e.id", "in", (eb) =>
      eb
        .selectFrom("line_items as li")
        .innerJoin("line_item_products as lp", "lp.line_item_id", "li.id")
        .innerJoin("products as p", "p.id", "lp.product_id")
        .select("li.entitlement_id")
        .where((w) => textMatch(w, "p.name", pf)),
    );
  if (f.q) {
    const t: TextFilter = { op: "CONTAINS", value: f.q };
    q = q.where((eb) =>
      eb.or([
        textMatch(eb, "e.entitlement_id", t),
        textMatch(eb, "e.order_id", t),
        textMatch(eb, "e.description", t),
        eb(
          "e.id",
          "in",
          eb
            .selectFrom("line_items as li")
            .select("li.entitlement_id")
            .where((w) => textMatch(w, "li.activation_id", t)),
        ),
        eb(
          "e.id",
          "in",
          eb
            .selectFrom("entitlement_partners as ep")
            .innerJoin("accounts as a", "a.id", "ep.account_id")
            .select("ep.entitlement_id")
            .where((w) => w.or([textMatch(w, "a.name", t), textMatch(w, "a.id", t)])),
        ),
        eb(
          "e.id",
          "in",
          eb
            .selectFrom("line_items as li")
            .innerJoin("line_item_products as lp", "lp.line_item_id", "li.id")
            .innerJoin("products as p", "p.id", "lp.product_id")
            .select("li.entitlement_id")
            .where((w) => textMatch(w, "p.name", t)),
        ),
      ]),
    );
  }
  if (f.entitlementId) q = q.where((eb) => textMatch(eb, "e.entitlement_id", f.entitlementId as TextFilter));
  if (f.orderId) q = q.where((eb) => textMatch(eb, "e.order_id", f.orderId as TextFilter));
  if (f.description) q = q.where((eb) => textMatch(eb, "e.description", f.description as TextFilter));
  if (f.shipToEmail) q = q.where((eb) => textMatch(eb, "e.ship_to_email", f.shipToEmail as TextFilter));
  if (f.createdBy) {
    // By the creator's email (tokens' labels carry a " (token)" suffix, so match the user row).
    const cf = f.createdBy;
    q = q.where((eb) =>
      eb.or([
        eb(
          "e.created_by",
          "in",
          eb
            .selectFrom("users")
            .select("users.id")
            .where((w) => textMatch(w, "users.email", cf)),
        ),
        textMatch(eb, "e.created_by_label", cf),
      ]),
    );
  }
  if (f.activationId) {
    const af = f.activationId;
    q = q.where("e.id", "in", (eb) =>
      eb
        .selectFrom("line_items as li")
        .select("li.entitlement_id")
        .where((w) => textMatch(w, "li.activation_id", af)),
    );
  }
  if (f.productName) q = hasProduct(f.productName);
  if (f.accountId || f.tier || f.accountName) {
    q = q.where("e.id", "in", (eb) => {
      let s = eb
        .selectFrom("entitlement_partners as ep")
        .innerJoin("accounts as a", "a.id", "ep.account_id")
        .select("ep.entitlement_id");
      if (f.accountId) s = s.where("ep.account_id", "=", f.accountId);
      if (f.tier) s = s.where("ep.tier", "=", f.tier);
      if (f.accountName) s = s.where((w) => textMatch(w, "a.name", f.accountName as TextFilter));
      return s;
    });
  }
  if (f.states && f.states.length) q = q.where("e.state", "in", f.states);
  if (f.kind) q = q.where("e.kind", "=", f.kind);
  if (f.createdAt) q = q.where((eb) => dateMatch(eb, "e.created_at", f.createdAt as DateFilter));
  if (f.updatedAt) q = q.where((eb) => dateMatch(eb, "e.updated_at", f.updatedAt as DateFilter));
  return q;
}

/** List Entitlements: newest first, keyset-paged on the time-ordered id. */
export async function listEntitlements(db: Db, f: EntitlementFilter, page: PageRequest): Promise<Page<EntitlementRow>> {
  const q = filtered(db, f).selectAll("e");
  return newestFirst(q, "e.id", page);
}

export async function countEntitlements(db: Db, f: EntitlementFilter): Promise<number> {
  const row = await filtered(db, f).select(sql<number>`count(*)`.as("n")).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The account of an entitlement's current-owner partner, or null (a bulk's keys are that partner's to see). */
export async function currentOwnerAccountId(db: Db | Trx, entitlementPk: string): Promise<string | null> {
  const row = await db
    .selectFrom("entitlement_partners")
    .select("account_id")
    .where("entitlement_id", "=", entitlementPk)
    .where("current_owner", "=", 1)
    .executeTakeFirst();
  return row?.account_id ?? null;
}

/** The product a bulk entitlement's configuration names (what its key cards are for), if any. */
export async function bulkProductOf(db: Db | Trx, bulkPk: string): Promise<{ name: string; version: string } | undefined> {
  return db
    .selectFrom("line_items as li")
    .innerJoin("line_item_products as lp", "lp.line_item_id", "li.id")
    .innerJoin("products as p", "p.id", "lp.product_id")
    .select(["p.name", "p.version"])
    .where("li.entitlement_id", "=", bulkPk)
    .where("li.role", "=", "BULK_CONFIG")
    .executeTakeFirst();
}

/** An entitlement with its channel partners and line items: what a command returns and its JSON is made of. */
export interface EntitlementRecord {
  row: EntitlementRow;
  partners: PartnerRow[];
  lineItems: LineItemFull[];
}

export async function findEntitlementRecord(db: Db | Trx, pk: string): Promise<EntitlementRecord | undefined> {
  const row = await findEntitlement(db, pk);
  if (!row) return undefined;
  const partners = (await partnersOf(db, [pk])).get(pk) ?? [];
  const lineItems = (await lineItemsOf(db, [pk])).get(pk) ?? [];
  return { row, partners, lineItems };
}
