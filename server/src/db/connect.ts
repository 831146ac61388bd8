import fs from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import {
  type DatabaseConnection,
  type Driver,
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  sql,
} from "kysely";
import pg from "pg";
import { Checkpointer } from "./checkpointer.js";
import { GroupCommit, registerGroupCommit } from "./groupCommit.js";
import { migrationProvider } from "./migrations/index.js";
import { namedStatements, registerPgPool } from "./prepared.js";
import type { Database } from "./schema.js";

export type Dialect = "sqlite" | "postgres";

export interface DbHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where the data lives, for logs: the SQLite file path or the PostgreSQL URL without password. */
  location: string;
  /** A connection for long bulk writes (key loads); see {@link BulkConnection}. */
  bulk: () => BulkConnection;
  close(): Promise<void>;
}

/**
 * Where a long bulk write runs. On PostgreSQL: the shared pool (a transaction takes its own
 * connection, other requests go on). On SQLite: the main connection, so other requests wait for
 * the load instead of failing on the single write lock. `raw` is the better-sqlite3 handle under
 * `db`, for prepared-statement loops where per-row speed matters.
 */
export interface BulkConnection {
  db: Kysely<Database>;
  raw: SQLite.Database | null;
  /**
   * SQLite: how many are waiting for the connection (queries queued behind whoever holds it, and
   * writes gathered for the next group commit). A staged load holds its transaction open across
   * chunks while this is 0 and commits as soon as it is not. Absent on PostgreSQL.
   */
  waiting?: () => number;
  /** SQLite: how many times anyone took the connection so far (a staged load tells others' use from its own). */
  acquisitions?: () => number;
  release(): Promise<void>;
}

export interface DbOptions {
  /** `postgres://…` selects PostgreSQL; otherwise SQLite in `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** SQLite file name inside dataDir; `:memory:` for throwaway databases. */
  sqliteFile?: string;
  poolSize?: number;
}

// PostgreSQL returns BIGINT/COUNT as strings by default; our counts fit in a JS number.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/** Opens the configured database. Does not migrate; call {@link migrateToLatest}. */
export function openDatabase(opts: DbOptions): DbHandle {
  if (opts.databaseUrl && /^postgres(ql)?:\/\//.test(opts.databaseUrl)) {
    // Idle connections are kept (pg's default closes them after 10 s): a request after a quiet spell
    // must not wait for a new backend and for every named statement to be parsed again. Measured in
    // the redemption benchmark: load that began after more than 10 s idle had 80 of its first
    // requests over 25 ms (up to 209 ms, the first 0.4 s); with connections kept, none at its start.
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10, idleTimeoutMillis: 0 });
    // An idle connection dropped by the server (restart, DROP DATABASE … FORCE) must not crash the
    // process; the pool replaces it and the next query reports any real problem.
    pool.on("error", (err) => {
      process.emitWarning(`PostgreSQL connection error on an idle client: ${err.message}`);
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: namingPool(pool) }) });
    registerPgPool(db, pool);
    pgPools.set(db, pool);
    return {
      db,
      dialect: "postgres",
      location: redactUrl(opts.databaseUrl),
      bulk: () => ({ db, raw: null, release: async () => {} }),
      close: () => db.destroy(),
    };
  }
  const file = opts.sqliteFile ?? "licensor.sqlite";
  let location = file;
  if (file !== ":memory:") {
    ensurePrivateDir(opts.dataDir);
    location = path.resolve(opts.dataDir, file);
    createPrivateFile(location);
  }
  const database = openSqlite(location);
  const cached = withStatementCache(database);
  const dialect = new WatchedSqliteDialect({ database: cached });
  const db = new Kysely<Database>({ dialect });
  const group = new GroupCommit(db, database, cached.prepare);
  registerGroupCommit(db, group);
  // SQLite has one writer. A load on a second connection would make every other write wait on
  // busy_timeout, which blocks the thread; on the main connection other requests queue behind the
  // load (asynchronously) instead, and nothing fails.
  const waiting = () => dialect.waiting() + group.waiting;
  const acquisitions = () => dialect.acquisitions();
  const bulk = (): BulkConnection => ({ db, raw: database, waiting, acquisitions, release: async () => {} });
  const checkpointer = file === ":memory:" ? null : new Checkpointer(location, db, database);
  const close = async () => {
    // The worker's connection first, so the main one is the last and folds the WAL in on close.
    await checkpointer?.stop();
    await db.destroy();
  };
  return { db, dialect: "sqlite", location, bulk, close };
}

