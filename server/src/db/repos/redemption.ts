import { type CompiledQuery, type Insertable, PostgresAdapter, sql } from "kysely";
import * as pgJson from "kysely/helpers/postgres";
import * as sqliteJson from "kysely/helpers/sqlite";
import { TIER_DISTRIBUTOR, TIER_END_CUSTOMER } from "../../../../common/src/enums.js";
import { KEY_REDEEMABLE_STATES } from "../../../../common/src/rules/keys.js";
import { DEFAULT_REDEEMED_ID_TEMPLATE } from "../../domain/redemption.js";
import { isUniqueViolation } from "../constraints.js";
import { groupCommitOf, type SyncRunner } from "../groupCommit.js";
import { compilePrepared, runPrepared } from "../prepared.js";
import type {
  AuditEventsTable,
  Db,
  EmailMessagesTable,
  EntitlementEventsTable,
  EntitlementPartnersTable,
  EntitlementRow,
  EntitlementsTable,
  EventsTable,
  LineItemProductsTable,
  LineItemsTable,
  Trx,
  WebRegisterKeysTable,
} from "../schema.js";
import { type LineItemFull, PARTNER_COLUMNS, type PartnerRow } from "./entitlements.js";
import { visibleKey } from "./keys.js";

/**
 * Where a condition names a partial index's column (`line_items.role`, `web_register_keys.status`)
 * the value is a literal: with a bound parameter there, SQLite compiles the statement again on
 * every run to see whether the partial index applies (it measured half a millisecond a call).
 *
 * The database side of redemption, in as few round trips as the dialect allows: one read of
 * everything a redemption needs, then the writes — one statement on PostgreSQL (data-modifying
 * CTEs); on SQLite, statements in-process under a group commit (or in the caller's transaction).
 */

// json_object on SQLite needs explicit columns; these lists must name every column (checked below).
const ENTITLEMENT_COLUMNS = [
  "id",
  "entitlement_id",
  "id_generated",
  "kind",
  "state",
  "description",
  "ship_to_email",
  "ship_to_address",
  "order_id",
  "order_line_number",
  "allow_portal_login",
  "custom_attributes",
  "parent_bulk_id",
  "created_by",
  "created_by_label",
  "created_at",
  "updated_by",
  "updated_at",
  "key_count",
  "redeemed_count",
  "split_from_id",
] as const;
const LINE_ITEM_COLUMNS = [
  "id",
  "entitlement_id",
  "role",
  "position",
  "activation_id",
  "id_generated",
  "state",
  "part_number_id",
  "license_model_id",
  "alt_license_model1_id",
  "alt_license_model2_id",
  "license_model_attributes",
  "start_date_option",
  "start_date",
  "is_permanent",
  "term_count",
  "term_unit",
  "expiration_date",
  "version_date_option",
  "version_date",
  "number_of_copies",
  "fulfilled_count",
  "overdraft_count",
  "line_item_type",
  "parent_line_item_id",
  "order_id",
  "order_line_number",
  "description",
  "created_at",
  "updated_at",
] as const;
type Exhaustive<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : Exclude<All, Listed>;
const entitlementColumnsComplete: Exhaustive<keyof EntitlementsTable, (typeof ENTITLEMENT_COLUMNS)[number]> = true;
const lineItemColumnsComplete: Exhaustive<keyof LineItemsTable, (typeof LINE_ITEM_COLUMNS)[number]> = true;
void entitlementColumnsComplete;
void lineItemColumnsComplete;

export interface RedemptionSnapshot {
  /** Sold To with the End Customer tier's name and rank; null if there is no such account. */
  account: { id: string; type: string; name: string; tier_display_name: string | null; tier_rank: number | null } | null;
  /** The key row found by its canonical form; `key` as it was loaded. */
  key: Pick<WebRegisterKeysTable, "key" | "bulk_id" | "status" | "sold_to" | "entitlement_id"> & { id: number };
  bulk: EntitlementRow;
  /** The bulk entitlement's configuration line item with its products (null if it has none). */
  config: LineItemFull | null;
  distributor: PartnerRow | null;
  /** The redeemed entitlement's ID from the template (`{key}ENT` by default) is already some entitlement's. */
  defaultIdTaken: boolean;
}

