import crypto from "node:crypto";
import path from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { type RunningServer, startServer, tempDir } from "../e2e/harness.js";
import { adminQuery, benchCatalog, pct, withDatabase } from "./setup.js";

/**
 * A bulk entitlement's report over HTTP (issue 15: ≤ 200 ms for 1,000,000 keys and 100,000
 * redemptions). The keys are written straight into the database with SQL (a million through the
 * API would take the run's whole budget): 1,000,000 keys loaded over 90 days with their key-ledger
 * rows, 90,000 of them redeemed over 60 days by 5,000 customers; then, through the API, two splits
 * of 50,000 keys to two resellers, and 5,000 more redemptions in each reseller's bulk entitlement
 * (SQL again). After an ANALYZE (PostgreSQL: VACUUM ANALYZE, as autovacuum would), the report
 * `GET /api/v1/reports/bulk-entitlements/:root` (30 days) is timed over HTTP on the built server,
 * sequentially, beside the bare SQL aggregate — the same reads (the subtree, its counters, the
 * ledger by day, redemptions by day, the top customers) with the bare driver in this process.
 *
 * `npm run build:server && BENCH_ONLY=report npx tsx bench/run.ts` (LICENSOR_TEST_PG_URL adds
 * PostgreSQL); BENCH_REPORT_KEYS, BENCH_REPORT_RUNS size it.
 */

