import { sql } from "kysely";
import { LATEST_MIGRATION } from "../migrations/index.js";
import type { Db } from "../schema.js";

/**
 * What operators read of the database: the figures `/metrics` reports at scrape time and the
 * readiness probe's one query. Every process reads the same shared truth, so a scrape of any
 * instance gives the cluster's queue and outbox.
 */

const counted = (rows: { k: string; n: number | string | bigint }[]) => rows.map((r) => ({ key: r.k, count: Number(r.n) }));

/** Jobs by state (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED…). */
export async function jobsByState(db: Db) {
  const rows = await db
    .selectFrom("jobs")
    .select(["state as k", db.fn.countAll<number>().as("n")])
    .groupBy("state")
    .execute();
  return counted(rows);
}

/** Outbox messages by status (queued, sent, failed…): email sends by outcome. */
export async function emailsByStatus(db: Db) {
  const rows = await db
    .selectFrom("email_messages")
    .select(["status as k", db.fn.countAll<number>().as("n")])
    .groupBy("status")
    .execute();
  return counted(rows);
}

/**
 * The readiness probe's query: reachable, and the schema at this build's newest migration (not
 * while another process is still migrating, nor on an older database). One indexed read.
 */
export async function schemaState(db: Db): Promise<"ready" | "migrating"> {
  const r = await sql<{ name: string | null }>`SELECT max(name) AS name FROM kysely_migration`.execute(db);
  const newest = r.rows[0]?.name ?? null;
  return newest !== null && newest >= LATEST_MIGRATION ? "ready" : "migrating";
}