const isPostgres = (db: Db | Trx) => db.getExecutor().adapter instanceof PostgresAdapter;

/**
 * Reads what a redemption needs in one query; `key: null` when the key is unknown. `key` is the
 * canonical form (canonicalKey()); the default entitlement ID is the template (Settings, `{key}ENT`
 * by default) applied to the key as loaded, not as typed.
 */
export async function redemptionSnapshot(
  db: Db | Trx,
  key: string,
  soldTo: string,
  idTemplate = DEFAULT_REDEEMED_ID_TEMPLATE,
): Promise<SnapshotRead> {
  const result = await runPrepared(db, "redemption.snapshot", { key, soldTo, idTemplate }, snapshotQuery);
  return snapshotOf(result.rows[0] as SnapshotRow);
}

/** redemptionSnapshot() inside a unit of SQLite's group commit (the redemption's one commit). */
export function redemptionSnapshotIn(
  runner: SyncRunner,
  db: Db,
  key: string,
  soldTo: string,
  idTemplate = DEFAULT_REDEEMED_ID_TEMPLATE,
): SnapshotRead {
  const q = compilePrepared(db, "redemption.snapshot", { key, soldTo, idTemplate }, snapshotQuery);
  return snapshotOf(runner.all(q)[0] as SnapshotRow);
}

/** The snapshot as read: `key: null` when the key is unknown. */
export type SnapshotRead = Omit<RedemptionSnapshot, "key" | "bulk"> & {
  key: RedemptionSnapshot["key"] | null;
  bulk: EntitlementRow | null;
};

type SnapshotRow = Record<"account" | "key" | "bulk" | "config" | "distributor" | "default_id_taken", unknown>;

function snapshotQuery(db: Db | Trx, v: { key: string; soldTo: string; idTemplate: string }) {
  const j = isPostgres(db) ? pgJson : sqliteJson;
  return db.selectNoFrom((eb) => {
    const bulkId = eb
      .selectFrom("web_register_keys as wk")
      .select("wk.bulk_id")
      .where("wk.key_canon", "=", v.key)
      .where(visibleKey("wk.load_id"));
    const defaultId = eb
      .selectFrom("web_register_keys as wd")
      .select(sql<string>`replace(${v.idTemplate}, '{key}', wd.key)`.as("d"))
      .where("wd.key_canon", "=", v.key)
      .where(visibleKey("wd.load_id"));
    return [
      j
        .jsonObjectFrom(
          eb
            .selectFrom("accounts as a")
            .leftJoin("partner_tiers as t", (jn) => jn.on("t.name", "=", TIER_END_CUSTOMER))
            .select(["a.id", "a.type", "a.name", "t.display_name as tier_display_name", "t.rank as tier_rank"])
            .where("a.id", "=", v.soldTo),
        )
        .as("account"),
      j
        .jsonObjectFrom(
          eb
            .selectFrom("web_register_keys as k")
            .select(["k.id", "k.key", "k.bulk_id", "k.status", "k.sold_to", "k.entitlement_id"])
            .where("k.key_canon", "=", v.key)
            .where(visibleKey("k.load_id")),
        )
        .as("key"),
      j
        .jsonObjectFrom(
          eb
            .selectFrom("entitlements as b")
            .select(ENTITLEMENT_COLUMNS.map((c) => `b.${c}` as const))
            .where("b.id", "=", bulkId),
        )
        .as("bulk"),
      j
        .jsonObjectFrom(
          eb
            .selectFrom("line_items as li")
            .leftJoin("part_numbers as pn", "pn.id", "li.part_number_id")
            .leftJoin("license_models as lm", "lm.id", "li.license_model_id")
            .select(LINE_ITEM_COLUMNS.map((c) => `li.${c}` as const))
            .select(["pn.part_id", "lm.name as license_model_name"])
            .select((li) =>
              j
                .jsonArrayFrom(
                  li
                    .selectFrom("line_item_products as lp")
                    .innerJoin("products as p", "p.id", "lp.product_id")
                    .select(["lp.product_id", "p.name", "p.version", "lp.quantity"])
                    .whereRef("lp.line_item_id", "=", "li.id")
                    .orderBy("lp.position"),
                )
                .as("products"),
            )
            .where("li.entitlement_id", "=", bulkId)
            .where("li.role", "=", sql.lit("BULK_CONFIG")),
        )
        .as("config"),
      j
        .jsonObjectFrom(
          eb
            .selectFrom("entitlement_partners as ep")
            .innerJoin("partner_tiers as t", "t.name", "ep.tier")
            .innerJoin("accounts as a", "a.id", "ep.account_id")
            .leftJoin("users as u", "u.id", "ep.contact_user_id")
            .select(PARTNER_COLUMNS)
            .where("ep.entitlement_id", "=", bulkId)
            .where("ep.tier", "=", TIER_DISTRIBUTOR),
        )
        .as("distributor"),
      eb
        .exists(eb.selectFrom("entitlements as x").select("x.id").where("x.entitlement_id", "=", defaultId))
        .as("default_id_taken"),
    ];
  });
}

