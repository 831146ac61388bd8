import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import SQLite from "better-sqlite3";
import { sql } from "kysely";
import pg from "pg";
import { systemContext } from "../server/src/actor.js";
import { accountCreator } from "../server/src/commands/accountCreator.js";
import { type DbHandle, type Dialect, migrateToLatest, openDatabase } from "../server/src/db/connect.js";
import { newId, nowIso } from "../server/src/util.js";

/**
 * Account creation through the real command (validation, policy, Kysely, one transaction with an
 * audit row) against a bare baseline writing the same two rows per account, each pair in its own
 * transaction, with prepared statements on the raw driver. Each side gets its own fresh,
 * migrated database, and the two run in alternating blocks so machine noise hits both alike.
 */

export interface AccountsResult {
  database: Dialect;
  n: number;
  commandOpsPerSec: number;
  baselineOpsPerSec: number;
  /** command ÷ baseline throughput: 1 means the command costs nothing over the bare inserts. */
  ratio: number;
  commandMs: number;
  baselineMs: number;
}

const WARMUP = 100;

/** The account each iteration creates; `prefix` keeps warm-up and measured rows apart. */
function accountInput(prefix: string, i: number) {
  return {
    id: `${prefix}-${String(i).padStart(6, "0")}`,
    name: `Bench Customer ${i}`,
    type: "CUSTOMER" as const,
    description: "created by bench/accounts.ts",
    address: { city: "Springfield", country: "US" },
  };
}

/** The same two rows the command writes: the account and its audit event with a comparable diff. */
function rawRows(prefix: string, i: number) {
  const a = accountInput(prefix, i);
  const now = nowIso();
  const account = [
    a.id,
    a.name,
    a.type,
    a.description,
    null,
    null,
    a.address.city,
    null,
    null,
    a.address.country,
    null,
    1,
    null,
    now,
    now,
  ];
  const after = {
    id: a.id,
    name: a.name,
    type: a.type,
    description: a.description,
    address: { city: a.address.city, country: a.address.country },
    visible: true,
    createdAt: now,
    updatedAt: now,
  };
  const changes = JSON.stringify(Object.fromEntries(Object.entries(after).map(([k, v]) => [k, { before: null, after: v }])));
  const audit = [newId(), now, "system", null, "system", null, "account.created", "account", a.id, changes, null, null];
  return { account, audit };
}

const INSERT_ACCOUNT = `INSERT INTO accounts (id, name, type, description, address1, address2, city, state, zipcode, country, region, visible, parent_id, created_at, updated_at)`;
const INSERT_AUDIT = `INSERT INTO audit_events (id, at, actor_type, actor_id, actor_label, token_id, action, object_type, object_id, changes, request_id, ip)`;
const placeholders = (n: number, pgStyle: boolean) =>
  `VALUES (${Array.from({ length: n }, (_, i) => (pgStyle ? `$${i + 1}` : "?")).join(", ")})`;

/** One side of the comparison: `op` creates account `i`; `count` reads back how many rows it wrote. */
interface Side {
  op(prefix: string, i: number): Promise<void> | void;
  count(): Promise<number> | number;
}

const BLOCK = 100;

/**
 * Warms both sides up, then alternates blocks of BLOCK creations between them, so a burst of load
 * from elsewhere on the machine lands on both rather than skewing the ratio. Checks both wrote
 * every row. Returns the milliseconds each side spent.
 */
async function interleaved(n: number, command: Side, baseline: Side): Promise<{ commandMs: number; baselineMs: number }> {
  for (let i = 0; i < WARMUP; i++) {
    await command.op("WARM", i);
    await baseline.op("WARM", i);
  }
  const spent = { commandMs: 0, baselineMs: 0 };
  for (let from = 0; from < n; from += BLOCK) {
    const to = Math.min(from + BLOCK, n);
    // Alternate which side goes first, so neither always follows the other's checkpoint.
    const order: ["commandMs" | "baselineMs", Side][] = [
      ["commandMs", command],
      ["baselineMs", baseline],
    ];
    if ((from / BLOCK) % 2) order.reverse();
    for (const [key, side] of order) {
      const start = process.hrtime.bigint();
      for (let i = from; i < to; i++) await side.op("BENCH", i);
      spent[key] += Number(process.hrtime.bigint() - start) / 1e6;
    }
  }
  for (const [name, side] of [
    ["command", command],
    ["baseline", baseline],
  ] as const) {
    const rows = await side.count();
    if (rows !== 2 * (n + WARMUP)) throw new Error(`${name} wrote ${rows} rows, expected ${2 * (n + WARMUP)}`);
  }
  return spent;
}

/** The real command through Kysely on an opened, migrated database. */
function commandSide(handle: DbHandle): Side {
  const ctx = systemContext();
  return {
    op: async (prefix, i) => {
      await accountCreator(handle.db, ctx, accountInput(prefix, i));
    },
    count: async () => {
      const { n } = await sql<{
        n: number | string;
      }>`SELECT (SELECT count(*) FROM accounts) + (SELECT count(*) FROM audit_events) AS n`
        .execute(handle.db)
        .then((r) => r.rows[0] as { n: number | string });
      return Number(n);
    },
  };
}

