import crypto from "node:crypto";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { type RunningServer, startServer, tempDir } from "../e2e/harness.js";
import { adminQuery, benchCatalog, withDatabase } from "./setup.js";

/**
 * SOAP beside REST (issue 16: SOAP ≤ 1.5× REST): on one built server per database, the same work
 * through both interfaces, alternated round by round — 10,000 web register keys added to a bulk
 * entitlement in one synchronous request (SOAP createWebRegKey with processSync, REST
 * POST /keys/batch; both the same key loader), then all of them read back (SOAP getWebRegKeysQuery,
 * batchSize 1000, page by page; REST GET /keys at its largest page, 200, keyset-paged). Both
 * authenticate with the same API token (Bearer), so the ratio is the facade's cost (envelope
 * parsing, schema decoding, encoding), not password hashing. The floor: the bare driver writing the
 * same rows in one transaction and reading them back 1000 at a time, in this process.
 *
 * `npm run build:server && BENCH_ONLY=soap npx tsx bench/run.ts` (LICENSOR_TEST_PG_URL adds
 * PostgreSQL); BENCH_SOAP_KEYS (10,000 at most: one synchronous request), BENCH_SOAP_ROUNDS size it.
 */

const V4 = "urn:v4.webservices.operations.flexnet.com";
const PATH4 = "/flexnet/services/v4/EntitlementOrderService";
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

export interface SoapSide {
  addMs: number;
  pageMs: number;
}
export interface SoapBenchResult {
  benchmark: "soap";
  database: "sqlite" | "postgres";
  keys: number;
  rounds: number;
  soap: SoapSide;
  rest: SoapSide;
  floor: SoapSide;
  /** SOAP time over REST time (medians), add and page. */
  ratio: { add: number; page: number };
  /** Every round's figures, SOAP, REST and floor, in run order. */
  perRound: { soap: SoapSide[]; rest: SoapSide[]; floor: SoapSide[] };
}

/** A request as a client generated from FNO's WSDL sends it: every element qualified. */
function envelope(request: string, inner: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body><ns0:${request} xmlns:ns0="${V4}">${inner}</ns0:${request}></soap-env:Body></soap-env:Envelope>`;
}
const ident = (pk: string) => `<ns0:uniqueId>${pk}</ns0:uniqueId>`;

async function soapCall(base: string, token: string, request: string, inner: string): Promise<string> {
  const res = await fetch(`${base}${PATH4}`, {
    method: "POST",
    headers: { "content-type": "text/xml; charset=utf-8", soapaction: '""', authorization: `Bearer ${token}` },
    body: envelope(request, inner),
  });
  const body = await res.text();
  if (res.status !== 200 || !body.includes(">SUCCESS<"))
    throw new Error(`${request} answered ${res.status}: ${body.slice(0, 500)}`);
  return body;
}

/** `n` distinct keys of the listed kind (not the generated format), unique per side and round. */
const keysFor = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}-${String(i).padStart(6, "0")}`);

async function soapSide(base: string, token: string, bulk: string, keys: string[]): Promise<SoapSide & { read: number }> {
  let t = performance.now();
  await soapCall(
    base,
    token,
    "addWebRegKeyRequest",
    `<ns0:webRegKeyData><ns0:bulkEntitlement>${ident(bulk)}</ns0:bulkEntitlement><ns0:webRegKeys>${keys
      .map((k) => `<ns0:webRegKey>${k}</ns0:webRegKey>`)
      .join("")}</ns0:webRegKeys></ns0:webRegKeyData><ns0:processSync>true</ns0:processSync>`,
  );
  const addMs = performance.now() - t;
  t = performance.now();
  let read = 0;
  for (let page = 1; ; page++) {
    const body = await soapCall(
      base,
      token,
      "getWebRegKeysQueryRequest",
      `<ns0:bulkEntitlementIdentifier>${ident(bulk)}</ns0:bulkEntitlementIdentifier><ns0:batchSize>1000</ns0:batchSize><ns0:pageNumber>${page}</ns0:pageNumber>`,
    );
    const got = (body.match(/<[\w]+:webRegKey>/g) ?? []).length;
    read += got;
    if (got < 1000) break;
  }
  return { addMs, pageMs: performance.now() - t, read };
}