function snapshotOf(row: SnapshotRow): SnapshotRead {
  // PostgreSQL's driver parses json; SQLite hands back text.
  const parse = <T>(v: unknown): T | null => (v == null ? null : ((typeof v === "string" ? JSON.parse(v) : v) as T));
  const config = parse<LineItemFull & { products: unknown }>(row.config);
  if (config) config.products = parse(config.products) ?? [];
  return {
    account: parse(row.account),
    key: parse(row.key),
    bulk: parse(row.bulk),
    config: config as LineItemFull | null,
    distributor: parse(row.distributor),
    defaultIdTaken: Boolean(row.default_id_taken),
  };
}

/** Every row a redemption writes, worked out beforehand. */
export interface RedemptionWrites {
  /** The canonical form (canonicalKey()). */
  key: string;
  bulkPk: string;
  /** The redeemed-count shard this key counts in. */
  shard: number;
  claim: Pick<WebRegisterKeysTable, "redeemed_at" | "redeemed_by" | "redeemed_by_label" | "sold_to" | "owner" | "entitlement_id">;
  entitlement: Insertable<EntitlementsTable>;
  partners: EntitlementPartnersTable[];
  lineItem: LineItemsTable;
  products: LineItemProductsTable[];
  events: EntitlementEventsTable[];
  audits: AuditEventsTable[];
  /** The domain events (key.redeemed, entitlement.created), written with the rest (issue 17). */
  domainEvents: Insertable<EventsTable>[];
  /** The entitlement certificate for the outbox (server/src/mail/), when there is a recipient: one insert more. */
  email?: EmailMessagesTable | undefined;
  /** Someone else's statements that belong with a successful claim (see WithClaim). */
  withClaim?: WithClaim | undefined;
}

/**
 * Statements of the caller's that belong with a successful claim: the redemption guard giving
 * back the miss places its admission took. On SQLite's group commit they run in the claim's own
 * unit, after its writes (one commit fewer for each redemption to wait for), and `applied` is set
 * once that unit has committed; elsewhere (PostgreSQL's one statement, a caller's transaction)
 * they are not run, `applied` stays false, and the caller runs them itself.
 */
export interface WithClaim {
  statements: CompiledQuery[];
  applied: boolean;
}

/**
 * Claims the key and writes the new entitlement, atomically; false when the key could not be
 * claimed (redeemed meanwhile, or its bulk entitlement no longer open), and then nothing is
 * written. `db` may be the caller's transaction (self-registration).
 *
 * A unique violation is a race lost the same way (the key's default entitlement ID or the key as
 * an activation ID taken since the read): false as well, on both databases, and the caller's
 * fresh read decides the answer.
 */