function result(database: Dialect, n: number, t: { commandMs: number; baselineMs: number }): AccountsResult {
  const commandOpsPerSec = (n * 1000) / t.commandMs;
  const baselineOpsPerSec = (n * 1000) / t.baselineMs;
  return {
    database,
    n,
    commandOpsPerSec: Math.round(commandOpsPerSec),
    baselineOpsPerSec: Math.round(baselineOpsPerSec),
    ratio: Math.round((commandOpsPerSec / baselineOpsPerSec) * 1000) / 1000,
    commandMs: Math.round(t.commandMs),
    baselineMs: Math.round(t.baselineMs),
  };
}

const COUNT_SQL = "SELECT (SELECT count(*) FROM accounts) + (SELECT count(*) FROM audit_events) AS n";

/** SQLite files in a temp directory, with the pragmas the server uses (WAL, synchronous=NORMAL). */
export async function benchSqlite(n: number): Promise<AccountsResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "licensor-bench-"));
  const handles: DbHandle[] = [];
  let raw: SQLite.Database | undefined;
  try {
    for (const file of ["command.sqlite", "baseline.sqlite"]) {
      const h = openDatabase({ dataDir: dir, sqliteFile: file });
      handles.push(h);
      await migrateToLatest(h.db);
    }
    // The baseline's schema was migrated through Kysely; close that and write with the bare driver.
    await handles.pop()?.close();
    const db = new SQLite(path.join(dir, "baseline.sqlite"));
    raw = db;
    db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    db.pragma("synchronous = NORMAL");
    const insAccount = db.prepare(`${INSERT_ACCOUNT} ${placeholders(15, false)}`);
    const insAudit = db.prepare(`${INSERT_AUDIT} ${placeholders(12, false)}`);
    const pair = db.transaction((r: ReturnType<typeof rawRows>) => {
      insAccount.run(...r.account);
      insAudit.run(...r.audit);
    });
    const baseline: Side = {
      op: (prefix, i) => {
        pair(rawRows(prefix, i));
      },
      count: () => (db.prepare(COUNT_SQL).get() as { n: number }).n,
    };
    return result("sqlite", n, await interleaved(n, commandSide(handles[0] as DbHandle), baseline));
  } finally {
    raw?.close();
    for (const h of handles) await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Two throwaway databases on the server named by `adminUrl`, dropped afterwards. */
export async function benchPostgres(n: number, adminUrl: string): Promise<AccountsResult> {
  const tag = crypto.randomBytes(4).toString("hex");
  const names = { command: `licensor_bench_${tag}_cmd`, baseline: `licensor_bench_${tag}_raw` };
  const urlFor = (db: string) => {
    const u = new URL(adminUrl);
    u.pathname = `/${db}`;
    return u.toString();
  };
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  let handle: DbHandle | undefined;
  let c: pg.Client | undefined;
  try {
    for (const name of Object.values(names)) await admin.query(`CREATE DATABASE ${name}`);
    const migrated = openDatabase({ databaseUrl: urlFor(names.baseline), dataDir: "." });
    await migrateToLatest(migrated.db);
    await migrated.close();
    handle = openDatabase({ databaseUrl: urlFor(names.command), dataDir: "." });
    await migrateToLatest(handle.db);

    const client = new pg.Client({ connectionString: urlFor(names.baseline) });
    c = client;
    await client.connect();
    const accountSql = `${INSERT_ACCOUNT} ${placeholders(15, true)}`;
    const auditSql = `${INSERT_AUDIT} ${placeholders(12, true)}`;
    const baseline: Side = {
      op: async (prefix, i) => {
        const r = rawRows(prefix, i);
        await client.query("BEGIN");
        try {
          // Named queries are prepared once per connection, like better-sqlite3's statements.
          await client.query({ name: "bench_account", text: accountSql, values: r.account });
          await client.query({ name: "bench_audit", text: auditSql, values: r.audit });
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK");
          throw err;
        }
      },
      count: async () => Number((await client.query<{ n: string }>(COUNT_SQL)).rows[0]?.n),
    };
    return result("postgres", n, await interleaved(n, commandSide(handle), baseline));
  } finally {
    await c?.end();
    await handle?.close();
    for (const name of Object.values(names)) await dropWhenFree(admin, name);
    await admin.end();
  }
}

/**
 * pg-pool's end() resolves before its sockets have closed, so `DROP … WITH (FORCE)` right after
 * it can kill a closing connection, whose error then surfaces as an unhandled pool 'error'. Wait
 * for the connections to go instead, forcing only as a last resort.
 */
async function dropWhenFree(admin: pg.Client, name: string) {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== "55006") throw err; // object_in_use: someone is still connected
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
