import crypto from "node:crypto";
import http from "node:http";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import SQLite from "better-sqlite3";
import pg from "pg";
import { v7 as uuidv7 } from "uuid";
import { canonicalKey } from "../common/src/keyCheck.js";

const require = createRequire(import.meta.url);

/**
 * The floor for `bench/redeem.ts`: a bare `node:http` server (no framework, no validation, no
 * schema serialization) that answers POST /api/v1/redemptions with the same database work as
 * Licensor, through the bare driver, on a copy of the benchmark's own database (Licensor's
 * migrations, rows and indexes). Per redemption it reads the token by its hash (with the same
 * membership check), bumps the two rate counters (IP and account) reading the lockouts back, reads
 * the Sold To account, the key, its bulk entitlement, the configuration with its products, the
 * distributor and whether `{key}ENT` is taken, then claims the key with the same conditional
 * UPDATE and writes the entitlement, its two partners, the line item, its products, the
 * redeemed-count shard, two history rows, two audit rows and two domain events — the rows Licensor writes
 * (bench/redeem.ts compares them after each run). It answers 201 with the new entitlement as JSON.
 *
 * SQLite: one transaction per redemption (the counters, the reads and the writes), on one
 * connection, synchronously, with Licensor's pragmas, and checkpoints on a worker thread as
 * Licensor's (no group commit: that is Licensor's own design, and the floor is the plain way).
 * PostgreSQL: the same round trips as Licensor — token, counters
 * (their tables are UNLOGGED), one read, and one statement of data-modifying CTEs that claims and
 * writes (its own transaction) — as named statements on a pool of the same size as Licensor's.
 *
 * It is a floor, so it skips what is not database work: body validation, policies, problem
 * details, the refusal paths (a refused key answers 409; only its attempt is counted), and rate
 * headers. BENCH_FLOOR_DEBUG=1 prints when the checkpointer holds redemptions.
 *
 * Run: `tsx bench/redeemFloor.ts` with FLOOR_DATABASE (a SQLite file path or a postgres:// URL)
 * and FLOOR_POOL_SIZE; it listens on 127.0.0.1, on a free port, and prints `listening <port>`.
 */

const TIER_DISTRIBUTOR = "bo.constants.partnertiernames.tier1";
const TIER_END_CUSTOMER = "bo.constants.partnertiernames.endcustomer";
const SHARDS = 64;
const WINDOW_MS = 60_000;
const TOUCH_EVERY_MS = 60_000;

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
  "line_item_type",
  "parent_line_item_id",
  "order_id",
  "order_line_number",
  "description",
  "created_at",
  "updated_at",
] as const;
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
] as const;
const PARTNER_COLUMNS = ["entitlement_id", "tier", "account_id", "contact_user_id", "current_owner"] as const;
const PRODUCT_COLUMNS = ["line_item_id", "product_id", "quantity", "position"] as const;
const EVENT_COLUMNS = ["id", "entitlement_id", "event", "at", "user_id", "user_label", "description"] as const;
/** `tx_id` and `seq` come from the database's defaults, as for Licensor's rows. */
const DOMAIN_EVENT_COLUMNS = [
  "id",
  "type",
  "occurred_at",
  "subject_type",
  "subject_id",
  "entitlement_id",
  "account_id",
  "request_id",
  "payload",
] as const;
const AUDIT_COLUMNS = [
  "id",
  "at",
  "actor_type",
  "actor_id",
  "actor_label",
  "token_id",
  "action",
  "object_type",
  "object_id",
  "changes",
  "request_id",
  "ip",
] as const;

type Row = Record<string, unknown>;

interface Actor {
  tokenId: string;
  userId: string;
  label: string;
}

interface Snapshot {
  account: Row | null;
  key: Row | null;
  bulk: Row | null;
  config: (Row & { products: Row[] }) | null;
  distributor: Row | null;
  defaultIdTaken: boolean;
}

/** Everything one redemption writes, as rows (the same values Licensor computes). */
interface Writes {
  claim: Row;
  key: string;
  entitlement: Row;
  partners: Row[];
  lineItem: Row;
  products: Row[];
  count: { bulk_id: string; shard: number };
  events: Row[];
  audits: Row[];
  /** The domain events (Licensor's `events` table: key.redeemed, entitlement.created). */
  domainEvents: Row[];
}

