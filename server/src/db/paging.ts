import { type Expression, type ExpressionBuilder, type SelectQueryBuilder, type SqlBool, sql } from "kysely";
import { LIMITS } from "../../../common/src/limits.js";
import type { DateFilter, TextFilter } from "../domain/filters.js";
import { likePattern } from "../domain/filters.js";
import { errors } from "../errors.js";

export interface Page<T> {
  items: T[];
  /** Opaque; pass as `cursor` to get the next page. Null on the last page. */
  nextCursor: string | null;
}

export interface PageRequest {
  limit?: number | undefined;
  cursor?: string | undefined;
}

export function pageLimit(req: PageRequest): number {
  return Math.min(Math.max(req.limit ?? LIMITS.pageSizeDefault, 1), LIMITS.pageSizeMax);
}

export function encodeCursor(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString("base64url");
}

export function decodeCursor(cursor: string | undefined, arity: number): (string | number)[] | null {
  if (!cursor) return null;
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(v) && v.length === arity && v.every((x) => typeof x === "string" || typeof x === "number")) {
      return v;
    }
  } catch {
    // fall through to the error below
  }
  throw errors.validation("cursor", "is not a cursor returned by this list");
}

/**
 * Keyset condition "row comes after cursor" for an ordering over `cols` (all ascending or all
 * descending). Tuple comparison spelled out so both SQLite and PostgreSQL use the index.
 */
export function after(
  eb: ExpressionBuilder<any, any>,
  cols: string[],
  values: (string | number)[],
  dir: "asc" | "desc" = "asc",
): Expression<SqlBool> {
  const op = dir === "asc" ? ">" : "<";
  const ors: Expression<SqlBool>[] = [];
  for (let i = 0; i < cols.length; i++) {
    const ands: Expression<SqlBool>[] = [];
    for (let j = 0; j < i; j++) ands.push(eb(eb.ref(cols[j] as string), "=", values[j]));
    ands.push(eb(eb.ref(cols[i] as string), op, values[i]));
    ors.push(eb.and(ands));
  }
  return eb.or(ors);
}

/** Slices the extra row fetched to detect a next page and builds its cursor. */
export function toPage<R, T>(rows: R[], limit: number, key: (r: R) => (string | number)[], present: (r: R) => T): Page<T> {
  const more = rows.length > limit;
  const slice = more ? rows.slice(0, limit) : rows;
  const last = slice[slice.length - 1];
  return { items: slice.map(present), nextCursor: more && last ? encodeCursor(key(last)) : null };
}

/**
 * One page of a list ordered newest first by its time-ordered id column (`idCol`, e.g. "e.id"):
 * the keyset condition from the cursor, the order, one row more than the page to tell whether
 * another follows, and the cursor of the next page.
 */
export async function newestFirst<R extends { id: string }>(
  q: SelectQueryBuilder<any, any, R>,
  idCol: string,
  page: PageRequest,
): Promise<Page<R>> {
  const limit = pageLimit(page);
  const cur = decodeCursor(page.cursor, 1);
  const rows = await (cur ? q.where((eb) => after(eb, [idCol], cur, "desc")) : q)
    .orderBy(idCol, "desc")
    .limit(limit + 1)
    .execute();
  return toPage(
    rows,
    limit,
    (r) => [r.id],
    (r) => r,
  );
}

/** Case-insensitive text filter, the same on both databases. */
export function textMatch(eb: ExpressionBuilder<any, any>, col: string, f: TextFilter): Expression<SqlBool> {
  const pattern = likePattern(f);
  if (f.op === "EQUALS") return eb(sql`lower(${sql.ref(col)})`, "=", pattern.replace(/\\([\\%_])/g, "$1"));
  return sql<SqlBool>`lower(${sql.ref(col)}) like ${pattern} escape '\\'`;
}

export function dateMatch(eb: ExpressionBuilder<any, any>, col: string, f: DateFilter): Expression<SqlBool> {
  const parts: Expression<SqlBool>[] = [];
  if (f.from) parts.push(eb(eb.ref(col), ">=", f.from));
  if (f.to) parts.push(eb(eb.ref(col), "<", f.to));
  return eb.and(parts);
}
