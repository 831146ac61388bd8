import { sql } from "kysely";
import { ERROR_CODES } from "../../../common/src/errors.js";
import type { Db } from "../db/schema.js";
import { AppError } from "../errors.js";

/**
 * The per-address limit on password attempts outside the login route (the SOAP facade's HTTP Basic
 * and header credentials): as the login's route limit, 30 a minute per client address, but only
 * failures stay counted, so an integration's every request may carry its password. Each attempt
 * is counted by one atomic upsert before the password is checked (concurrent guesses cannot slip
 * past), and a success gives its count back. Counted in the database (`rate_counters`, beside the
 * route limits), so it holds across processes.
 */
export const PASSWORD_ATTEMPTS_PER_MINUTE = 30;
const WINDOW_MS = 60_000;

const bucketOf = (ip: string) => `password:${ip}`;

/** Counts one attempt from `ip`; refuses (429) when the address already used up its minute. */
export async function countPasswordAttempt(db: Db, ip: string): Promise<{ windowStart: number }> {
  const now = Date.now();
  const windowStart = Math.floor(now / WINDOW_MS) * WINDOW_MS;
  const row = await db
    .insertInto("rate_counters")
    .values({ bucket: bucketOf(ip), window_start: windowStart, count: 1 })
    .onConflict((oc) => oc.columns(["bucket", "window_start"]).doUpdateSet({ count: sql`rate_counters.count + 1` }))
    .returning("count")
    .executeTakeFirstOrThrow();
  if (Number(row.count) > PASSWORD_ATTEMPTS_PER_MINUTE) {
    const retry = Math.ceil((windowStart + WINDOW_MS - now) / 1000);
    throw new AppError(
      429,
      ERROR_CODES.rateLimited,
      "Too many attempts",
      `Too many failed password attempts from this address. Try again in ${retry} seconds.`,
      undefined,
      undefined,
      { "retry-after": String(retry) },
    );
  }
  return { windowStart };
}

/** Gives back the attempt a success counted: only failures use up the minute. */
export async function forgivePasswordAttempt(db: Db, ip: string, windowStart: number): Promise<void> {
  await db
    .updateTable("rate_counters")
    .set({ count: sql`count - 1` })
    .where("bucket", "=", bucketOf(ip))
    .where("window_start", "=", windowStart)
    .where("count", ">", 0)
    .execute();
}
