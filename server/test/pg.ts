import pg from "pg";

/**
 * PostgreSQL for tests: set LICENSOR_TEST_PG_URL (an admin URL, e.g. postgres://postgres@127.0.0.1:5432/postgres).
 * With LICENSOR_REQUIRE_PG=1 (CI) a missing or unreachable server fails the run instead of skipping.
 */
export const PG_ADMIN_URL = process.env.LICENSOR_TEST_PG_URL || "";
export const PG_REQUIRED = process.env.LICENSOR_REQUIRE_PG === "1";

export function pgUrlFor(database: string): string {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function withPgAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Name of the migrated template database this run clones for every test. */
export const templateName = () => `licensor_tpl_${process.env.LICENSOR_TEST_RUN_ID ?? "local"}`;
