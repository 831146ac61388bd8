import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import { sql } from "kysely";
import { executeWrite } from "../db/groupCommit.js";
import { compilePrepared } from "../db/prepared.js";
import type { Db } from "../db/schema.js";

/**
 * A store for @fastify/rate-limit that counts in the database (`rate_counters`, the table the
 * redemption limits use), so a route's per-IP limit holds across every server process rather
 * than per process (two processes used to allow 30 + 30 logins a minute). Fixed windows: one
 * atomic upsert-and-count per request.
 */
export function databaseRateLimitStore(db: Db): FastifyRateLimitStoreCtor {
  class DatabaseStore implements FastifyRateLimitStore {
    constructor(private readonly prefix = "route:") {}

    incr(key: string, cb: (err: Error | null, res?: { current: number; ttl: number }) => void, timeWindow?: number): void {
      const windowMs = timeWindow && timeWindow > 0 ? timeWindow : 60_000;
      const now = Date.now();
      const windowStart = Math.floor(now / windowMs) * windowMs;
      const values = { row: { bucket: `${this.prefix}${key}`, window_start: windowStart, count: 1 } };
      const q = compilePrepared(db, "ratelimit.incr", values, (d, v) =>
        d
          .insertInto("rate_counters")
          .values(v.row)
          .onConflict((oc) => oc.columns(["bucket", "window_start"]).doUpdateSet({ count: sql`rate_counters.count + 1` }))
          .returning("count"),
      );
      executeWrite(db, q).then(
        ({ rows }) => cb(null, { current: Number(rows[0]?.count ?? 1), ttl: windowStart + windowMs - now }),
        (err: Error) => cb(err),
      );
    }

    /** One counter space per route: the login's limit and the registration's are separate. */
    child(routeOptions: { path: string; prefix: string }): FastifyRateLimitStore {
      return new DatabaseStore(`route:${routeOptions.prefix ?? ""}${routeOptions.path}:`);
    }
  }
  return DatabaseStore as unknown as FastifyRateLimitStoreCtor;
}
