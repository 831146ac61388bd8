import crypto from "node:crypto";
import { migrateToLatest, openDatabase } from "../src/db/connect.js";
import { PG_ADMIN_URL, PG_REQUIRED, pgUrlFor, templateName, withPgAdmin } from "./pg.js";

/**
 * Once per run: migrate a PostgreSQL template database that each test clones into its own fresh
 * database (CREATE DATABASE … TEMPLATE is far faster than migrating each time).
 */
export async function setup() {
  process.env.LICENSOR_TEST_RUN_ID = crypto.randomBytes(4).toString("hex");
  if (!PG_ADMIN_URL) {
    if (PG_REQUIRED) throw new Error("LICENSOR_REQUIRE_PG=1 but LICENSOR_TEST_PG_URL is not set");
    console.warn("\n[licensor tests] PostgreSQL tests are NOT running: set LICENSOR_TEST_PG_URL to run them.\n");
    return;
  }
  const tpl = templateName();
  try {
    await withPgAdmin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${tpl}`);
      await c.query(`CREATE DATABASE ${tpl}`);
    });
  } catch (err) {
    throw new Error(`PostgreSQL at ${PG_ADMIN_URL} is not usable for tests: ${(err as Error).message}`);
  }
  const h = openDatabase({ databaseUrl: pgUrlFor(tpl), dataDir: "." });
  await migrateToLatest(h.db);
  await h.close();
}

export async function teardown() {
  if (!PG_ADMIN_URL) return;
  const tpl = templateName();
  await withPgAdmin(async (c) => {
    // Leftovers of crashed tests of this run, then the template itself.
    const { rows } = await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [
      `licensor_t_${process.env.LICENSOR_TEST_RUN_ID}_%`,
    ]);
    for (const r of rows) await c.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`);
    await c.query(`DROP DATABASE IF EXISTS ${tpl} WITH (FORCE)`);
  });
}
