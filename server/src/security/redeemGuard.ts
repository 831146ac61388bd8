import { sql } from "kysely";
import { executeWrite } from "../db/groupCommit.js";
import { compilePrepared } from "../db/prepared.js";
import type { Db } from "../db/schema.js";
import { AppError } from "../errors.js";
import { nowIso } from "../util.js";

export interface GuardLimits {
  ipPerMinute: number;
  accountPerMinute: number;
  missesBeforeLock: number;
}

export interface Subjects {
  ip: string;
  /** The account redeeming (a portal user's), or null for anonymous self-registration. */
  account: string | null;
}

export interface RateInfo {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

export interface Admission extends RateInfo {
  /** The account had misses on record when admitted (a success clears them). */
  accountHasMisses: boolean;
}

const WINDOW_MS = 60_000;
const MISS_WINDOW_MS = 15 * 60_000;
const LOCK_BASE_S = 60;
const LOCK_MAX_S = 3600;

const tooMany = (retryAfter: number, detail: string) =>
  new AppError(429, "rate_limited", "Too many attempts", detail, undefined, undefined, {
    "retry-after": String(Math.max(1, Math.ceil(retryAfter))),
  });

/**
 * Abuse controls for redemption, kept in the database so they hold across server processes:
 * fixed one-minute windows per IP and per account (atomic upsert-and-count), and a lockout that
 * grows (1 min, 2, 4 … up to an hour) after repeated misses — wrong or unknown keys.
 */
export class RedeemGuard {
  constructor(
    private readonly db: Db,
    private readonly limits: GuardLimits,
  ) {}

  /**
   * Counts this attempt; refuses (429 with Retry-After) when locked out or over a limit. One
   * statement: the windows' counters are bumped and the subjects' lockouts read back with them.
   * A refused attempt counts too — an attempt is an attempt.
   */
  async admit(s: Subjects): Promise<Admission> {
    const now = Date.now();
    const windowStart = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    const resetSeconds = Math.ceil((windowStart + WINDOW_MS - now) / 1000);
    const subjects = this.subjectKeys(s);
    const limits = new Map([[`ip:${s.ip}`, this.limits.ipPerMinute]]);
    if (s.account) limits.set(`account:${s.account}`, this.limits.accountPerMinute);
    const values = {
      rows: [...limits.keys()].map((bucket) => ({ bucket, window_start: windowStart, count: 1 })),
      subjects,
      account: `account:${s.account}`,
    };
    const admitted = compilePrepared(this.db, "guard.admit", values, (db, v) =>
      db
        .insertInto("rate_counters")
        .values(v.rows)
        .onConflict((oc) => oc.columns(["bucket", "window_start"]).doUpdateSet({ count: sql`rate_counters.count + 1` }))
        .returning((eb) => [
          "bucket",
          "count",
          eb
            .selectFrom("redeem_misses")
            .select((m) => m.fn.max("locked_until").as("l"))
            .where("subject", "in", v.subjects)
            .as("locked_until"),
          eb.selectFrom("redeem_misses").select("subject").where("subject", "=", v.account).as("account_missed"),
        ]),
    );
    const { rows } = await executeWrite(this.db, admitted);
    const lockedUntil = rows[0]?.locked_until ? Date.parse(rows[0].locked_until) : 0;
    if (lockedUntil > now)
      throw tooMany((lockedUntil - now) / 1000, "Too many wrong keys were tried. For your security, wait before trying again.");
    let tightest: RateInfo = { limit: this.limits.ipPerMinute, remaining: this.limits.ipPerMinute, resetSeconds };
    for (const row of rows) {
      const limit = limits.get(row.bucket) as number;
      const remaining = limit - Number(row.count);
      if (remaining < 0) throw tooMany(resetSeconds, "Too many attempts to register keys. Wait a minute and try again.");
      if (remaining < tightest.remaining) tightest = { limit, remaining, resetSeconds };
    }
    // Old windows are useless; clear them now and then rather than on every call.
    if (Math.random() < 0.01)
      await this.db
        .deleteFrom("rate_counters")
        .where("window_start", "<", windowStart - 10 * WINDOW_MS)
        .execute();
    return { ...tightest, accountHasMisses: Boolean(s.account && rows[0]?.account_missed) };
  }

  /** A wrong or unknown key: counts towards a lockout that doubles each time it is reached. */
  async miss(s: Subjects): Promise<void> {
    const now = new Date();
    for (const subject of this.subjectKeys(s)) {
      const row = await this.db
        .insertInto("redeem_misses")
        .values({ subject, misses: 1, lockouts: 0, first_miss_at: now.toISOString(), locked_until: null })
        .onConflict((oc) =>
          oc.column("subject").doUpdateSet({
            // A miss long after the first one starts a new count.
            misses: sql`CASE WHEN redeem_misses.first_miss_at < ${new Date(now.getTime() - MISS_WINDOW_MS).toISOString()} THEN 1 ELSE redeem_misses.misses + 1 END`,
            first_miss_at: sql`CASE WHEN redeem_misses.first_miss_at < ${new Date(now.getTime() - MISS_WINDOW_MS).toISOString()} THEN ${now.toISOString()} ELSE redeem_misses.first_miss_at END`,
          }),
        )
        .returning(["misses", "lockouts"])
        .executeTakeFirstOrThrow();
      if (Number(row.misses) >= this.limits.missesBeforeLock) {
        const seconds = Math.min(LOCK_BASE_S * 2 ** Number(row.lockouts), LOCK_MAX_S);
        await this.db
          .updateTable("redeem_misses")
          .set((eb) => ({
            misses: 0,
            lockouts: eb("lockouts", "+", 1),
            first_miss_at: nowIso(),
            locked_until: new Date(now.getTime() + seconds * 1000).toISOString(),
          }))
          .where("subject", "=", subject)
          .where("misses", ">=", this.limits.missesBeforeLock)
          .execute();
      }
    }
  }

  /**
   * A successful redemption clears the account's misses (not the IP's: an attacker could
   * interleave one good key). Only when admit() saw some, so the usual success costs nothing.
   */
  async success(s: Subjects, admitted: Admission): Promise<void> {
    if (s.account && admitted.accountHasMisses)
      await this.db.deleteFrom("redeem_misses").where("subject", "=", `account:${s.account}`).execute();
  }

  private subjectKeys(s: Subjects): string[] {
    return s.account ? [`ip:${s.ip}`, `account:${s.account}`] : [`ip:${s.ip}`];
  }
}

/** RateLimit-* response headers (IETF draft) for an admitted attempt. */
export function rateHeaders(r: RateInfo): Record<string, string> {
  return {
    "ratelimit-limit": String(r.limit),
    "ratelimit-remaining": String(Math.max(0, r.remaining)),
    "ratelimit-reset": String(r.resetSeconds),
  };
}
