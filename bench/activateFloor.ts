import crypto from "node:crypto";
import http from "node:http";
import SQLite from "better-sqlite3";
import pg from "pg";
import { v7 as uuidv7 } from "uuid";

/**
 * The floor for `bench/activate.ts`: a bare `node:http` server (no framework, no validation, no
 * policies, no problem details) answering POST /api/v1/activations with the database work an
 * activation does, through the bare driver, on a copy of the benchmark's own database. Per
 * activation: the token by its hash (with the membership check), then in one transaction the line
 * item with its entitlement and license model, the owners, the copies taken by the same
 * conditional UPDATE, the product with its features, the publisher's name, and the inserts of the
 * fulfillment, its host row and the audit row; the claims are signed with Ed25519 (JSON, base64url,
 * `crypto.sign`; the key is made at start, not read from the database). It answers 201 with the
 * fulfillment's ID and the signed license.
 *
 * SQLite: one synchronous transaction per activation on one connection, Licensor's pragmas (a
 * benchmark's few thousand activations stay under the WAL size at which Licensor's checkpointer
 * would act). PostgreSQL: a pool of the same size as Licensor's, BEGIN … COMMIT per activation.
 *
 * Run: `tsx bench/activateFloor.ts` with FLOOR_DATABASE (a SQLite file path or a postgres:// URL)
 * and FLOOR_POOL_SIZE; it prints `listening <port>`.
 */

type Row = Record<string, unknown>;

const TOKEN_SQL = `SELECT t.id, t.expires_at, t.revoked_at, u.id AS user_id, u.email, u.status
FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN accounts a ON a.id = t.account_id
WHERE t.token_hash = $1
  AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = t.user_id AND r.account_id = t.account_id)`;
const TARGET_SQL = `SELECT li.*, e.id AS entitlement_pk, e.entitlement_id AS entitlement_public_id, e.kind, e.state AS entitlement_state,
  e.ship_to_email AS entitlement_ship_to_email, e.ship_to_address AS entitlement_ship_to_address,
  lm.name AS lm_name, lm.model_type AS lm_type, lm.technology AS lm_technology, lm.attributes AS lm_attributes
FROM line_items li JOIN entitlements e ON e.id = li.entitlement_id LEFT JOIN license_models lm ON lm.id = li.license_model_id
WHERE li.activation_id = $1 AND li.role = 'LINE_ITEM'`;
const OWNERS_SQL = `SELECT DISTINCT account_id FROM entitlement_partners
WHERE entitlement_id = $1 AND (current_owner = 1 OR tier = 'bo.constants.partnertiernames.endcustomer')`;
const TAKE_SQL = `UPDATE line_items SET fulfilled_count = fulfilled_count + $1
WHERE id = $2 AND fulfilled_count + $1 <= number_of_copies AND state IN ('DEPLOYED', 'TEST')`;
const PRODUCT_SQL = `SELECT p.id, p.name, p.version FROM line_item_products lp JOIN products p ON p.id = lp.product_id
WHERE lp.line_item_id = $1 ORDER BY lp.position LIMIT 1`;
const FEATURES_SQL = "SELECT name, version, count FROM product_features WHERE product_id = $1 ORDER BY position";
const PUBLISHER_SQL = "SELECT name FROM accounts WHERE type = 'PUBLISHER' ORDER BY created_at LIMIT 1";
const FULFILLMENT_COLUMNS = [
  "id",
  "fulfillment_id",
  "line_item_id",
  "entitlement_pk",
  "entitlement_id",
  "activation_id",
  "type",
  "state",
  "source",
  "product_name",
  "product_version",
  "license_model_id",
  "license_model_name",
  "license_model_type",
  "technology",
  "features",
  "hosts",
  "count",
  "start_date",
  "expiration_date",
  "version_date",
  "attributes",
  "ship_to_email",
  "ship_to_address",
  "send_email",
  "parent_id",
  "kid",
  "license",
  "reason",
  "policy_overridden",
  "request_nonce",
  "fulfilled_at",
  "fulfilled_by",
  "fulfilled_by_user_id",
  "updated_at",
] as const;
const HOST_COLUMNS = ["fulfillment_id", "position", "line_item_id", "host_type", "normalized", "active"] as const;
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
const insertSql = (table: string, columns: readonly string[]) =>
  `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(", ")})`;
