import { type ExpressionBuilder, PostgresAdapter, sql } from "kysely";
import { TIER_END_CUSTOMER } from "../../../../common/src/enums.js";
import { canonicalKey } from "../../../../common/src/keyCheck.js";
import type { TextFilter } from "../../domain/filters.js";
import { canonicalKeySql } from "../migrations/0006_key_identity.js";
import { newestFirst, type Page, type PageRequest, textMatch } from "../paging.js";
import type { Database, Db, FulfillmentRow, LineItemsTable, Trx } from "../schema.js";

/** A fulfillment with what its JSON is made of: its sold-to account and its parent's FID. */
export interface FulfillmentRecord extends FulfillmentRow {
  sold_to_id: string | null;
  sold_to_name: string | null;
  parent_fulfillment_id: string | null;
}

function recordQuery(db: Db | Trx) {
  return db
    .selectFrom("fulfillments as f")
    .leftJoin("fulfillments as p", "p.id", "f.parent_id")
    .leftJoin("entitlement_partners as ep", (j) =>
      j.onRef("ep.entitlement_id", "=", "f.entitlement_pk").on("ep.tier", "=", TIER_END_CUSTOMER),
    )
    .leftJoin("accounts as a", "a.id", "ep.account_id")
    .selectAll("f")
    .select(["p.fulfillment_id as parent_fulfillment_id", "a.id as sold_to_id", "a.name as sold_to_name"]);
}

export async function findFulfillment(db: Db | Trx, fid: string): Promise<FulfillmentRecord | undefined> {
  return recordQuery(db).where("f.fulfillment_id", "=", fid).executeTakeFirst();
}

export async function findFulfillmentByPk(db: Db | Trx, pk: string): Promise<FulfillmentRecord | undefined> {
  return recordQuery(db).where("f.id", "=", pk).executeTakeFirst();
}

export async function findFulfillmentByNonce(db: Db | Trx, nonce: string): Promise<FulfillmentRecord | undefined> {
  return recordQuery(db).where("f.request_nonce", "=", nonce).executeTakeFirst();
}

/**
 * The accounts that own an entitlement's licenses: its end customer and its current owner. A
 * customer or partner user acts on the licenses of these only.
 */
export async function ownerAccountIds(db: Db | Trx, entitlementPk: string): Promise<string[]> {
  const rows = await db
    .selectFrom("entitlement_partners")
    .select("account_id")
    .where("entitlement_id", "=", entitlementPk)
    .where((eb) => eb.or([eb("current_owner", "=", 1), eb("tier", "=", TIER_END_CUSTOMER)]))
    .execute();
  return [...new Set(rows.map((r) => r.account_id))];
}

/** Entitlements owned by one of `accountIds` (end customer or current owner), as a subquery. */
function ownedBy(eb: ExpressionBuilder<Database & { f: Database["fulfillments"] }, "f">, accountIds: string[]) {
  return eb(
    "f.entitlement_pk",
    "in",
    eb
      .selectFrom("entitlement_partners as op")
      .select("op.entitlement_id")
      .where("op.account_id", "in", accountIds.length ? accountIds : ["\u0000"])
      .where((w) => w.or([w("op.current_owner", "=", 1), w("op.tier", "=", TIER_END_CUSTOMER)])),
  );
}

/** A line item to activate, with its entitlement and license model: what an activation reads. */
export interface ActivationTarget extends LineItemsTable {
  entitlement_pk: string;
  entitlement_public_id: string;
  kind: string;
  entitlement_state: string;
  entitlement_ship_to_email: string | null;
  entitlement_ship_to_address: string | null;
  lm_name: string | null;
  lm_type: string | null;
  lm_technology: string | null;
  lm_attributes: string | null;
  lm_policies: string | null;
}

function targetQuery(db: Db | Trx) {
  return db
    .selectFrom("line_items as li")
    .innerJoin("entitlements as e", "e.id", "li.entitlement_id")
    .leftJoin("license_models as lm", "lm.id", "li.license_model_id")
    .selectAll("li")
    .select([
      "e.id as entitlement_pk",
      "e.entitlement_id as entitlement_public_id",
      "e.kind",
      "e.state as entitlement_state",
      "e.ship_to_email as entitlement_ship_to_email",
      "e.ship_to_address as entitlement_ship_to_address",
      "lm.name as lm_name",
      "lm.model_type as lm_type",
      "lm.technology as lm_technology",
      "lm.attributes as lm_attributes",
      "lm.policies as lm_policies",
    ]);
}