export async function writeRedemption(db: Db | Trx, w: RedemptionWrites): Promise<boolean> {
  // Inside a caller's transaction a failed statement must not take the caller's work with it
  // (PostgreSQL would abort the whole transaction; SQLite would keep the claim without the rest).
  const inTransaction = db.isTransaction;
  if (inTransaction) await sql`SAVEPOINT redemption_write`.execute(db);
  try {
    const claimed = await (isPostgres(db) ? writeInOneStatement(db, w) : writeStatements(db, w));
    if (inTransaction) await sql`RELEASE SAVEPOINT redemption_write`.execute(db);
    return claimed;
  } catch (err) {
    if (inTransaction) await sql`ROLLBACK TO SAVEPOINT redemption_write`.execute(db);
    // not_null_violation on PostgreSQL: not claimed (see writeInOneStatement).
    if (isUniqueViolation(err) || (err as { code?: string }).code === "23502") return false;
    throw err;
  }
}

/** SQLite: the claim, then the writes, in the caller's transaction or in a group commit unit of their own. */
async function writeStatements(db: Db | Trx, w: RedemptionWrites): Promise<boolean> {
  if (db.isTransaction) {
    const statements = redemptionStatements(db, w);
    if ((await db.executeQuery(statements.claim)).rows.length === 0) return false;
    for (const q of statements.writes) await db.executeQuery(q);
    return true;
  }
  const group = groupCommitOf(db as Db);
  if (!group) throw new Error("SQLite database without its group commit");
  // A unit that throws is rolled back alone (its savepoint), so a failed write leaves no claim.
  const withClaim = w.withClaim;
  const claimed = await group.submit((s) => {
    if (!writeRedemptionIn(s, db as Db, w)) return false;
    for (const q of withClaim?.statements ?? []) s.all(q);
    return true;
  });
  // Only now: the unit's commit has happened (a failed commit rejects, and its owner runs them).
  if (claimed && withClaim) withClaim.applied = true;
  return claimed;
}

/**
 * writeRedemption() inside a unit of SQLite's group commit, after the snapshot read in the same
 * unit: false when the claim found the key no longer open. A failed write throws, and the unit's
 * savepoint takes the claim back with it.
 */
export function writeRedemptionIn(runner: SyncRunner, db: Db, w: RedemptionWrites): boolean {
  const statements = redemptionStatements(db, w);
  if (runner.all(statements.claim).length === 0) return false;
  for (const q of statements.writes) runner.run(q);
  return true;
}

/** The claim, then the writes that follow a successful one, compiled for SQLite. */
function redemptionStatements(db: Db | Trx, w: RedemptionWrites): { claim: CompiledQuery; writes: CompiledQuery[] } {
  return {
    claim: compilePrepared(db, "redemption.claim", { key: w.key, bulkPk: w.bulkPk, claim: w.claim }, claimKey),
    writes: [
      compilePrepared(db, "redemption.entitlement", w.entitlement, (db, v) => db.insertInto("entitlements").values(v)),
      compilePrepared(db, "redemption.partners", w.partners, (db, v) => db.insertInto("entitlement_partners").values(v)),
      compilePrepared(db, "redemption.lineItem", w.lineItem, (db, v) => db.insertInto("line_items").values(v)),
      ...(w.products.length
        ? [compilePrepared(db, "redemption.products", w.products, (db, v) => db.insertInto("line_item_products").values(v))]
        : []),
      compilePrepared(db, "redemption.count", { bulkPk: w.bulkPk, shard: w.shard }, countRedeemedKey),
      compilePrepared(db, "redemption.events", w.events, (db, v) => db.insertInto("entitlement_events").values(v)),
      compilePrepared(db, "redemption.audits", w.audits, (db, v) => db.insertInto("audit_events").values(v)),
      compilePrepared(db, "redemption.domainEvents", w.domainEvents, (db, v) => db.insertInto("events").values(v)),
      ...(w.email
        ? [compilePrepared(db, "redemption.email", w.email, (db, v) => db.insertInto("email_messages").values(v))]
        : []),
    ],
  };
}

