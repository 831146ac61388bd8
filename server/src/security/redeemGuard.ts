import { type CompiledQuery, sql } from "kysely";
import type { SyncRunner } from "../db/groupCommit.js";
import { compilePrepared, runPreparedWrite } from "../db/prepared.js";
import type { Db, RateCountersTable, Trx } from "../db/schema.js";
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
  /** The account had a lockout on record when admitted (a success clears it). */
  accountHasMisses: boolean;
  /** The miss window this attempt reserved its place in, and the place per subject (1 = first). */
  missWindow: number;
  missPlaces: Map<string, number>;
}

const WINDOW_MS = 60_000;
const MISS_WINDOW_MS = 15 * 60_000;
const LOCK_BASE_S = 60;
const LOCK_MAX_S = 3600;

/**
 * A 429 from the guard. `audit` is false for the refusals that need no audit row of their own:
 * all but the first refusal of a throttled window, and the refusals while a lockout holds (the
 * miss that set the lockout is audited).
 */
export class Throttled extends AppError {
  constructor(
    retryAfter: number,
    detail: string,
    readonly audit: boolean,
  ) {
    super(429, "rate_limited", "Too many attempts", detail, undefined, undefined, {
      "retry-after": String(Math.max(1, Math.ceil(retryAfter))),
    });
  }
}

const WRONG_KEYS = "Too many wrong keys were tried. For your security, wait before trying again.";

/**
 * Abuse controls for redemption, kept in the database so they hold across server processes:
 * fixed one-minute windows per IP and per account (atomic upsert-and-count), and a lockout that
 * grows (1 min, 2, 4 … up to an hour) after repeated misses — wrong or unknown keys.
 *
 * The miss lockout is decided before the key is looked up: every admitted attempt takes a place
 * in its subjects' miss counters (15-minute windows, in `rate_counters` under `miss:` buckets) in
 * the same statement that counts the rate, as if it were a miss; an attempt that turns out not to
 * be a miss gives its place back. So of any number of concurrent wrong keys at most
 * `missesBeforeLock` are looked up, and the miss that took the last place sets the lockout.
 */
export class RedeemGuard {
  constructor(
    private readonly db: Db,
    private readonly limits: GuardLimits,
  ) {}

  /**
   * Counts this attempt; refuses (429 with Retry-After) when locked out or over a limit. One
   * statement: the windows' counters are bumped and the subjects' lockouts read back with them.
   * A refused attempt counts towards the rate too — an attempt is an attempt — but gives back its
   * place in the miss counters, since it was never looked up.
   */
  async admit(s: Subjects): Promise<Admission> {
    const counting = this.counting(s);
    const { rows } = await runPreparedWrite(this.db, "guard.admit", counting.values, admitCounters);
    const decided = this.decide(s, counting, rows);
    if (decided instanceof Throttled) {
      await this.release(s, counting.refused);
      throw decided;
    }
    // Old windows are useless; clear them now and then rather than on every call.
    if (Math.random() < 0.01) await this.db.executeQuery(this.pruneStatement(counting.missWindow));
    return decided;
  }

  /**
   * admit() inside a unit of SQLite's group commit, so the attempt is counted and decided in the
   * same commit as the redemption that follows it (db/groupCommit.ts). A refusal is returned, not
   * thrown, with its miss places already given back: the unit commits the count.
   */
  admitIn(runner: SyncRunner, s: Subjects): Admission | Throttled {
    const counting = this.counting(s);
    const rows = runner.all(compilePrepared(this.db, "guard.admit", counting.values, admitCounters)) as AdmitRow[];
    const decided = this.decide(s, counting, rows);
    if (decided instanceof Throttled) runner.all(this.releaseStatement(s, counting.refused));
    else if (Math.random() < 0.01) runner.run(this.pruneStatement(counting.missWindow));
    return decided;
  }