const TOKEN_SQL = `SELECT t.id, t.role, t.account_id, t.expires_at, t.revoked_at, t.last_used_at, a.type AS account_type,
  u.id AS user_id, u.email, u.status
FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN accounts a ON a.id = t.account_id
WHERE t.token_hash = $1
  AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = t.user_id AND r.account_id = t.account_id)`;

/**
 * The guard's counters, as Licensor's `security/redeemGuard.ts` keeps them. Two versions, chosen by
 * FLOOR_GUARD (bench/redeem.ts tells which one the server under test uses): `count` bumps the
 * IP's and the account's one-minute windows; `reserve` (the miss lockout decided before the
 * lookup) also takes a place in both subjects' 15-minute miss counters in the same statement, and
 * gives it back after a success with one more statement.
 */
const RESERVE = process.env.FLOOR_GUARD === "reserve";
const MISS_WINDOW_MS = 15 * 60_000;
// The rows in the order of their key (account: < ip: < miss:account: < miss:ip:), the order in
// which the release's `bucket IN (…)` locks them: in another order, on PostgreSQL, an admission
// and a release running at once deadlock (40P01), as the same statements did here with the rows
// in Licensor's order (ip:, account:, miss:ip:, miss:account:).
const GUARD_SQL = `INSERT INTO rate_counters (bucket, window_start, count) VALUES ($3, $2, 1), ($1, $2, 1)${RESERVE ? ", ($6, $5, 1), ($4, $5, 1)" : ""}
ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_counters.count + 1
RETURNING bucket, count,
  (SELECT max(locked_until) FROM redeem_misses WHERE subject IN ($1, $3)) AS locked_until,
  (SELECT subject FROM redeem_misses WHERE subject = $3) AS account_missed`;
const RELEASE_SQL = `UPDATE rate_counters SET count = CASE WHEN rate_counters.count > 0 THEN rate_counters.count - 1 ELSE 0 END
WHERE bucket IN ($1, $2) AND window_start = $3 RETURNING count`;

const ACCOUNT_SQL = `SELECT a.id, a.type, a.name, t.display_name AS tier_display_name, t.rank AS tier_rank
FROM accounts a LEFT JOIN partner_tiers t ON t.name = '${TIER_END_CUSTOMER}' WHERE a.id = $1`;
// By the key's canonical form, visible keys only (not in a staged load), as Licensor looks a key up.
const VISIBLE = "(load_id IS NULL OR NOT EXISTS (SELECT 1 FROM key_loads kl WHERE kl.id = load_id))";
const KEY_SQL = `SELECT id, key, bulk_id, status, sold_to, entitlement_id FROM web_register_keys WHERE key_canon = $1 AND ${VISIBLE}`;
const BULK_ID_SQL = `(SELECT bulk_id FROM web_register_keys WHERE key_canon = $1 AND ${VISIBLE})`;
const BULK_SQL = `SELECT ${ENTITLEMENT_COLUMNS.join(", ")}, key_count, redeemed_count FROM entitlements WHERE id = $1`;
const CONFIG_SQL = `SELECT ${LINE_ITEM_COLUMNS.map((c) => `li.${c}`).join(", ")}, pn.part_id, lm.name AS license_model_name
FROM line_items li LEFT JOIN part_numbers pn ON pn.id = li.part_number_id LEFT JOIN license_models lm ON lm.id = li.license_model_id
WHERE li.entitlement_id = $1 AND li.role = 'BULK_CONFIG'`;
const PRODUCTS_SQL = `SELECT lp.product_id, p.name, p.version, lp.quantity
FROM line_item_products lp JOIN products p ON p.id = lp.product_id WHERE lp.line_item_id = $1 ORDER BY lp.position`;
const DISTRIBUTOR_SQL = `SELECT ep.tier, t.display_name AS tier_display_name, t.rank AS tier_rank, ep.account_id, a.name AS account_name,
  ep.contact_user_id, u.email AS contact_email, ep.current_owner
FROM entitlement_partners ep JOIN partner_tiers t ON t.name = ep.tier JOIN accounts a ON a.id = ep.account_id
  LEFT JOIN users u ON u.id = ep.contact_user_id
WHERE ep.entitlement_id = $1 AND ep.tier = '${TIER_DISTRIBUTOR}'`;
const TAKEN_SQL = "SELECT 1 AS taken FROM entitlements WHERE entitlement_id = $1";