async function restSide(base: string, token: string, bulk: string, keys: string[]): Promise<SoapSide & { read: number }> {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  let t = performance.now();
  const res = await fetch(`${base}/api/v1/entitlements/${bulk}/keys/batch`, {
    method: "POST",
    headers,
    body: JSON.stringify({ keys }),
  });
  const report = (await res.json()) as { status?: string };
  if (res.status !== 200 || report.status !== "SUCCESS")
    throw new Error(`REST batch answered ${res.status}: ${JSON.stringify(report)}`);
  const addMs = performance.now() - t;
  t = performance.now();
  let read = 0;
  let cursor: string | null = null;
  do {
    const r = await fetch(`${base}/api/v1/entitlements/${bulk}/keys?limit=200${cursor ? `&cursor=${cursor}` : ""}`, { headers });
    const page = (await r.json()) as { items: unknown[]; nextCursor: string | null };
    read += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  return { addMs, pageMs: performance.now() - t, read };
}

interface Bare {
  addKeys(bulk: string, keys: string[]): Promise<void>;
  pageKeys(bulk: string): Promise<number>;
  close(): Promise<void>;
}

/** The floor: the same rows written in one transaction (multi-row INSERTs of 500) and read 1000 at a time by keyset. */
function bareSqlite(file: string): Bare {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 10000");
  const page = db.prepare(
    "SELECT id, key FROM web_register_keys WHERE bulk_id = ? AND load_id IS NULL AND id > ? ORDER BY id LIMIT 1000",
  );
  return {
    async addKeys(bulk, keys) {
      const now = new Date().toISOString();
      db.transaction(() => {
        for (let i = 0; i < keys.length; i += 500) {
          const part = keys.slice(i, i + 500);
          db.prepare(
            `INSERT INTO web_register_keys (bulk_id, key, key_canon, status, created_at) VALUES ${part.map(() => "(?, ?, ?, 'UNREDEEMED', ?)").join(", ")}`,
          ).run(...part.flatMap((k) => [bulk, k, k.replace(/-/g, ""), now]));
        }
        db.prepare("UPDATE entitlements SET key_count = key_count + ? WHERE id = ?").run(keys.length, bulk);
      })();
    },
    async pageKeys(bulk) {
      let last = 0;
      let read = 0;
      for (;;) {
        const rows = page.all(bulk, last) as { id: number }[];
        read += rows.length;
        if (rows.length < 1000) return read;
        last = (rows[rows.length - 1] as { id: number }).id;
      }
    },
    async close() {
      db.close();
    },
  };
}

async function barePg(url: string): Promise<Bare> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return {
    async addKeys(bulk, keys) {
      const now = new Date().toISOString();
      await c.query("BEGIN");
      for (let i = 0; i < keys.length; i += 500) {
        const part = keys.slice(i, i + 500);
        await c.query(
          `INSERT INTO web_register_keys (bulk_id, key, key_canon, status, created_at) VALUES ${part.map((_, j) => `($${j * 4 + 1}, $${j * 4 + 2}, $${j * 4 + 3}, 'UNREDEEMED', $${j * 4 + 4})`).join(", ")}`,
          part.flatMap((k) => [bulk, k, k.replace(/-/g, ""), now]),
        );
      }
      await c.query("UPDATE entitlements SET key_count = key_count + $1 WHERE id = $2", [keys.length, bulk]);
      await c.query("COMMIT");
    },
    async pageKeys(bulk) {
      let last = 0;
      let read = 0;
      for (;;) {
        const rows = (
          await c.query(
            "SELECT id, key FROM web_register_keys WHERE bulk_id = $1 AND load_id IS NULL AND id > $2 ORDER BY id LIMIT 1000",
            [bulk, last],
          )
        ).rows as { id: string }[];
        read += rows.length;
        if (rows.length < 1000) return read;
        last = Number((rows[rows.length - 1] as { id: string }).id);
      }
    },
    async close() {
      await c.end();
    },
  };
}