/**
 * Kysely's SQLite dialect, counting who waits for its one connection (Kysely queues them on a
 * mutex it does not expose), so a key load can tell whether anyone waits for it to let go.
 */
class WatchedSqliteDialect extends SqliteDialect {
  private driver: WatchedSqliteDriver | null = null;
  constructor(private readonly config: SqliteDialectConfig) {
    super(config);
  }
  override createDriver(): Driver {
    this.driver = new WatchedSqliteDriver(this.config);
    return this.driver;
  }
  waiting(): number {
    return this.driver?.waiting ?? 0;
  }
  acquisitions(): number {
    return this.driver?.acquisitions ?? 0;
  }
}

class WatchedSqliteDriver extends SqliteDriver {
  waiting = 0;
  acquisitions = 0;
  override async acquireConnection(): Promise<DatabaseConnection> {
    this.acquisitions++;
    this.waiting++;
    try {
      return await super.acquireConnection();
    } finally {
      this.waiting--;
    }
  }
}

const pgPools = new WeakMap<Kysely<Database>, pg.Pool>();

/** Connections of the PostgreSQL pool under `db` (for metrics), or null on SQLite, which has no pool. */
export function poolUse(db: Kysely<Database>): { total: number; idle: number; waiting: number; max: number } | null {
  const pool = pgPools.get(db);
  if (!pool) return null;
  return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max ?? 10 };
}

/** The pool as Kysely sees it, running the hot queries as named statements ({@link namedStatements}). */
function namingPool(pool: pg.Pool) {
  return {
    async connect() {
      const client = await pool.connect();
      return {
        // Forwards both of Kysely's call shapes (SQL text with values, or a cursor object).
        query(q: any, values?: readonly unknown[]): any {
          const name = typeof q === "string" ? namedStatements.get(q) : undefined;
          if (name) return client.query({ name, text: q, values: values as unknown[] });
          return values === undefined ? client.query(q) : client.query(q, values as unknown[]);
        },
        release: () => client.release(),
      };
    },
    end: () => pool.end(),
  };
}

/**
 * The data folder holds the database, uploaded key files and exports — keys are secrets — so it is
 * created readable by its owner only (0700), whatever the umask. An existing folder is left as
 * its administrator set it.
 */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * The SQLite file is created 0600 before SQLite opens it (SQLite gives its -wal and -shm files the
 * database file's mode), and an existing one is narrowed to 0600: it was created 0644 before.
 */
function createPrivateFile(file: string): void {
  fs.closeSync(fs.openSync(file, "a", 0o600));
  try {
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  } catch {
    // Not ours to change (another owner): SQLite will say if it cannot open it.
  }
}

function openSqlite(location: string): SQLite.Database {
  const database = new SQLite(location);
  database.pragma("journal_mode = WAL");
  database.pragma("foreign_keys = ON");
  // Long enough to wait out a million-key load holding the write lock.
  database.pragma("busy_timeout = 15000");
  // WAL makes NORMAL durable against application crashes; only an OS crash can lose the last commit.
  database.pragma("synchronous = NORMAL");
  return database;
}

/**
 * Kysely calls prepare() for every query, and better-sqlite3 compiles the SQL each time: on a
 * redemption that was a sixth of the server's CPU. Compiled statements are kept by SQL text (least
 * recently used first out). A statement still iterating a stream is busy, so it gets a fresh one.
 */
export function withStatementCache(database: SQLite.Database, max = 1000) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string): SQLite.Statement {
      const hit = cache.get(sql);
      if (hit) {
        cache.delete(sql);
        if (!hit.busy) {
          cache.set(sql, hit);
          return hit;
        }
      }
      const stmt = database.prepare(sql);
      cache.set(sql, stmt);
      if (cache.size > max) cache.delete(cache.keys().next().value as string);
      return stmt;
    },
  };
}

/** Brings the schema to the newest migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error) {
    const msg = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${failed?.migrationName ?? "(unknown)"} failed: ${msg}`);
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

export async function pingDatabase(db: Kysely<Database>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://(unparsable url)";
  }
}
