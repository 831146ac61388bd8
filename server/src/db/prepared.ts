import crypto from "node:crypto";
import { type Compilable, type CompiledQuery, PostgresAdapter, type QueryResult } from "kysely";
import { executeWrite } from "./groupCommit.js";
import type { Db, Trx } from "./schema.js";

/**
 * Queries built once and run again with new values, for the hot paths. Kysely's builder is
 * immutable and walks the whole tree on every compile: for the redemption read (about fifty
 * columns in six subqueries) that was 0.9 ms a call, against 27 µs for SQLite to run it.
 *
 * The query is built from the values' shape with every value replaced by a marker, compiled, and
 * kept per name, dialect and shape; each run binds the real values where the markers were. The
 * values stay bound parameters, never SQL text. A shape is the set of value paths (with array
 * lengths), so one name may hold a few compiled forms (for instance one or two partner rows).
 *
 * On PostgreSQL, outside a transaction, a prepared query goes straight to the driver's pool as a
 * named statement ({@link registerPgPool}): Kysely's executor (connection provider, driver,
 * connection wrapper, a promise or two per layer) cost a redemption, four such queries, about as
 * much CPU as the driver itself.
 */

const MARK = "\u0000licensor-prepared:";

/**
 * SQL texts compiled here for PostgreSQL, with a statement name: the connection pool runs them as
 * named (server-side prepared) statements, so each connection parses and plans them once. Only
 * these: their number is bounded, where arbitrary search queries would pile up in every backend.
 */
export const namedStatements = new Map<string, string>();
/** Compiled forms by name, then dialect: a name holds a few shapes at most. */
const cache = new Map<string, { pg: Prepared[]; sqlite: Prepared[] }>();
let cached = 0;
const MAX_CACHED = 500;

/** What the fast path needs of a node-postgres pool: `query` with a named statement. */
export interface PgPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{
    command: string;
    rows: unknown[];
    rowCount: number | null;
  }>;
}
const pools = new WeakMap<Db, PgPool>();

/** The pool under a PostgreSQL `db`, so prepared queries outside a transaction skip Kysely's executor. */
export function registerPgPool(db: Db, pool: PgPool): void {
  pools.set(db, pool);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The values with each leaf replaced by its marker, the leaf's number in walk order; undefined
 * stays undefined (Kysely leaves such columns out) and takes no number. Walks as {@link fits}.
 */
function markers(v: unknown, next: { n: number }): unknown {
  if (Array.isArray(v)) return v.map((x) => markers(x, next));
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k in v) out[k] = markers(v[k], next);
    return out;
  }
  if (v === undefined) return undefined;
  return `${MARK}${next.n++}`;
}

/**
 * The values' shape: the paths and array lengths, no values. A leaf is where a value is bound;
 * an absent (undefined) value is part of the shape, as Kysely leaves its column out.
 */
type Shape =
  | { kind: "leaf" }
  | { kind: "absent" }
  | { kind: "list"; items: Shape[] }
  | { kind: "record"; keys: string[]; values: Shape[] };
const LEAF: Shape = { kind: "leaf" };
const ABSENT: Shape = { kind: "absent" };

/** The shape of `v`, walked as {@link markers} walks it. */
function shapeOf(v: unknown): Shape {
  if (Array.isArray(v)) return { kind: "list", items: v.map(shapeOf) };
  if (isPlainObject(v)) {
    const keys: string[] = [];
    const values: Shape[] = [];
    for (const k in v) {
      keys.push(k);
      values.push(shapeOf(v[k]));
    }
    return { kind: "record", keys, values };
  }
  return v === undefined ? ABSENT : LEAF;
}

/**
 * Whether `v` has `shape`, pushing its leaves onto `leaves` in walk order as it goes: one walk
 * finds the compiled form and gathers the values to bind, by position, with nothing allocated
 * but the leaves (a cache key built as a string cost a redemption ~20 KB of garbage).
 */
function fits(shape: Shape, v: unknown, leaves: unknown[]): boolean {
  switch (shape.kind) {
    case "leaf":
      if (v === undefined || (typeof v === "object" && v !== null)) return false;
      leaves.push(v);
      return true;
    case "absent":
      return v === undefined;
    case "list": {
      if (!Array.isArray(v) || v.length !== shape.items.length) return false;
      for (let i = 0; i < v.length; i++) if (!fits(shape.items[i] as Shape, v[i], leaves)) return false;
      return true;
    }
    case "record": {
      if (!isPlainObject(v)) return false;
      let i = 0;
      for (const k in v) {
        if (shape.keys[i] !== k || !fits(shape.values[i] as Shape, v[k], leaves)) return false;
        i++;
      }
      return i === shape.keys.length;
    }
  }
}

interface Prepared {
  shape: Shape;
  compiled: CompiledQuery<unknown>;
  /** For each parameter, the number of the leaf it takes (-1: a constant of the query). */
  slots: Int32Array;
  /** The statement's name on PostgreSQL. */
  name: string | null;
}

const isPg = (db: Db | Trx) => db.getExecutor().adapter instanceof PostgresAdapter;