const FULFILLMENT_SQL = insertSql("fulfillments", FULFILLMENT_COLUMNS);
const HOST_SQL = insertSql("fulfillment_hosts", HOST_COLUMNS);
const AUDIT_SQL = insertSql("audit_events", AUDIT_COLUMNS);
const values = (columns: readonly string[], r: Row) => columns.map((c) => r[c] ?? null);

const { privateKey, publicKey } = crypto.generateKeyPairSync("ed25519");
const kid = crypto
  .createHash("sha256")
  .update(publicKey.export({ format: "der", type: "spki" }))
  .digest("base64url");
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64url");
const header = b64(JSON.stringify({ alg: "EdDSA", kid, typ: "licensor-license+jws" }));
const day = () => new Date().toISOString().slice(0, 10);

interface Actor {
  tokenId: string;
  userId: string;
  label: string;
}
interface Input {
  activationId: string;
  hosts: { type?: string; id: string }[];
}

/** Reads of one activation, inside its transaction, then its writes: the same for both drivers. */
interface Tx {
  get(text: string, args: unknown[]): Promise<Row | undefined> | Row | undefined;
  all(text: string, args: unknown[]): Promise<Row[]> | Row[];
  run(text: string, args: unknown[]): Promise<number> | number;
}

async function activate(tx: Tx, actor: Actor, input: Input, requestId: string): Promise<Row | null> {
  const t = await tx.get(TARGET_SQL, [input.activationId]);
  if (!t || t.kind !== "SIMPLE") return null;
  await tx.all(OWNERS_SQL, [t.entitlement_pk]);
  const hosts = input.hosts.map((h) => ({ type: h.type ?? "STRING", id: h.id.trim() }));
  const count = hosts.length;
  if ((await tx.run(TAKE_SQL, [count, t.id])) === 0) return null;
  const p = await tx.get(PRODUCT_SQL, [t.id]);
  if (!p) return null;
  const features = (await tx.all(FEATURES_SQL, [p.id])) as { name: string; version: string; count: number | null }[];
  const issuer = ((await tx.get(PUBLISHER_SQL, [])) as Row | undefined)?.name ?? "Licensor";
  const now = new Date().toISOString();
  const fid = `FID_${crypto.randomBytes(10).toString("hex").toUpperCase()}`;
  const start = (t.start_date as string | null) ?? day();
  const claims = {
    activationId: t.activation_id,
    attributes: {},
    count,
    entitlementId: t.entitlement_public_id,
    expiry: t.expiration_date ?? null,
    features: features.map((f) => ({ count: null, name: f.name, version: f.version })),
    format: "licensor-license/1",
    fulfillmentId: fid,
    hosts,
    issuedAt: now,
    issuer,
    licenseModel: { name: t.lm_name, type: t.lm_type },
    product: { name: p.name, version: p.version },
    start,
    versionDate: t.version_date ?? null,
  };
  const input64 = `${header}.${b64(JSON.stringify(claims))}`;
  const license = `${input64}.${crypto.sign(null, Buffer.from(input64, "ascii"), privateKey).toString("base64url")}`;
  const f: Row = {
    id: uuidv7(),
    fulfillment_id: fid,
    line_item_id: t.id,
    entitlement_pk: t.entitlement_pk,
    entitlement_id: t.entitlement_public_id,
    activation_id: t.activation_id,
    type: "MASTER",
    state: "ACTIVE",
    source: "ONLINE",
    product_name: p.name,
    product_version: p.version,
    license_model_id: t.license_model_id,
    license_model_name: t.lm_name,
    license_model_type: t.lm_type,
    technology: t.lm_technology,
    features: JSON.stringify(features),
    hosts: JSON.stringify(hosts),
    count,
    start_date: start,
    expiration_date: t.expiration_date,
    version_date: t.version_date,
    attributes: "{}",
    ship_to_email: t.entitlement_ship_to_email,
    ship_to_address: t.entitlement_ship_to_address,
    send_email: 0,
    kid,
    license,
    policy_overridden: 0,
    fulfilled_at: now,
    fulfilled_by: actor.label,
    fulfilled_by_user_id: actor.userId,
    updated_at: now,
  };
  await tx.run(FULFILLMENT_SQL, values(FULFILLMENT_COLUMNS, f));
  for (const [position, h] of hosts.entries())
    await tx.run(
      HOST_SQL,
      values(HOST_COLUMNS, {
        fulfillment_id: f.id,
        position,
        line_item_id: t.id,
        host_type: h.type,
        normalized: h.id,
        active: 1,
      }),
    );
  const audit: Row = {
    id: uuidv7(),
    at: now,
    actor_type: "token",
    actor_id: actor.userId,
    actor_label: actor.label,
    token_id: actor.tokenId,
    action: "fulfillment.created",
    object_type: "fulfillment",
    object_id: fid,
    changes: JSON.stringify({ after: { fulfillmentId: fid, activationId: t.activation_id, hosts, count } }),
    request_id: requestId,
    ip: "127.0.0.1",
  };
  await tx.run(AUDIT_SQL, values(AUDIT_COLUMNS, audit));
  return { fulfillmentId: fid, licenseFile: license };
}

