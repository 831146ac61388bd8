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
