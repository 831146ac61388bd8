/** Recognises constraint violations from either driver, so commands can word them for users. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

export function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === "23503" || code === "SQLITE_CONSTRAINT_FOREIGNKEY";
}

/**
 * A unique violation on `table.column`: PostgreSQL names the constraint (`<table>_<column>_key`
 * for column constraints), SQLite names the column in its message.
 */
export function isUniqueViolationOn(err: unknown, table: string, column: string): boolean {
  if (!isUniqueViolation(err)) return false;
  const e = err as { constraint?: string; message?: string; detail?: string };
  if (e.constraint) return e.constraint === `${table}_${column}_key` || (e.detail ?? "").includes(`(${column})`);
  return (e.message ?? "").includes(`${table}.${column}`);
}

/** A constraint violation as either driver reports it: what kind, on which table and columns, by which name. */
export interface Violation {
  kind: "unique" | "foreign" | "check" | "notNull";
  table: string | null;
  columns: string[];
  constraint: string | null;
  /**
   * Foreign keys on PostgreSQL: the other table — the one still referring to a row being removed
   * (`stillReferenced`), or the one missing the row referred to.
   */
  otherTable: string | null;
  stillReferenced: boolean;
}

const KINDS: Record<string, Violation["kind"]> = {
  "23505": "unique",
  SQLITE_CONSTRAINT_UNIQUE: "unique",
  SQLITE_CONSTRAINT_PRIMARYKEY: "unique",
  "23503": "foreign",
  SQLITE_CONSTRAINT_FOREIGNKEY: "foreign",
  "23514": "check",
  SQLITE_CONSTRAINT_CHECK: "check",
  "23502": "notNull",
  SQLITE_CONSTRAINT_NOTNULL: "notNull",
};

/**
 * Reads a constraint violation from a PostgreSQL error (table, constraint, `Key (cols)=…` detail)
 * or a SQLite one (`UNIQUE constraint failed: t.a, t.b`, `CHECK constraint failed: name`); null
 * for any other error. SQLite does not say which foreign key failed: table and columns stay empty.
 */
export function violationOf(err: unknown): Violation | null {
  const e = err as { code?: unknown; table?: string; constraint?: string; column?: string; detail?: string; message?: string };
  const kind = typeof e?.code === "string" ? KINDS[e.code] : undefined;
  if (!kind) return null;
  const v: Violation = { kind, table: null, columns: [], constraint: null, otherTable: null, stillReferenced: false };
  if (typeof e.code === "string" && e.code.startsWith("SQLITE_")) {
    const rest = (e.message ?? "").replace(/^.*constraint failed:\s*/i, "").trim();
    if (kind === "check") v.constraint = rest || null;
    else if (kind !== "foreign" && rest) {
      const cols = rest.split(/,\s*/).map((c) => c.split("."));
      v.table = cols[0]?.length === 2 ? (cols[0][0] as string) : null;
      v.columns = cols.map((c) => c[c.length - 1] as string);
    }
    return v;
  }
  v.table = e.table ?? null;
  v.constraint = e.constraint ?? null;
  const detail = e.detail ?? "";
  const key = /Key \(([^)]*)\)/.exec(detail);
  if (key?.[1]) v.columns = key[1].split(/,\s*/);
  if (kind === "notNull" && e.column) v.columns = [e.column];
  const ref = /(?:referenced from|not present in) table "([^"]+)"/.exec(detail);
  if (ref?.[1]) v.otherTable = ref[1];
  v.stillReferenced = /still referenced/.test(detail);
  return v;
}