export async function benchSoap(
  database: "sqlite" | "postgres",
  pgUrl: string,
  keys = Math.min(10_000, Number(process.env.BENCH_SOAP_KEYS ?? 10_000)),
  rounds = Number(process.env.BENCH_SOAP_ROUNDS ?? 5),
): Promise<SoapBenchResult> {
  const suffix = crypto.randomBytes(4).toString("hex");
  const dbName = `licensor_bench_soap_${suffix}`;
  const dataDir = tempDir("licensor-bench-soap-");
  const env: Record<string, string> = { LOG_LEVEL: "warn" };
  if (database === "postgres") {
    await adminQuery(pgUrl, `CREATE DATABASE ${dbName}`);
    env.DATABASE_URL = withDatabase(pgUrl, dbName);
  }
  let server: RunningServer | null = null;
  let bare: Bare | null = null;
  try {
    server = await startServer({ adminEmail: "bench@example.com", adminPassword: "correct horse battery staple", env, dataDir });
    const { token, newBulk } = await benchCatalog(server.url);
    bare = database === "sqlite" ? bareSqlite(path.join(dataDir, "licensor.sqlite")) : await barePg(env.DATABASE_URL as string);
    const sides = { soap: [] as SoapSide[], rest: [] as SoapSide[], floor: [] as SoapSide[] };
    const base = server.url;
    // A warm-up of each side first (WSDL types, statement caches), not counted.
    for (let r = -1; r < rounds; r++) {
      const n = r < 0 ? Math.min(keys, 1000) : keys;
      // Alternated first in each round, so a change in the machine's load falls on both.
      const order = r % 2 === 0 ? (["soap", "rest"] as const) : (["rest", "soap"] as const);
      for (const side of order) {
        const bulk = (await newBulk()).id;
        const list = keysFor(`${side.toUpperCase()}${r + 1}${suffix}`, n);
        const m = side === "soap" ? await soapSide(base, token, bulk, list) : await restSide(base, token, bulk, list);
        if (m.read !== n) throw new Error(`${side} read ${m.read} keys back, expected ${n}`);
        if (r >= 0) sides[side].push({ addMs: round(m.addMs), pageMs: round(m.pageMs) });
      }
      const bulk = (await newBulk()).id;
      const list = keysFor(`BARE${r + 1}${suffix}`, n);
      let t = performance.now();
      await bare.addKeys(bulk, list);
      const addMs = performance.now() - t;
      t = performance.now();
      const read = await bare.pageKeys(bulk);
      if (read !== n) throw new Error(`floor read ${read} keys back, expected ${n}`);
      if (r >= 0) sides.floor.push({ addMs: round(addMs), pageMs: round(performance.now() - t) });
    }
    const med = (l: SoapSide[]): SoapSide => ({
      addMs: round(median(l.map((x) => x.addMs))),
      pageMs: round(median(l.map((x) => x.pageMs))),
    });
    const soap = med(sides.soap);
    const rest = med(sides.rest);
    return {
      benchmark: "soap",
      database,
      keys,
      rounds,
      soap,
      rest,
      floor: med(sides.floor),
      ratio: { add: round(soap.addMs / rest.addMs, 2), page: round(soap.pageMs / rest.pageMs, 2) },
      perRound: sides,
    };
  } finally {
    await bare?.close();
    await server?.stop();
    if (database === "postgres") await adminQuery(pgUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}

export function reportSoap(r: SoapBenchResult) {
  console.log(
    `soap on ${r.database}: ${r.keys} keys added in one synchronous request, then read back; median of ${r.rounds} rounds`,
  );
  const line = (what: string, s: SoapSide) =>
    console.log(`  ${what.padEnd(52)} add ${String(s.addMs).padStart(8)} ms   page ${String(s.pageMs).padStart(8)} ms`);
  line("SOAP createWebRegKey + getWebRegKeysQuery (1000/page)", r.soap);
  line("REST POST /keys/batch + GET /keys (200/page)", r.rest);
  line("bare driver floor (same rows, 1000/page)", r.floor);
  console.log(`  ratio SOAP/REST  add ${r.ratio.add}  page ${r.ratio.page}  (target ≤ 1.5)`);
}
