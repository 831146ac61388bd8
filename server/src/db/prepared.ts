import crypto from "node:crypto";
import { type Compilable, type CompiledQuery, PostgresAdapter, type QueryResult } from "kysely";
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
 */

const MARK = "\u0000licensor-prepared:";

/**
 * SQL texts compiled here for PostgreSQL, with a statement name: the connection pool runs them as
 * named (server-side prepared) statements, so each connection parses and plans them once. Only
 * these: their number is bounded, where arbitrary search queries would pile up in every backend.
 */
export const namedStatements = new Map<string, string>();
const cache = new Map<string, Prepared>();
const MAX_CACHED = 500;

type Leaf = string | number | boolean | null | bigint;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The values with each leaf replaced by its marker; undefined stays undefined (Kysely leaves such columns out). */
function markers(v: unknown, path: string, paths: string[]): unknown {
  if (Array.isArray(v)) return v.map((x, i) => markers(x, `${path}[${i}]`, paths));
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = markers(x, `${path}.${k}`, paths);
    return out;
  }
  if (v === undefined) {
    paths.push(`${path}?`);
    return undefined;
  }
  paths.push(path);
  return `${MARK}${path}`;
}

/** The values' shape: paths and array lengths, no values. Cheaper than building the markers. */
function shape(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(shape).join(",")}]`;
  if (isPlainObject(v)) {
    let out = "{";
    for (const k in v) out += `${k}:${shape(v[k])},`;
    return `${out}}`;
  }
  return v === undefined ? "?" : "";
}

function accessor(path: string): (string | number)[] {
  return (path.match(/\.[^.[]+|\[\d+\]/g) ?? []).map((part) =>
    part.startsWith("[") ? Number(part.slice(1, -1)) : part.slice(1),
  );
}

interface Prepared {
  compiled: CompiledQuery<unknown>;
  /** For each parameter, where its value sits in the values (null: a constant of the query). */
  accessors: ((string | number)[] | null)[];
}

/** The compiled SQL and bound values for `build` over `values`, compiled once per name, dialect and shape. */
export function compilePrepared<V, R>(
  db: Db | Trx,
  name: string,
  values: V,
  build: (db: Db | Trx, v: V) => Compilable<R>,
): CompiledQuery<R> {
  const dialect = db.getExecutor().adapter instanceof PostgresAdapter ? "pg" : "sqlite";
  const key = `${name}|${dialect}|${shape(values)}`;
  let prepared = cache.get(key);
  if (!prepared) {
    const paths: string[] = [];
    const compiled = build(db, markers(values, "", paths) as V).compile();
    // A marker must reach the SQL as a parameter, unchanged: a value computed from one inside the
    // builder (or inlined as a literal) would silently run with the wrong value.
    const known = new Set(paths);
    for (const p of compiled.parameters)
      if (typeof p === "string" && p.includes(MARK) && !(p.startsWith(MARK) && known.has(p.slice(MARK.length))))
        throw new Error(`prepared query ${name}: a value was derived from a placeholder; pass it as its own value`);
    if (compiled.sql.includes(MARK)) throw new Error(`prepared query ${name}: a placeholder was inlined into the SQL`);
    prepared = {
      compiled,
      accessors: compiled.parameters.map((p) =>
        typeof p === "string" && p.startsWith(MARK) ? accessor(p.slice(MARK.length)) : null,
      ),
    };
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
    cache.set(key, prepared);
    if (dialect === "pg" && !namedStatements.has(compiled.sql))
      namedStatements.set(compiled.sql, `licensor_${crypto.createHash("sha1").update(compiled.sql).digest("hex").slice(0, 20)}`);
  }
  const { compiled, accessors } = prepared;
  const parameters = accessors.map((acc, i) => {
    if (!acc) return compiled.parameters[i];
    let v: unknown = values;
    for (const k of acc) v = (v as Record<string | number, unknown>)[k];
    return v as Leaf;
  });
  return { ...(compiled as CompiledQuery<R>), parameters };
}

export function runPrepared<V, R>(
  db: Db | Trx,
  name: string,
  values: V,
  build: (db: Db | Trx, v: V) => Compilable<R>,
): Promise<QueryResult<R>> {
  return db.executeQuery<R>(compilePrepared(db, name, values, build));
}