interface Backend {
  token(hash: string): Promise<Row | undefined>;
  activate(actor: Actor, input: Input, requestId: string): Promise<Row | null>;
  close(): Promise<void>;
}

function sqliteBackend(file: string): Backend {
  const db = new SQLite(file);
  db.pragma("journal_mode = WAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 15000");
  db.pragma("synchronous = NORMAL");
  db.pragma("wal_autocheckpoint = 40000");
  const cache = new Map<string, SQLite.Statement>();
  const stmt = (text: string) => {
    let s = cache.get(text);
    if (!s) {
      s = db.prepare(text.replace(/\$\d+/g, "?"));
      cache.set(text, s);
    }
    return s;
  };
  // `$1` may repeat (TAKE_SQL): better-sqlite3 binds `?` by position, so spell the values out.
  const bind = (text: string, args: unknown[]) => [...text.matchAll(/\$(\d+)/g)].map((m) => args[Number(m[1]) - 1]);
  let turn: Promise<void> = Promise.resolve();
  const tx: Tx = {
    get: (text, args) => stmt(text).get(...bind(text, args)) as Row | undefined,
    all: (text, args) => stmt(text).all(...bind(text, args)) as Row[],
    run: (text, args) => stmt(text).run(...bind(text, args)).changes,
  };
  return {
    token: async (hash) => tx.get(TOKEN_SQL, [hash]) as Row | undefined,
    activate: (actor, input, requestId) => {
      // One connection: activations take turns (the shared code awaits between statements, where
      // another request could otherwise begin inside this one's transaction).
      const run = async () => {
        db.exec("BEGIN IMMEDIATE");
        try {
          const out = await activate(tx, actor, input, requestId);
          db.exec(out ? "COMMIT" : "ROLLBACK");
          return out;
        } catch (err) {
          db.exec("ROLLBACK");
          throw err;
        }
      };
      const next = turn.then(run);
      turn = next.then(
        () => {},
        () => {},
      );
      return next;
    },
    close: async () => {
      db.close();
    },
  };
}

function postgresBackend(url: string, poolSize: number): Backend {
  // Idle connections kept, as Licensor keeps them (server/src/db/connect.ts).
  const pool = new pg.Pool({ connectionString: url, max: poolSize, idleTimeoutMillis: 0 });
  pool.on("error", () => {});
  const names = new Map<string, string>();
  const named = (text: string) => {
    let name = names.get(text);
    if (!name) {
      name = `a${names.size}`;
      names.set(text, name);
    }
    return name;
  };
  return {
    token: async (hash) => (await pool.query({ name: named(TOKEN_SQL), text: TOKEN_SQL, values: [hash] })).rows[0],
    activate: async (actor, input, requestId) => {
      const c = await pool.connect();
      const q = (text: string, args: unknown[]) => c.query({ name: named(text), text, values: args });
      try {
        await c.query("BEGIN");
        const out = await activate(
          {
            get: async (t, a) => (await q(t, a)).rows[0],
            all: async (t, a) => (await q(t, a)).rows,
            run: async (t, a) => (await q(t, a)).rowCount ?? 0,
          },
          actor,
          input,
          requestId,
        );
        await c.query(out ? "COMMIT" : "ROLLBACK");
        return out;
      } catch (err) {
        await c.query("ROLLBACK");
        throw err;
      } finally {
        c.release();
      }
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

async function handle(req: http.IncomingMessage, body: string, res: http.ServerResponse) {
  if (req.method !== "POST" || req.url !== "/api/v1/activations") {
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
  const actor: Actor = { tokenId: t.id as string, userId: t.user_id as string, label: `${t.email} (token)` };
  const out = await backend.activate(actor, JSON.parse(body) as Input, `floor-${++requests}`);
  if (!out) {
    res.writeHead(409).end();
    return;
  }
  const text = JSON.stringify(out);
  res.writeHead(201, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
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
