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
const cache = new Map<string, CompiledQuery<unknown>>();
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

function leafAt(root: unknown, path: string): Leaf {
  let v: unknown = root;
  for (const part of path.match(/\.[^.[]+|\[\d+\]/g) ?? []) {
    v = part.startsWith("[") ? (v as unknown[])[Number(part.slice(1, -1))] : (v as Record<string, unknown>)[part.slice(1)];
  }
  return v as Leaf;
}

/** The compiled SQL and bound values for `build` over `values`, compiled once per name, dialect and shape. */
export function compilePrepared<V, R>(
  db: Db | Trx,
  name: string,
  values: V,
  build: (db: Db | Trx, v: V) => Compilable<R>,
): CompiledQuery<R> {
  const paths: string[] = [];
  const marked = markers(values, "", paths) as V;
  const dialect = db.getExecutor().adapter instanceof PostgresAdapter ? "pg" : "sqlite";
  const key = `${name}|${dialect}|${paths.join(",")}`;
  let compiled = cache.get(key) as CompiledQuery<R> | undefined;
  if (!compiled) {
    compiled = build(db, marked).compile();
    // A marker must reach the SQL as a parameter, unchanged: a value computed from one inside the
    // builder (or inlined as a literal) would silently run with the wrong value.
    const known = new Set(paths);
    for (const p of compiled.parameters)
      if (typeof p === "string" && p.includes(MARK) && !(p.startsWith(MARK) && known.has(p.slice(MARK.length))))
        throw new Error(`prepared query ${name}: a value was derived from a placeholder; pass it as its own value`);
    if (compiled.sql.includes(MARK)) throw new Error(`prepared query ${name}: a placeholder was inlined into the SQL`);
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
    cache.set(key, compiled);
    if (dialect === "pg" && !namedStatements.has(compiled.sql))
      namedStatements.set(compiled.sql, `licensor_${crypto.createHash("sha1").update(compiled.sql).digest("hex").slice(0, 20)}`);
  }
  const parameters = compiled.parameters.map((p) =>
    typeof p === "string" && p.startsWith(MARK) ? leafAt(values, p.slice(MARK.length)) : p,
  );
  return { ...compiled, parameters };
}

export function runPrepared<V, R>(
  db: Db | Trx,
  name: string,
  values: V,
  build: (db: Db | Trx, v: V) => Compilable<R>,
): Promise<QueryResult<R>> {
  return db.executeQuery<R>(compilePrepared(db, name, values, build));
}