function prepare<V, R>(
  db: Db | Trx,
  name: string,
  values: V,
  build: (db: Db | Trx, v: V) => Compilable<R>,
): { prepared: Prepared; leaves: unknown[] } {
  const pg = isPg(db);
  const leaves: unknown[] = [];
  let forms = cache.get(name);
  for (const form of forms ? (pg ? forms.pg : forms.sqlite) : []) {
    if (fits(form.shape, values, leaves)) return { prepared: form, leaves };
    leaves.length = 0;
  }
  const shape = shapeOf(values);
  fits(shape, values, leaves);
  const compiled = build(db, markers(values, { n: 0 }) as V).compile();
  // A marker must reach the SQL as a parameter, unchanged: a value computed from one inside the
  // builder (or inlined as a literal) would silently run with the wrong value.
  const slots = new Int32Array(compiled.parameters.length);
  compiled.parameters.forEach((p, i) => {
    const isMarker = typeof p === "string" && p.startsWith(MARK) && /^\d+$/.test(p.slice(MARK.length));
    if (isMarker && Number(p.slice(MARK.length)) < leaves.length) slots[i] = Number(p.slice(MARK.length));
    else if (typeof p === "string" && p.includes(MARK))
      throw new Error(`prepared query ${name}: a value was derived from a placeholder; pass it as its own value`);
    else slots[i] = -1;
  });
  if (compiled.sql.includes(MARK)) throw new Error(`prepared query ${name}: a placeholder was inlined into the SQL`);
  let statement: string | null = null;
  if (pg) {
    statement = namedStatements.get(compiled.sql) ?? null;
    if (!statement) {
      statement = `licensor_${crypto.createHash("sha1").update(compiled.sql).digest("hex").slice(0, 20)}`;
      namedStatements.set(compiled.sql, statement);
    }
  }
  const prepared: Prepared = { shape, compiled, slots, name: statement };
  if (cached >= MAX_CACHED) {
    // The oldest name goes, with its forms: the hot paths' names come back at their next run.
    const [oldest, its] = cache.entries().next().value as [string, { pg: Prepared[]; sqlite: Prepared[] }];
    cache.delete(oldest);
    cached -= its.pg.length + its.sqlite.length;
  }
  forms = cache.get(name);
  if (!forms) {
    forms = { pg: [], sqlite: [] };
    cache.set(name, forms);
  }
  (pg ? forms.pg : forms.sqlite).push(prepared);
  cached++;
  return { prepared, leaves };
}

/** The bound values in parameter order. */
function bind({ compiled, slots }: Prepared, leaves: unknown[]): unknown[] {
  const parameters = new Array(slots.length);
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i] as number;
    parameters[i] = slot < 0 ? compiled.parameters[i] : leaves[slot];
  }
  return parameters;
}

/** The compiled SQL and bound values for `build` over `values`, compiled once per name, dialect and shape. */
export function compilePrepared<V, R>(
  db: Db | Trx,
  name: string,
  values: V,
  build: (db: Db | Trx, v: V) => Compilable<R>,
): CompiledQuery<R> {
  const { prepared, leaves } = prepare(db, name, values, build);
  return { ...(prepared.compiled as CompiledQuery<R>), parameters: bind(prepared, leaves) };
}

/** Runs a prepared query: on PostgreSQL outside a transaction, on the driver's pool directly. */
export function runPrepared<V, R>(
  db: Db | Trx,
  name: string,
  values: V,
  build: (db: Db | Trx, v: V) => Compilable<R>,
): Promise<QueryResult<R>> {
  const pool = db.isTransaction ? undefined : pools.get(db as Db);
  const { prepared, leaves } = prepare(db, name, values, build);
  const parameters = bind(prepared, leaves);
  if (pool && prepared.name) return onPool<R>(pool, prepared.name, prepared.compiled.sql, parameters);
  return db.executeQuery<R>({ ...(prepared.compiled as CompiledQuery<R>), parameters });
}

/**
 * A prepared write: on SQLite outside a transaction it joins the group commit (executeWrite);
 * on PostgreSQL as {@link runPrepared}.
 */
export function runPreparedWrite<V, R>(
  db: Db,
  name: string,
  values: V,
  build: (db: Db | Trx, v: V) => Compilable<R>,
): Promise<{ rows: R[] }> {
  const pool = pools.get(db);
  if (pool) return runPrepared(db, name, values, build);
  return executeWrite(db, compilePrepared(db, name, values, build));
}

const WRITE_COMMANDS = new Set(["INSERT", "UPDATE", "DELETE", "MERGE"]);

async function onPool<R>(pool: PgPool, name: string, text: string, values: unknown[]): Promise<QueryResult<R>> {
  const r = await pool.query({ name, text, values });
  // As Kysely's PostgreSQL driver reports it: numAffectedRows for writes only.
  return WRITE_COMMANDS.has(r.command) && r.rowCount != null
    ? { rows: r.rows as R[], numAffectedRows: BigInt(r.rowCount) }
    : { rows: r.rows as R[] };
}