/**
 * The line item of an activation ID: as written, else by its key identity (a redeemed key is its
 * line item's activation ID, and a key typed with other case, spaces, dashes or look-alikes is
 * the same key), through the index on that form.
 */
export async function findActivationTarget(db: Db | Trx, activationId: string): Promise<ActivationTarget | undefined> {
  const exact = await targetQuery(db)
    .where("li.activation_id", "=", activationId)
    .where("li.role", "=", "LINE_ITEM")
    .executeTakeFirst();
  if (exact) return exact;
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  return targetQuery(db)
    .where(sql.raw(canonicalKeySql(pg, "li.activation_id")), "=", canonicalKey(activationId))
    .where("li.role", "=", "LINE_ITEM")
    .executeTakeFirst();
}

export async function findLineItemTarget(db: Db | Trx, lineItemPk: string): Promise<ActivationTarget | undefined> {
  return targetQuery(db).where("li.id", "=", lineItemPk).executeTakeFirst();
}

/** True when `id` is a bulk entitlement's ID (never activated: its keys are redeemed first). */
export async function isBulkEntitlementId(db: Db | Trx, id: string): Promise<boolean> {
  const row = await db
    .selectFrom("entitlements")
    .select("id")
    .where("entitlement_id", "=", id)
    .where("kind", "=", "BULK")
    .executeTakeFirst();
  return row !== undefined;
}

/** The product a line item licenses (its first) with its features, in order. */
export async function productOfLineItem(
  db: Db | Trx,
  lineItemPk: string,
): Promise<{ name: string; version: string; features: { name: string; version: string; count: number | null }[] } | undefined> {
  const p = await db
    .selectFrom("line_item_products as lp")
    .innerJoin("products as p", "p.id", "lp.product_id")
    .select(["p.id", "p.name", "p.version"])
    .where("lp.line_item_id", "=", lineItemPk)
    .orderBy("lp.position")
    .executeTakeFirst();
  if (!p) return undefined;
  const features = await db
    .selectFrom("product_features")
    .select(["name", "version", "count"])
    .where("product_id", "=", p.id)
    .orderBy("position")
    .execute();
  return { name: p.name, version: p.version, features };
}

/** The producer's name: the issuer of its licenses. */
export async function publisherName(db: Db | Trx): Promise<string> {
  const row = await db
    .selectFrom("accounts")
    .select("name")
    .where("type", "=", "PUBLISHER")
    .orderBy("created_at")
    .executeTakeFirst();
  return row?.name ?? "Licensor";
}

/** The active host that holds a license for the line item, among these (type, normalized id) pairs. */
export async function activeHostOf(
  db: Db | Trx,
  lineItemPk: string,
  hosts: { type: string; normalized: string }[],
): Promise<{ host_type: string; normalized: string; fulfillment_id: string } | undefined> {
  if (hosts.length === 0) return undefined;
  return db
    .selectFrom("fulfillment_hosts as h")
    .innerJoin("fulfillments as f", "f.id", "h.fulfillment_id")
    .select(["h.host_type", "h.normalized", "f.fulfillment_id"])
    .where("h.line_item_id", "=", lineItemPk)
    .where("h.active", "=", 1)
    .where((eb) => eb.or(hosts.map((h) => eb.and([eb("h.host_type", "=", h.type), eb("h.normalized", "=", h.normalized)]))))
    .executeTakeFirst();
}

export interface FulfillmentFilter {
  /** Only fulfillments of entitlements these accounts own; null = all (producer staff). */
  onlyAccountIds: string[] | null;
  q?: string | undefined;
  entitlementId?: string | undefined;
  activationId?: string | undefined;
  lineItemId?: string | undefined;
  accountId?: string | undefined;
  /** Host IDs, normalized per type (one per host type), with the operator. */
  hostId?: { filter: TextFilter; normalizedByType: Record<string, string> } | undefined;
  state?: string | undefined;
  type?: string | undefined;
}