/** The same read on PostgreSQL in one round trip (json subqueries), as Licensor does. */
const PG_SNAPSHOT_SQL = `SELECT
  (SELECT row_to_json(x) FROM (${ACCOUNT_SQL.replace("$1", "$2")}) x) AS account,
  (SELECT row_to_json(x) FROM (${KEY_SQL}) x) AS key,
  (SELECT row_to_json(x) FROM (${BULK_SQL.replace("$1", BULK_ID_SQL)}) x) AS bulk,
  (SELECT row_to_json(x) FROM (
    SELECT c.*, (SELECT coalesce(json_agg(y), '[]'::json) FROM (${PRODUCTS_SQL.replace("$1", "c.id")}) y) AS products
    FROM (${CONFIG_SQL.replace("$1", BULK_ID_SQL)}) c) x) AS config,
  (SELECT row_to_json(x) FROM (${DISTRIBUTOR_SQL.replace("$1", BULK_ID_SQL)}) x) AS distributor,
  EXISTS (${TAKEN_SQL.replace("$1", `(SELECT key || 'ENT' FROM web_register_keys WHERE key_canon = $1 AND ${VISIBLE})`)}) AS default_id_taken`;

const CLAIM_SQL = `UPDATE web_register_keys SET status = 'REDEEMED', redeemed_at = $1, redeemed_by = $2, redeemed_by_label = $3,
  sold_to = $4, owner = $5, entitlement_id = $6
WHERE key_canon = $7 AND status = 'UNREDEEMED' AND ${VISIBLE}
  AND EXISTS (SELECT 1 FROM entitlements b WHERE b.id = web_register_keys.bulk_id AND b.state IN ('DEPLOYED', 'TEST'))
RETURNING id`;
const COUNT_SQL = `INSERT INTO key_redemption_counts (bulk_id, shard, redeemed) VALUES ($1, $2, 1)
ON CONFLICT (bulk_id, shard) DO UPDATE SET redeemed = key_redemption_counts.redeemed + 1`;

const insertTexts = new Map<string, string>();
/** `INSERT INTO table (cols) VALUES ($n, …), (…)` for `rows` rows, numbering from `first` (built once per shape). */
function insertSql(table: string, columns: readonly string[], rows: number, first = 1): string {
  const shape = `${table}|${rows}|${first}`;
  let text = insertTexts.get(shape);
  if (!text) {
    text = buildInsertSql(table, columns, rows, first);
    insertTexts.set(shape, text);
  }
  return text;
}
function buildInsertSql(table: string, columns: readonly string[], rows: number, first: number): string {
  let n = first;
  const tuples = Array.from({ length: rows }, () => `(${columns.map(() => `$${n++}`).join(", ")})`);
  return `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${tuples.join(", ")}`;
}
const valuesOf = (columns: readonly string[], rows: Row[]) => rows.flatMap((r) => columns.map((c) => r[c] ?? null));
/** better-sqlite3 binds `?` by position: each `$n` becomes `?`, and `order` says which value goes where. */
function forSqlite(text: string): { text: string; order: number[] } {
  const order: number[] = [];
  return {
    text: text.replace(/\$(\d+)/g, (_m, n) => {
      order.push(Number(n) - 1);
      return "?";
    }),
    order,
  };
}

const masked = (key: string) => (key.length <= 8 ? `${key.slice(0, 2)}…` : `${key.slice(0, 5)}…${key.slice(-2)}`);

/**
 * The rows one redemption writes, from the snapshot (mirrors keyRedeemer.ts and
 * domain/redemption.ts: the product configuration is copied, never the retailer's order fields,
 * descriptions or attributes). The entitlement ID is the default template's, `{key}ENT`.
 */