export interface ReportBenchResult {
  benchmark: "report";
  database: "sqlite" | "postgres";
  keys: number;
  redemptions: number;
  runs: number;
  http: { p50Ms: number; p95Ms: number };
  bareSql: { p50Ms: number; p95Ms: number };
  /** HTTP p50 over the bare SQL p50. */
  ratio: number;
  setupSeconds: number;
  /** How SQLite / PostgreSQL runs the redemptions-by-day read (its plan). */
  plan: string;
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const DAY = 86_400_000;
const RESELLER_TIER = "bo.constants.partnertiernames.tier2";

interface Bare {
  query(text: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

function bareSqlite(file: string): Bare {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 10000");
  // PostgreSQL's numbered $n become SQLite's positional ?, each bound in the order it appears (a $n may appear twice).
  const cache = new Map<string, { s: Database.Statement; order: number[] }>();
  return {
    async query(text, values = []) {
      let c = cache.get(text);
      if (!c) {
        c = { s: db.prepare(text.replace(/\$\d+/g, "?")), order: [...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]) - 1) };
        cache.set(text, c);
      }
      const args = c.order.map((i) => values[i]);
      if (c.s.reader) return c.s.all(...args) as Record<string, unknown>[];
      c.s.run(...args);
      return [];
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
    async query(text, values = []) {
      return (await c.query(text, values)).rows;
    },
    async close() {
      await c.end();
    },
  };
}

/** The report's reads, as the repo makes them (server/src/db/repos/reports.ts), with the bare driver. */
async function bareReport(b: Bare, root: string, from: string, until: string) {
  const tree = await b.query(
    `WITH RECURSIVE tree (id) AS (
       SELECT id FROM entitlements WHERE id IN ($1) AND kind = 'BULK'
       UNION SELECT e.id FROM entitlements e JOIN tree ON e.split_from_id = tree.id WHERE e.kind = 'BULK')
     SELECT e.id, e.entitlement_id, e.split_from_id, e.key_count,
       e.redeemed_count + COALESCE((SELECT sum(c.redeemed) FROM key_redemption_counts c WHERE c.bulk_id = e.id), 0) AS redeemed,
       ep.account_id, a.name, t.display_name
     FROM tree JOIN entitlements e ON e.id = tree.id
     LEFT JOIN entitlement_partners ep ON ep.entitlement_id = e.id AND ep.current_owner = 1
     LEFT JOIN accounts a ON a.id = ep.account_id LEFT JOIN partner_tiers t ON t.name = ep.tier
     ORDER BY e.entitlement_id`,
    [root],
  );
  const ids = tree.map((r) => r.id as string);
  const list = ids.map((_, i) => `$${i + 1}`).join(", ");
  await b.query(
    `SELECT substr(at, 1, 10) AS day, bulk_id, kind, other_bulk_id, sum(count) AS n FROM key_movements
     WHERE bulk_id IN (${list}) GROUP BY substr(at, 1, 10), bulk_id, kind, other_bulk_id`,
    ids,
  );
  const n = ids.length;
  await b.query(
    `SELECT '0000-00-00' AS day, count(*) AS n FROM web_register_keys
     WHERE bulk_id IN (${list}) AND status = 'REDEEMED' AND redeemed_at < $${n + 1}
     UNION ALL
     SELECT substr(redeemed_at, 1, 10) AS day, count(*) AS n FROM web_register_keys
     WHERE bulk_id IN (${list}) AND status = 'REDEEMED' AND redeemed_at >= $${n + 1} AND redeemed_at < $${n + 2}
     GROUP BY substr(redeemed_at, 1, 10)`,
    [...ids, from, until],
  );
  await b.query(
    `SELECT t.sold_to, t.n, t.customers, t.total, a.name FROM (
       SELECT sold_to, count(*) AS n, count(*) OVER () AS customers, sum(count(*)) OVER () AS total
       FROM web_register_keys WHERE bulk_id IN (${list}) AND status = 'REDEEMED' AND redeemed_at >= $${n + 1} AND redeemed_at < $${n + 2}
       GROUP BY sold_to ORDER BY count(*) DESC, COALESCE(sold_to, '') LIMIT 10
     ) t LEFT JOIN accounts a ON a.id = t.sold_to ORDER BY t.n DESC, COALESCE(t.sold_to, '')`,
    [...ids, from, until],
  );
}

/** 1,000,000 keys of `bulk` over 90 days, 90,000 redeemed by 5,000 customers, the ledger and counters to match. */
async function fillKeys(b: Bare, database: "sqlite" | "postgres", bulk: string, keys: number, now: number) {
  const sqlite = database === "sqlite";
  const customers = 5000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const start = now - 90 * DAY;
  const redeemStart = now - 60 * DAY;
  if (sqlite) await b.query("BEGIN");
  const accounts = Array.from({ length: customers }, (_, i) => `BCUST-${String(i).padStart(5, "0")}`);
  for (let i = 0; i < customers; i += 500) {
    const part = accounts.slice(i, i + 500);
    await b.query(
      `INSERT INTO accounts (id, name, type, visible, created_at, updated_at) VALUES ${part.map((_, j) => `($${j * 2 + 1}, $${j * 2 + 2}, 'CUSTOMER', 1, '${iso(start)}', '${iso(start)}')`).join(", ")}`,
      part.flatMap((id) => [id, `Customer ${id.slice(6)}`]),
    );
  }
  // Key i: loaded on day i % 90; every tenth of the first 900,000 redeemed on day i % 60 by customer i % 5000.
  const seq = sqlite
    ? `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${keys}) SELECT i FROM s`
    : `SELECT i FROM generate_series(1, ${keys}) AS s(i)`;
  const pad = sqlite ? "printf('%08d', i)" : "lpad(i::text, 8, '0')";
  const day = (base: number, expr: string) =>
    sqlite
      ? `strftime('%Y-%m-%dT%H:%M:%fZ', ${base / 1000} + (${expr}) * 86400 + (i % 80000) * 0.5, 'unixepoch')`
      : `to_char(to_timestamp(${base / 1000} + (${expr}) * 86400 + (i % 80000) * 0.5) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const redeemed = "(i % 10 = 0 AND i <= 900000)";
  await b.query(
    `INSERT INTO web_register_keys (bulk_id, key, key_canon, status, created_at, redeemed_at, sold_to)
     SELECT '${bulk}', 'BK' || ${pad}, 'BK' || ${pad},
       CASE WHEN ${redeemed} THEN 'REDEEMED' ELSE 'UNREDEEMED' END,
       ${day(start, "i % 90")},
       CASE WHEN ${redeemed} THEN ${day(redeemStart, "i % 60")} ELSE NULL END,
       CASE WHEN ${redeemed} THEN 'BCUST-' || ${sqlite ? "printf('%05d', i % 5000)" : "lpad((i % 5000)::text, 5, '0')"} ELSE NULL END
     FROM (${seq}) s`,
  );
  const perDay = await b.query(
    `SELECT substr(created_at, 1, 10) AS day, count(*) AS n FROM web_register_keys WHERE bulk_id = $1 GROUP BY substr(created_at, 1, 10)`,
    [bulk],
  );
  for (const r of perDay)
    await b.query(
      "INSERT INTO key_movements (id, bulk_id, at, kind, count, other_bulk_id) VALUES ($1, $2, $3, 'LOADED', $4, NULL)",
      [crypto.randomUUID(), bulk, `${r.day}T00:00:00.000Z`, Number(r.n)],
    );
  const red = Number(
    (await b.query(`SELECT count(*) AS n FROM web_register_keys WHERE bulk_id = $1 AND status = 'REDEEMED'`, [bulk]))[0]?.n,
  );
  await b.query("UPDATE entitlements SET key_count = $1, redeemed_count = $2 WHERE id = $3", [keys, red, bulk]);
  if (sqlite) await b.query("COMMIT");
}

/** `count` unredeemed keys of `bulk` redeemed over the last 30 days by the first customers, the counter to match. */
async function redeemSome(b: Bare, database: "sqlite" | "postgres", bulk: string, count: number, now: number) {
  const ts =
    database === "sqlite"
      ? `strftime('%Y-%m-%dT%H:%M:%fZ', ${(now - 30 * DAY) / 1000} + (id % 30) * 86400, 'unixepoch')`
      : `to_char(to_timestamp(${(now - 30 * DAY) / 1000} + (id % 30) * 86400) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const cust = database === "sqlite" ? "printf('%05d', id % 50)" : "lpad((id % 50)::text, 5, '0')";
  await b.query(
    `UPDATE web_register_keys SET status = 'REDEEMED', redeemed_at = ${ts}, sold_to = 'BCUST-' || ${cust}
     WHERE id IN (SELECT id FROM web_register_keys WHERE bulk_id = $1 AND status = 'UNREDEEMED' ORDER BY id LIMIT ${count})`,
    [bulk],
  );
  await b.query("UPDATE entitlements SET redeemed_count = redeemed_count + $1 WHERE id = $2", [count, bulk]);
}

export async function benchReport(
  database: "sqlite" | "postgres",
  pgUrl: string,
  keys = Number(process.env.BENCH_REPORT_KEYS ?? 1_000_000),
  runs = Number(process.env.BENCH_REPORT_RUNS ?? 30),
): Promise<ReportBenchResult> {
  const suffix = crypto.randomBytes(4).toString("hex");
  const dbName = `licensor_bench_report_${suffix}`;
  const dataDir = tempDir("licensor-bench-report-");
  const env: Record<string, string> = { LOG_LEVEL: "warn" };
  if (database === "postgres") {
    await adminQuery(pgUrl, `CREATE DATABASE ${dbName}`);
    env.DATABASE_URL = withDatabase(pgUrl, dbName);
  }
  const serverOptions = { adminEmail: "bench@example.com", adminPassword: "correct horse battery staple", env, dataDir };
  let server: RunningServer | null = null;
  let bare: Bare | null = null;
  const t0 = performance.now();
  try {
    server = await startServer(serverOptions);
    const { call, newBulk, headers } = await benchCatalog(server.url);
    const root = await newBulk();
    await call("POST", "/api/v1/partner-tiers", { name: RESELLER_TIER, displayName: "Reseller", rank: 50 });
    for (const r of ["RES1", "RES2"]) {
      await call("POST", "/api/v1/accounts", { id: r, name: `Reseller ${r.slice(3)}`, type: "CHANNEL_PARTNER" });
      await call("POST", "/api/v1/accounts/DIST/related-accounts", { accountId: r });
    }
    const now = Date.now();
    bare = database === "sqlite" ? bareSqlite(path.join(dataDir, "licensor.sqlite")) : await barePg(env.DATABASE_URL as string);
    await fillKeys(bare, database, root.id, keys, now);
    const children: string[] = [];
    for (const r of ["RES1", "RES2"]) {
      const s = await call("POST", `/api/v1/entitlements/${root.id}/actions/split`, {
        targetAccountId: r,
        tier: RESELLER_TIER,
        count: Math.min(50_000, keys / 20),
      });
      if (!s.entitlement) throw new Error(`split failed: ${JSON.stringify(s)}`);
      children.push(s.entitlement.id);
    }
    for (const c of children) await redeemSome(bare, database, c, Math.min(5000, keys / 200), now);
    if (database === "sqlite") await bare.query("ANALYZE");
    else await bare.query("VACUUM ANALYZE");
    const setupSeconds = round((performance.now() - t0) / 1000);

    const redemptions = Number((await bare.query("SELECT count(*) AS n FROM web_register_keys WHERE status = 'REDEEMED'"))[0]?.n);
    const to = new Date(now).toISOString().slice(0, 10);
    const from = new Date(now - 29 * DAY).toISOString().slice(0, 10);
    const until = `${new Date(now + DAY).toISOString().slice(0, 10)}T00:00:00.000Z`;
    const url = `${server.url}/api/v1/reports/bulk-entitlements/${root.id}?from=${from}&to=${to}`;
    const getReport = async () => {
      const res = await fetch(url, { headers });
      const body = (await res.json()) as { totals?: { keys: number; redeemed: number } };
      if (res.status !== 200) throw new Error(`report answered ${res.status}: ${JSON.stringify(body)}`);
      return body;
    };
    const first = await getReport();
    if (first.totals?.keys !== keys || first.totals?.redeemed !== redemptions)
      throw new Error(`report totals ${JSON.stringify(first.totals)}, expected ${keys} keys and ${redemptions} redeemed`);
    const fromIso = `${from}T00:00:00.000Z`;
    for (let i = 0; i < 3; i++) {
      await getReport();
      await bareReport(bare, root.id, fromIso, until);
    }
    // Alternated, so a change in the machine's load falls on both.
    const http: number[] = [];
    const sql: number[] = [];
    for (let i = 0; i < runs; i++) {
      let s = performance.now();
      await getReport();
      http.push(performance.now() - s);
      s = performance.now();
      await bareReport(bare, root.id, fromIso, until);
      sql.push(performance.now() - s);
    }
    const planSql = `SELECT substr(redeemed_at, 1, 10) AS day, count(*) AS n FROM web_register_keys WHERE bulk_id IN ($1, $2, $3) AND status = 'REDEEMED' AND redeemed_at >= $4 AND redeemed_at < $5 GROUP BY substr(redeemed_at, 1, 10)`;
    const plan = (
      await bare.query(`${database === "sqlite" ? "EXPLAIN QUERY PLAN" : "EXPLAIN"} ${planSql}`, [
        root.id,
        ...children,
        fromIso,
        until,
      ])
    )
      .map((r) => String(r.detail ?? r["QUERY PLAN"] ?? JSON.stringify(r)))
      .join(" | ");
    const h = { p50Ms: round(pct(http, 50)), p95Ms: round(pct(http, 95)) };
    const b = { p50Ms: round(pct(sql, 50)), p95Ms: round(pct(sql, 95)) };
    return {
      benchmark: "report",
      database,
      keys,
      redemptions,
      runs,
      http: h,
      bareSql: b,
      ratio: round(h.p50Ms / b.p50Ms, 2),
      setupSeconds,
      plan,
    };
  } finally {
    await bare?.close();
    await server?.stop();
    if (database === "postgres") await adminQuery(pgUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}

export function reportReport(r: ReportBenchResult) {
  console.log(
    `report on ${r.database}: bulk entitlement with ${r.keys} keys, ${r.redemptions} redemptions, 2 resellers; ${r.runs} runs (setup ${r.setupSeconds} s)`,
  );
  console.log(
    `  GET /reports/bulk-entitlements/:id over HTTP  p50 ${r.http.p50Ms} ms  p95 ${r.http.p95Ms} ms  (target ≤ 200 ms)`,
  );
  console.log(`  bare SQL aggregate (same reads, bare driver)  p50 ${r.bareSql.p50Ms} ms  p95 ${r.bareSql.p95Ms} ms`);
  console.log(`  ratio HTTP/bare ${r.ratio}`);
  console.log(`  plan (redemptions by day): ${r.plan}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const pgUrl = process.env.LICENSOR_TEST_PG_URL || process.env.DATABASE_URL || "";
  const r = await benchReport("sqlite", pgUrl);
  reportReport(r);
  console.log(JSON.stringify(r));
  if (/^postgres(ql)?:\/\//.test(pgUrl)) {
    const p = await benchReport("postgres", pgUrl);
    reportReport(p);
    console.log(JSON.stringify(p));
  }
}