export async function listFulfillments(db: Db, f: FulfillmentFilter, page: PageRequest): Promise<Page<FulfillmentRecord>> {
  let q = recordQuery(db);
  if (f.onlyAccountIds) {
    const ids = f.onlyAccountIds;
    q = q.where((eb) => ownedBy(eb as never, ids));
  }
  if (f.entitlementId) {
    const id = f.entitlementId;
    q = q.where((eb) => eb.or([eb("f.entitlement_id", "=", id), eb("f.entitlement_pk", "=", id)]));
  }
  if (f.activationId) q = q.where("f.activation_id", "=", f.activationId);
  if (f.lineItemId) q = q.where("f.line_item_id", "=", f.lineItemId);
  if (f.accountId) {
    const acc = f.accountId;
    q = q.where("f.entitlement_pk", "in", (eb) =>
      eb.selectFrom("entitlement_partners as sp").select("sp.entitlement_id").where("sp.account_id", "=", acc),
    );
  }
  if (f.state) q = q.where("f.state", "=", f.state);
  if (f.type) q = q.where("f.type", "=", f.type);
  if (f.hostId) {
    const h = f.hostId;
    q = q.where("f.id", "in", (eb) =>
      eb
        .selectFrom("fulfillment_hosts as fh")
        .select("fh.fulfillment_id")
        .where((w) =>
          w.or(
            Object.entries(h.normalizedByType).map(([type, value]) =>
              w.and([w("fh.host_type", "=", type), textMatch(w, "fh.normalized", { ...h.filter, value })]),
            ),
          ),
        ),
    );
  }
  if (f.q) {
    const prefix = { op: "STARTS_WITH" as const, value: f.q };
    q = q.where((eb) =>
      eb.or([
        textMatch(eb, "f.fulfillment_id", prefix),
        textMatch(eb, "f.activation_id", prefix),
        textMatch(eb, "f.entitlement_id", prefix),
        eb(
          "f.id",
          "in",
          eb
            .selectFrom("fulfillment_hosts as qh")
            .select("qh.fulfillment_id")
            .where((w) => textMatch(w, "qh.normalized", prefix)),
        ),
      ]),
    );
  }
  return newestFirst(q, "f.id", page);
}

/** The chain a fulfillment belongs to: its ancestors and every descendant of the root, oldest first. */
export async function historyOf(db: Db | Trx, row: FulfillmentRow): Promise<FulfillmentRecord[]> {
  let root = row;
  for (let i = 0; i < 1000 && root.parent_id; i++) {
    const parent = await db.selectFrom("fulfillments").selectAll().where("id", "=", root.parent_id).executeTakeFirst();
    if (!parent) break;
    root = parent;
  }
  const ids = [root.id];
  let frontier = [root.id];
  while (frontier.length > 0 && ids.length < 10_000) {
    const children = await db.selectFrom("fulfillments").select("id").where("parent_id", "in", frontier).execute();
    frontier = children.map((c) => c.id);
    ids.push(...frontier);
  }
  return recordQuery(db).where("f.id", "in", ids).orderBy("f.id").execute();
}

/**
 * Support actions of a line item since `since` (ISO; null: ever), by action: how many, the copies
 * they stand for (an EXTRA_ACTIVATION's extra copies; 1 for the others), and the oldest of each.
 */
export async function supportActionsSince(
  db: Db | Trx,
  lineItemPk: string,
  since: string | null,
): Promise<Record<string, { used: number; copies: number; oldestAt: string | null }>> {
  let q = db
    .selectFrom("fulfillment_actions")
    .select([
      "action",
      sql<number | string>`count(*)`.as("n"),
      sql<number | string>`sum(copies)`.as("copies"),
      sql<string | null>`min(at)`.as("oldest"),
    ])
    .where("line_item_id", "=", lineItemPk)
    .groupBy("action");
  if (since) q = q.where("at", ">", since);
  const rows = await q.execute();
  const out: Record<string, { used: number; copies: number; oldestAt: string | null }> = {};
  for (const r of rows) out[r.action] = { used: Number(r.n), copies: Number(r.copies), oldestAt: r.oldest };
  return out;
}