function plan(snap: Snapshot, actor: Actor, key: string, soldTo: string, requestId: string, ip: string): Writes {
  const bulk = snap.bulk as Row;
  const config = snap.config as Row & { products: Row[] };
  const account = snap.account as Row;
  const now = new Date().toISOString();
  const pk = uuidv7();
  const state = bulk.state === "TEST" ? "TEST" : "DEPLOYED";
  const entitlement: Row = {
    id: pk,
    entitlement_id: snap.defaultIdTaken ? `ENT-${uuidv7()}` : `${key}ENT`,
    id_generated: 0,
    kind: "SIMPLE",
    state,
    // The retailer's order, description and attributes stay on the bulk entitlement.
    description: null,
    ship_to_email: null,
    ship_to_address: null,
    order_id: null,
    order_line_number: null,
    allow_portal_login: bulk.allow_portal_login,
    custom_attributes: "{}",
    parent_bulk_id: bulk.id,
    created_by: actor.userId,
    created_by_label: actor.label,
    created_at: now,
    updated_by: actor.userId,
    updated_at: now,
  };
  const partners: Row[] = [
    {
      entitlement_id: pk,
      tier: TIER_END_CUSTOMER,
      account_id: soldTo,
      contact_user_id: null,
      current_owner: 1,
      rank: account.tier_rank ?? 0,
    },
  ];
  const d = snap.distributor;
  if (d && d.account_id !== soldTo)
    partners.push({
      entitlement_id: pk,
      tier: d.tier,
      account_id: d.account_id,
      contact_user_id: null,
      current_owner: 0,
      rank: d.tier_rank,
    });
  partners.sort((x, y) => (x.rank as number) - (y.rank as number));
  const lineItem: Row = {
    ...config,
    id: uuidv7(),
    entitlement_id: pk,
    role: "LINE_ITEM",
    position: 0,
    activation_id: key,
    id_generated: 0,
    state,
    fulfilled_count: 0,
    parent_line_item_id: null,
    order_id: null,
    order_line_number: null,
    description: null,
    created_at: now,
    updated_at: now,
  };
  const products = config.products.map((p, position) => ({
    line_item_id: lineItem.id,
    product_id: p.product_id,
    quantity: p.quantity,
    position,
  }));
  const m = masked(key);
  const event = (entitlementPk: unknown, ev: string, description: string): Row => ({
    id: uuidv7(),
    entitlement_id: entitlementPk,
    event: ev,
    at: now,
    user_id: actor.userId,
    user_label: actor.label,
    description,
  });
  const audit = (action: string, objectId: unknown, after: Row): Row => ({
    id: uuidv7(),
    at: now,
    actor_type: "token",
    actor_id: actor.userId,
    actor_label: actor.label,
    token_id: actor.tokenId,
    action,
    object_type: "entitlement",
    object_id: objectId,
    changes: JSON.stringify(Object.fromEntries(Object.entries(after).map(([k, v]) => [k, { before: null, after: v }]))),
    request_id: requestId,
    ip,
  });
  return {
    key,
    claim: {
      redeemed_at: now,
      redeemed_by: actor.userId,
      redeemed_by_label: actor.label,
      sold_to: soldTo,
      owner: null,
      entitlement_id: pk,
    },
    entitlement,
    partners,
    lineItem,
    products,
    count: { bulk_id: bulk.id as string, shard: (snap.key?.id as number) % SHARDS },
    events: [
      event(pk, "EVENT_CREATED", `Created by redeeming key ${m} of bulk entitlement ${bulk.entitlement_id}`),
      event(bulk.id, "EVENT_PROPERTY_CHANGED", `Key ${m} redeemed by ${soldTo}`),
    ],
    audits: [
      audit("entitlement.created", pk, {
        entitlementId: entitlement.entitlement_id,
        parentBulk: bulk.entitlement_id,
        soldTo,
        state,
      }),
      audit("key.redeemed", bulk.id, { key: m, soldTo, entitlement: pk }),
    ],
    // As Licensor's presenters write them: the key masked, the entitlement with its line item.
    domainEvents: [
      {
        id: `evt_${uuidv7().replaceAll("-", "")}`,
        type: "key.redeemed",
        occurred_at: now,
        subject_type: "key",
        subject_id: bulk.id,
        entitlement_id: pk,
        account_id: soldTo,
        request_id: requestId,
        payload: JSON.stringify({
          key: m,
          bulkEntitlement: { id: bulk.id, entitlementId: bulk.entitlement_id },
          entitlement: { id: pk, entitlementId: "…", activationIds: ["…"] },
          customer: { id: soldTo, name: account.name },
          owner: null,
        }),
      },
      {
        id: `evt_${uuidv7().replaceAll("-", "")}`,
        type: "entitlement.created",
        occurred_at: now,
        subject_type: "entitlement",
        subject_id: pk,
        entitlement_id: pk,
        account_id: soldTo,
        request_id: requestId,
        payload: JSON.stringify({
          id: pk,
          entitlementId: "…",
          kind: "SIMPLE",
          state,
          soldTo: { id: soldTo, name: account.name },
          shipToEmail: null,
          orderId: null,
          orderLineNumber: null,
          parentBulkId: bulk.id,
          channelPartners: partners.map((p) => ({ tier: p.tier, accountId: p.account_id })),
          lineItems: [{ id: lineItem.id, activationId: "…", state, products: config.products.map((x) => x.id) }],
          via: "key.redeemed",
        }),
      },
    ],
  };
}