  /** The windows this attempt counts in, and the rows admit's statement bumps. */
  private counting(s: Subjects) {
    const now = Date.now();
    const windowStart = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    const missWindow = Math.floor(now / MISS_WINDOW_MS) * MISS_WINDOW_MS;
    const resetSeconds = Math.ceil((windowStart + WINDOW_MS - now) / 1000);
    const subjects = this.subjectKeys(s);
    const limits = new Map([[`ip:${s.ip}`, this.limits.ipPerMinute]]);
    if (s.account) limits.set(`account:${s.account}`, this.limits.accountPerMinute);
    const values = {
      // Sorted by bucket: the upsert locks its rows in this order and release() locks the miss rows
      // in index (bucket) order, so an admission and a release of the same subjects cannot wait on
      // each other (unsorted, PostgreSQL found deadlocks under concurrent redemptions).
      rows: [
        ...[...limits.keys()].map((bucket) => ({ bucket, window_start: windowStart, count: 1 })),
        ...subjects.map((subject) => ({ bucket: `miss:${subject}`, window_start: missWindow, count: 1 })),
      ].sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : 0)),
      subjects,
      account: `account:${s.account}`,
    };
    /** What a refused attempt gives back: its places in this miss window. */
    const refused: Admission = {
      limit: 0,
      remaining: 0,
      resetSeconds,
      accountHasMisses: false,
      missWindow,
      missPlaces: new Map(),
    };
    return { now, missWindow, resetSeconds, limits, values, refused };
  }

  /** Admitted, or the refusal, from the counters as admit's statement left them. */
  private decide(s: Subjects, c: ReturnType<RedeemGuard["counting"]>, rows: AdmitRow[]): Admission | Throttled {
    const { now, resetSeconds, limits } = c;
    const lockedUntil = rows[0]?.locked_until ? Date.parse(rows[0].locked_until) : 0;
    if (lockedUntil > now) return new Throttled((lockedUntil - now) / 1000, WRONG_KEYS, false);
    let tightest: RateInfo = { limit: this.limits.ipPerMinute, remaining: this.limits.ipPerMinute, resetSeconds };
    for (const row of rows) {
      const limit = limits.get(row.bucket);
      if (limit === undefined) continue;
      const remaining = limit - Number(row.count);
      // Only the first refusal of a window is audited: a flood writes one row, not one per request.
      if (remaining < 0)
        return new Throttled(resetSeconds, "Too many attempts to register keys. Wait a minute and try again.", remaining === -1);
      if (remaining < tightest.remaining) tightest = { limit, remaining, resetSeconds };
    }
    const missPlaces = new Map<string, number>();
    for (const row of rows) if (row.bucket.startsWith("miss:")) missPlaces.set(row.bucket.slice(5), Number(row.count));
    // Past the last place: the attempt that took it is being looked up and locks if it misses.
    for (const place of missPlaces.values())
      if (place > this.limits.missesBeforeLock) return new Throttled(LOCK_BASE_S, WRONG_KEYS, false);
    return {
      ...tightest,
      accountHasMisses: Boolean(s.account && rows[0]?.account_missed),
      missWindow: c.missWindow,
      missPlaces,
    };
  }

  private pruneStatement(missWindow: number): CompiledQuery {
    return this.db
      .deleteFrom("rate_counters")
      .where("window_start", "<", missWindow - 2 * MISS_WINDOW_MS)
      .compile();
  }

  /**
   * A wrong or unknown key: its place in the miss counters stays taken. The miss that took a
   * subject's last place locks that subject, for a time that doubles with each lockout, and empties
   * its counter for after the lock. Returns whether it set a lockout.
   */
  async miss(s: Subjects, admitted: Admission): Promise<boolean> {
    let locked = false;
    for (const subject of this.subjectKeys(s)) {
      if ((admitted.missPlaces.get(subject) ?? 0) < this.limits.missesBeforeLock) continue;
      const emptied = await this.db
        .updateTable("rate_counters")
        .set({ count: 0 })
        .where("bucket", "=", `miss:${subject}`)
        .where("window_start", "=", admitted.missWindow)
        .where("count", ">=", this.limits.missesBeforeLock)
        .executeTakeFirst();
      if (Number(emptied.numUpdatedRows) === 0) continue;
      const now = new Date();
      const row = await this.db
        .insertInto("redeem_misses")
        .values({ subject, misses: 0, lockouts: 1, first_miss_at: now.toISOString(), locked_until: null })
        .onConflict((oc) => oc.column("subject").doUpdateSet((eb) => ({ lockouts: eb("redeem_misses.lockouts", "+", 1) })))
        .returning("lockouts")
        .executeTakeFirstOrThrow();
      const seconds = Math.min(LOCK_BASE_S * 2 ** (Number(row.lockouts) - 1), LOCK_MAX_S);
      await this.db
        .updateTable("redeem_misses")
        .set({ locked_until: new Date(now.getTime() + seconds * 1000).toISOString(), first_miss_at: nowIso() })
        .where("subject", "=", subject)
        .execute();
      locked = true;
    }
    return locked;
  }

  /**
   * A successful redemption gives back its places (unless `released`: they went with the claim's
   * own commit, see releaseStatement()), and clears the account's lockout history (not the IP's:
   * an attacker could interleave one good key) when admit() saw some.
   */
  async success(s: Subjects, admitted: Admission, released = false): Promise<void> {
    if (!released) await this.release(s, admitted);
    if (s.account && admitted.accountHasMisses)
      await this.db.deleteFrom("redeem_misses").where("subject", "=", `account:${s.account}`).execute();
  }

  /** An attempt that was not a miss (refused before the lookup, or refused for another reason) gives back its places. */
  async release(s: Subjects, admitted: Admission): Promise<void> {
    await runPreparedWrite(this.db, "guard.release", this.releaseValues(s, admitted), releasePlaces);
  }

  /** The release as a statement, for a success to commit with the redemption's own writes (WithClaim). */
  releaseStatement(s: Subjects, admitted: Admission): CompiledQuery {
    return compilePrepared(this.db, "guard.release", this.releaseValues(s, admitted), releasePlaces);
  }

  private releaseValues(s: Subjects, admitted: Admission) {
    return { buckets: this.subjectKeys(s).map((k) => `miss:${k}`), window: admitted.missWindow };
  }

  private subjectKeys(s: Subjects): string[] {
    return s.account ? [`ip:${s.ip}`, `account:${s.account}`] : [`ip:${s.ip}`];
  }
}

interface AdmitRow {
  bucket: string;
  count: number | string;
  locked_until: string | null;
  account_missed: string | null;
}

/** Bumps the attempt's rate and miss counters, reading back its subjects' lockouts. */
const admitCounters = (db: Db | Trx, v: { rows: RateCountersTable[]; subjects: string[]; account: string }) =>
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
    ]);

/** Gives back one place in each of the miss counters named. */
const releasePlaces = (db: Db | Trx, v: { buckets: string[]; window: number }) =>
  db
    .updateTable("rate_counters")
    .set({ count: sql`CASE WHEN rate_counters.count > 0 THEN rate_counters.count - 1 ELSE 0 END` })
    .where("bucket", "in", v.buckets)
    .where("window_start", "=", v.window)
    // executeWrite reads rows back on SQLite's group commit.
    .returning("count");

/** RateLimit-* response headers (IETF draft) for an admitted attempt. */
export function rateHeaders(r: RateInfo): Record<string, string> {
  return {
    "ratelimit-limit": String(r.limit),
    "ratelimit-remaining": String(Math.max(0, r.remaining)),
    "ratelimit-reset": String(r.resetSeconds),
  };
}