/** The conditional UPDATE that makes a key one entitlement, whatever runs concurrently. */
function claimKey(db: Pick<Db, "updateTable">, w: Pick<RedemptionWrites, "key" | "bulkPk" | "claim">) {
  return (
    db
      .updateTable("web_register_keys")
      .set({ status: sql.lit("REDEEMED"), ...w.claim })
      .where("key_canon", "=", w.key)
      .where("status", "=", sql.lit("UNREDEEMED"))
      // Still in the bulk entitlement it was read from (a split may have moved it since): its
      // redemption is counted there.
      .where("bulk_id", "=", w.bulkPk)
      // A key of a load still staged is not there yet.
      .where(visibleKey("web_register_keys.load_id"))
      // Correlated, so it looks at this key's bulk entitlement only (never the set of deployed ones).
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom("entitlements as b")
            .select("b.id")
            .whereRef("b.id", "=", "web_register_keys.bulk_id")
            .where(
              "b.state",
              "in",
              KEY_REDEEMABLE_STATES.map((s) => sql.lit(s)),
            ),
        ),
      )
      .returning("id")
  );
}

function countRedeemedKey(db: Pick<Db, "insertInto">, w: Pick<RedemptionWrites, "bulkPk" | "shard">) {
  return db
    .insertInto("key_redemption_counts")
    .values({ bulk_id: w.bulkPk, shard: w.shard, redeemed: 1 })
    .onConflict((oc) =>
      oc.columns(["bulk_id", "shard"]).doUpdateSet((eb) => ({ redeemed: eb("key_redemption_counts.redeemed", "+", 1) })),
    );
}

/**
 * One statement, so one round trip and atomic without BEGIN/COMMIT. Every part runs whatever the
 * claim found, so the new entitlement's ID is taken from the claim's result: no claim, a NULL ID,
 * and the NOT NULL constraint fails the whole statement — nothing is written. The caller then
 * finds out why from a fresh read.
 */
async function writeInOneStatement(db: Db | Trx, w: RedemptionWrites): Promise<boolean> {
  const result = await runPrepared(db, "redemption.write", w, (db, v) => {
    const q = db
      .with("claimed", (qb) => claimKey(qb, v))
      .with("e", (qb) =>
        qb
          .insertInto("entitlements")
          .values((eb) => ({
            ...v.entitlement,
            entitlement_id: eb.selectFrom("claimed").select(eb.val(v.entitlement.entitlement_id).as("v")),
          }))
          .returning("id"),
      )
      .with("p", (qb) => qb.insertInto("entitlement_partners").values(v.partners).returning("tier"))
      .with("l", (qb) => qb.insertInto("line_items").values(v.lineItem).returning("id"))
      .with("lp", (qb) =>
        v.products.length
          ? qb.insertInto("line_item_products").values(v.products).returning("line_item_id")
          : qb.selectNoFrom((eb) => eb.val(v.lineItem.id).as("line_item_id")),
      )
      .with("c", (qb) => countRedeemedKey(qb, v).returning("shard"))
      .with("ev", (qb) => qb.insertInto("entitlement_events").values(v.events).returning("id"))
      .with("au", (qb) => qb.insertInto("audit_events").values(v.audits).returning("id"))
      // tx_id takes this statement's transaction (the column's default), like any other writer's.
      .with("de", (qb) => qb.insertInto("events").values(v.domainEvents).returning("seq"));
    // The certificate, only when there is a recipient (the statement is otherwise unchanged):
    // written whatever the claim found, like the rest, so it fails with them when the claim does.
    const email = v.email;
    const withMail = email ? q.with("m", (qb) => qb.insertInto("email_messages").values(email).returning("id")) : q;
    return withMail.selectFrom("claimed").select("claimed.id");
  });
  return result.rows.length > 0;
}