/** The answer: the new entitlement with its partners and line item, serialized by JSON.stringify. */
function answer(w: Writes, snap: Snapshot): string {
  const config = snap.config as Row & { products: Row[] };
  return JSON.stringify({
    created: true,
    entitlement: {
      ...w.entitlement,
      key_count: 0,
      redeemed_count: 0,
      partners: w.partners,
      lineItems: [{ ...w.lineItem, products: config.products }],
    },
  });
}

interface Backend {
  token(hash: string): Promise<Row | undefined>;
  touchToken(id: string, now: string): Promise<void>;
  /** Counters, reads, plan and writes; null when the key could not be claimed. */
  /** `key` is the canonical form (canonicalKey()), as Licensor looks keys up. */
  redeem(actor: Actor, key: string, soldTo: string, ip: string, requestId: string): Promise<string | null>;
  close(): Promise<void>;
}

function guardValues(ip: string, soldTo: string) {
  const now = Date.now();
  const values: unknown[] = [`ip:${ip}`, Math.floor(now / WINDOW_MS) * WINDOW_MS, `account:${soldTo}`];
  if (RESERVE) values.push(`miss:ip:${ip}`, Math.floor(now / MISS_WINDOW_MS) * MISS_WINDOW_MS, `miss:account:${soldTo}`);
  return values;
}

/** The places a successful redemption gives back (`reserve` only). */
function releaseValues(guard: unknown[]) {
  return [guard[3], guard[5], guard[4]];
}

function checkGuard(rows: Row[]) {
  const locked = rows[0]?.locked_until as string | null | undefined;
  if (locked && Date.parse(locked) > Date.now()) throw new Error("locked out");
}

function sqliteBackend(file: string): Backend {
  const db = new SQLite(file);
  // The pragmas Licensor sets (db/connect.ts).
  db.pragma("journal_mode = WAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 15000");
  db.pragma("synchronous = NORMAL");
  // Checkpoints off the event loop, as Licensor's db/checkpointer.ts does: a worker thread with
  // its own connection checkpoints in PASSIVE mode every 100 ms; once the WAL is past 16,000
  // frames, redemptions wait (asynchronously) while the worker copies what is left, so the WAL
  // starts over; the main connection's automatic checkpoint is only a backstop. Inline, a
  // checkpoint's fsync would stall every request, and the floor would measure the disk.
  db.pragma("wal_autocheckpoint = 40000");
  const checkpointer = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     const db = new (require(workerData.driver))(workerData.file);
     const pass = () => { const t = performance.now(); const r = db.pragma("wal_checkpoint(PASSIVE)")[0]; return { log: r.log, ms: performance.now() - t }; };
     setInterval(() => {
       let r = pass();
       if (r.log < 16000) return;
       for (let i = 0; i < 3 && r.ms > 2; i++) r = pass();
       parentPort.postMessage("ready");
     }, 100);
     parentPort.on("message", () => { pass(); parentPort.postMessage("finished"); });`,
    { eval: true, workerData: { file, driver: require.resolve("better-sqlite3") } },
  );
  checkpointer.unref();
  let held: Promise<void> | null = null;
  let release = () => {};
  checkpointer.on("message", (m: string) => {
    if (process.env.BENCH_FLOOR_DEBUG) console.error(`${new Date().toISOString()} checkpointer ${m}`);
    if (m === "ready" && !held) {
      held = new Promise((resolve) => {
        release = resolve;
      });
      checkpointer.postMessage("finish");
    } else if (m === "finished") {
      held = null;
      release();
    }
  });
  type Runner = { get: (...a: unknown[]) => unknown; all: (...a: unknown[]) => unknown[]; run: (...a: unknown[]) => unknown };
  const cache = new Map<string, Runner>();
  /** A cached statement with $n parameters, bound in their order (a number may repeat). */
  const prepare = (text: string): Runner => {
    let r = cache.get(text);
    if (!r) {
      const { text: q, order } = forSqlite(text);
      const stmt = db.prepare(q);
      const bind = (args: unknown[]) => order.map((i) => args[i]);
      r = { get: (...a) => stmt.get(...bind(a)), all: (...a) => stmt.all(...bind(a)), run: (...a) => stmt.run(...bind(a)) };
      cache.set(text, r);
    }
    return r;
  };
  const write = (table: string, columns: readonly string[], rows: Row[]) =>
    prepare(insertSql(table, columns, rows.length)).run(...valuesOf(columns, rows));
  const redeem = db.transaction((actor: Actor, key: string, soldTo: string, ip: string, requestId: string) => {
    const guard = guardValues(ip, soldTo);
    checkGuard(prepare(GUARD_SQL).all(...guard) as Row[]);
    const k = prepare(KEY_SQL).get(key) as Row | undefined;
    const bulkId = k?.bulk_id;
    const config = bulkId ? (prepare(CONFIG_SQL).get(bulkId) as Row | undefined) : undefined;
    const snap: Snapshot = {
      account: (prepare(ACCOUNT_SQL).get(soldTo) as Row | undefined) ?? null,
      key: k ?? null,
      bulk: bulkId ? ((prepare(BULK_SQL).get(bulkId) as Row | undefined) ?? null) : null,
      config: config ? { ...config, products: prepare(PRODUCTS_SQL).all(config.id) as Row[] } : null,
      distributor: bulkId ? ((prepare(DISTRIBUTOR_SQL).get(bulkId) as Row | undefined) ?? null) : null,
      defaultIdTaken: k !== undefined && prepare(TAKEN_SQL).get(`${k.key}ENT`) !== undefined,
    };
    if (!snap.key || snap.key.status !== "UNREDEEMED" || !snap.bulk || !snap.config || !snap.account) return null;
    const w = plan(snap, actor, snap.key.key as string, soldTo, requestId, ip);
    const c = w.claim;
    const claimed = prepare(CLAIM_SQL).all(
      c.redeemed_at,
      c.redeemed_by,
      c.redeemed_by_label,
      c.sold_to,
      c.owner,
      c.entitlement_id,
      key,
    );
    if (claimed.length === 0) return null;
    write("entitlements", ENTITLEMENT_COLUMNS, [w.entitlement]);
    write("entitlement_partners", PARTNER_COLUMNS, w.partners);
    write("line_items", LINE_ITEM_COLUMNS, [w.lineItem]);
    if (w.products.length) write("line_item_products", PRODUCT_COLUMNS, w.products);
    prepare(COUNT_SQL).run(w.count.bulk_id, w.count.shard);
    write("entitlement_events", EVENT_COLUMNS, w.events);
    write("audit_events", AUDIT_COLUMNS, w.audits);
    write("events", DOMAIN_EVENT_COLUMNS, w.domainEvents);
    if (RESERVE) prepare(RELEASE_SQL).all(...releaseValues(guard));
    return answer(w, snap);
  });
  return {
    token: async (hash) => prepare(TOKEN_SQL).get(hash) as Row | undefined,
    touchToken: async (id, now) => {
      prepare("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2").run(now, id);
    },
    redeem: async (...args) => {
      while (held) await held;
      return redeem(...args);
    },
    close: async () => {
      await checkpointer.terminate();
      db.close();
    },
  };
}

function postgresBackend(url: string, poolSize: number): Backend {
  // Idle connections kept, as Licensor keeps them (server/src/db/connect.ts).
  const pool = new pg.Pool({ connectionString: url, max: poolSize, idleTimeoutMillis: 0 });
  pool.on("error", () => {});
  // Named statements: parsed and planned once per connection, as Licensor's hot queries are.
  const names = new Map<string, string>();
  const query = (text: string, values: unknown[]) => {
    let name = names.get(text);
    if (!name) {
      name = `floor_${crypto.createHash("sha1").update(text).digest("hex").slice(0, 16)}`;
      names.set(text, name);
    }
    return pool.query({ name, text, values });
  };
  /** The claim and every write in one statement (data-modifying CTEs): one round trip, one transaction. */
  const writeTexts = new Map<string, string>();
  const writeSql = (w: Writes) => {
    const shape = `${w.partners.length}|${w.products.length}|${w.events.length}|${w.audits.length}|${w.domainEvents.length}`;
    let text = writeTexts.get(shape);
    if (!text) {
      text = buildWriteSql(w);
      writeTexts.set(shape, text);
    }
    return text;
  };
  const buildWriteSql = (w: Writes) => {
    let n = 8; // $1–$7: the claim
    const part = (table: string, columns: readonly string[], rows: number, ret: string) => {
      const text = `${insertSql(table, columns, rows, n)} RETURNING ${ret}`;
      n += columns.length * rows;
      return text;
    };
    // No claim, no entitlement ID: the NOT NULL constraint fails the whole statement.
    const e = part("entitlements", ENTITLEMENT_COLUMNS, 1, "id").replace(
      /VALUES \(\$(\d+), \$(\d+),/,
      (_m, a, b) => `VALUES ($${a}, (SELECT $${b}::text FROM claimed),`,
    );
    return `WITH claimed AS (${CLAIM_SQL}),
e AS (${e}),
p AS (${part("entitlement_partners", PARTNER_COLUMNS, w.partners.length, "tier")}),
l AS (${part("line_items", LINE_ITEM_COLUMNS, 1, "id")}),
lp AS (${w.products.length ? part("line_item_products", PRODUCT_COLUMNS, w.products.length, "line_item_id") : "SELECT 1"}),
c AS (${COUNT_SQL.replace("$1, $2", `$${n++}, $${n++}`)} RETURNING shard),
ev AS (${part("entitlement_events", EVENT_COLUMNS, w.events.length, "id")}),
au AS (${part("audit_events", AUDIT_COLUMNS, w.audits.length, "id")}),
de AS (${part("events", DOMAIN_EVENT_COLUMNS, w.domainEvents.length, "seq")})
SELECT id FROM claimed`;
  };
  return {
    token: async (hash) => (await query(TOKEN_SQL, [hash])).rows[0],
    touchToken: async (id, now) => {
      await query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", [now, id]);
    },
    async redeem(actor, key, soldTo, ip, requestId) {
      const guard = guardValues(ip, soldTo);
      checkGuard((await query(GUARD_SQL, guard)).rows);
      const row = (await query(PG_SNAPSHOT_SQL, [key, soldTo])).rows[0] as Row;
      const snap: Snapshot = {
        account: row.account as Row | null,
        key: row.key as Row | null,
        bulk: row.bulk as Row | null,
        config: row.config as Snapshot["config"],
        distributor: row.distributor as Row | null,
        defaultIdTaken: Boolean(row.default_id_taken),
      };
      if (!snap.key || snap.key.status !== "UNREDEEMED" || !snap.bulk || !snap.config || !snap.account) return null;
      const w = plan(snap, actor, snap.key.key as string, soldTo, requestId, ip);
      const c = w.claim;
      const values = [
        c.redeemed_at,
        c.redeemed_by,
        c.redeemed_by_label,
        c.sold_to,
        c.owner,
        c.entitlement_id,
        key,
        ...valuesOf(ENTITLEMENT_COLUMNS, [w.entitlement]),
        ...valuesOf(PARTNER_COLUMNS, w.partners),
        ...valuesOf(LINE_ITEM_COLUMNS, [w.lineItem]),
        ...valuesOf(PRODUCT_COLUMNS, w.products),
        w.count.bulk_id,
        w.count.shard,
        ...valuesOf(EVENT_COLUMNS, w.events),
        ...valuesOf(AUDIT_COLUMNS, w.audits),
        ...valuesOf(DOMAIN_EVENT_COLUMNS, w.domainEvents),
      ];
      try {
        const r = await query(writeSql(w), values);
        if (r.rows.length === 0) return null;
      } catch (err) {
        if ((err as { code?: string }).code === "23502" || (err as { code?: string }).code === "23505") return null;
        throw err;
      }
      // Licensor gives the places back with a statement of its own, after the write.
      if (RESERVE) await query(RELEASE_SQL, releaseValues(guard));
      return answer(w, snap);
    },
    close: () => pool.end(),
  };
}

const target = process.env.FLOOR_DATABASE ?? "";
const backend = /^postgres(ql)?:\/\//.test(target)
  ? postgresBackend(target, Number(process.env.FLOOR_POOL_SIZE ?? "4"))
  : sqliteBackend(target);

const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");
let requests = 0;

/**
 * The webhook floor (bench/webhooks.ts): while targets are set (`POST /floor/webhooks` with
 * `{"urls": [...]}`, an empty list stops), each redemption's two events (`key.redeemed` and
 * `entitlement.created`, the new entitlement as its data) are signed per Standard Webhooks
 * (HMAC-SHA256 over `id.timestamp.body`) and POSTed to every target once the answer is sent, over
 * kept-alive connections: no retries, no order, nothing written, so the bare cost of sending them.
 * `GET /floor/webhooks` tells how many are in flight and sent.
 */
const hooks = {
  targets: [] as URL[],
  agent: new http.Agent({ keepAlive: true, maxSockets: 16 }),
  key: crypto.randomBytes(24),
  inFlight: 0,
  sent: 0,
  failed: 0,
};

function sendHooks(events: { type: string; data: string }[]) {
  for (const e of events) {
    const id = uuidv7();
    const at = new Date();
    const body = `{"type":${JSON.stringify(e.type)},"timestamp":"${at.toISOString()}","data":${e.data}}`;
    const signature = `v1,${crypto
      .createHmac("sha256", hooks.key)
      .update(`${id}.${Math.floor(at.getTime() / 1000)}.${body}`)
      .digest("base64")}`;
    for (const url of hooks.targets) {
      hooks.inFlight++;
      const done = (ok: boolean) => {
        hooks.inFlight--;
        if (ok) hooks.sent++;
        else hooks.failed++;
      };
      const req = http.request(
        url,
        {
          method: "POST",
          agent: hooks.agent,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            "webhook-id": id,
            "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
            "webhook-signature": signature,
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => done(res.statusCode === 200));
        },
      );
      req.on("error", () => done(false));
      req.end(body);
    }
  }
}

async function handle(req: http.IncomingMessage, body: string, res: http.ServerResponse) {
  if (req.url === "/floor/webhooks") {
    if (req.method === "POST") hooks.targets = (JSON.parse(body) as { urls: string[] }).urls.map((u) => new URL(u));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ inFlight: hooks.inFlight, sent: hooks.sent, failed: hooks.failed }));
    return;
  }
  if (req.method !== "POST" || req.url !== "/api/v1/redemptions") {
    res.writeHead(404).end();
    return;
  }
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  const t = m ? await backend.token(sha256(m[1] as string)) : undefined;
  const now = new Date().toISOString();
  if (!t || t.revoked_at || t.status !== "ACTIVE" || (t.expires_at && (t.expires_at as string) <= now)) {
    res.writeHead(401).end();
    return;
  }
  if (!t.last_used_at || Date.parse(now) - Date.parse(t.last_used_at as string) > TOUCH_EVERY_MS)
    await backend.touchToken(t.id as string, now);
  const input = JSON.parse(body) as { key: string; soldTo: string };
  const actor: Actor = { tokenId: t.id as string, userId: t.user_id as string, label: `${t.email} (token)` };
  const out = await backend.redeem(
    actor,
    canonicalKey(input.key),
    input.soldTo,
    req.socket.remoteAddress ?? "",
    `floor-${++requests}`,
  );
  if (out === null) {
    res.writeHead(409).end();
    return;
  }
  res.writeHead(201, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(out) });
  res.end(out);
  if (hooks.targets.length > 0)
    sendHooks([
      { type: "key.redeemed", data: JSON.stringify({ key: `${input.key.slice(0, 4)}…`, soldTo: input.soldTo }) },
      { type: "entitlement.created", data: out },
    ]);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    handle(req, Buffer.concat(chunks).toString("utf8"), res).catch((err) => {
      console.error(err);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  console.log(`listening ${typeof address === "object" && address ? address.port : 0}`);
});
process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  void backend.close().finally(() => process.exit(0));
});
