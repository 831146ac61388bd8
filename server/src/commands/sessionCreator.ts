import { sql } from "kysely";
import type { Membership } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Db, UsersTable } from "../db/schema.js";
import { errors } from "../errors.js";
import { membershipsOf } from "../security/actorLoader.js";
import { verifyPassword } from "../security/passwords.js";
import { nowIso, randomToken, sha256 } from "../util.js";

/** Failed logins allowed before a temporary lockout; each further lockout doubles its length. */
export const LOGIN_MAX_FAILURES = 5;
const LOCK_BASE_SECONDS = 60;
const LOCK_MAX_SECONDS = 3600;
const FAILURE_WINDOW_MS = 15 * 60_000;

export interface LoginInput {
  email: string;
  password: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export interface LoginResult {
  cookieValue: string;
  csrfToken: string;
  expiresAt: string;
  userId: string;
  memberships: Membership[];
}

/**
 * Email + password login. Unknown emails cost the same scrypt work as known ones, and a
 * deactivated user's login is answered exactly like a wrong password (no oracle for which emails
 * exist or are deactivated).
 *
 * Lockout: every attempt for an email is counted by one atomic upsert *before* the password is
 * checked, and the lock is decided from the value this attempt counted. So of any number of
 * concurrent guesses at most LOGIN_MAX_FAILURES are ever evaluated; the attempt that counted the
 * last allowed failure sets a lock that doubles each time. Counted in the database, so it holds
 * across server processes.
 */
export async function sessionCreator(db: Db, input: LoginInput, ttlHours: number): Promise<LoginResult> {
  const { user, memberships } = await passwordChecker(db, input);
  const now = new Date();
  const cookieValue = randomToken(32);
  const csrfToken = randomToken(24);
  const expiresAt = new Date(now.getTime() + ttlHours * 3_600_000).toISOString();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto("sessions")
      .values({
        id: sha256(cookieValue),
        user_id: user.id,
        csrf_token: csrfToken,
        ip: input.ip,
        user_agent: input.userAgent?.slice(0, 512) ?? null,
        created_at: now.toISOString(),
        last_seen_at: now.toISOString(),
        expires_at: expiresAt,
      })
      .execute();
    await trx.updateTable("users").set({ last_login_at: nowIso() }).where("id", "=", user.id).execute();
    await recordAudit(
      trx,
      {
        actor: { type: "user", userId: user.id, email: user.email, tokenId: null, memberships },
        requestId: input.requestId,
        ip: input.ip,
      },
      { action: "session.created", objectType: "user", objectId: user.id },
    );
  });
  return { cookieValue, csrfToken, expiresAt, userId: user.id, memberships };
}

/**
 * The password check of a login, with its lockout (see {@link sessionCreator}): counts the attempt,
 * refuses a locked email, verifies the password and audits a failure. Every email+password
 * credential goes through it: the portal's login and the SOAP facade's HTTP Basic and header
 * credentials, so they share one lockout.
 */
export async function passwordChecker(
  db: Db,
  input: Omit<LoginInput, "userAgent">,
): Promise<{ user: UsersTable; memberships: Membership[] }> {
  const email = input.email.trim().toLowerCase();
  const now = new Date();
  const counted = await countAttempt(db, email, now);
  const lockedUntil = counted.locked_until ? Date.parse(counted.locked_until) : 0;
  if (lockedUntil > now.getTime()) throw errors.loginLocked(Math.ceil((lockedUntil - now.getTime()) / 1000));
  // Attempts beyond the limit wait for the one that counted the last allowed failure: it locks.
  if (Number(counted.failures) > LOGIN_MAX_FAILURES) throw errors.loginLocked(lockSeconds(Number(counted.lockouts)));
  const user = await db.selectFrom("users").selectAll().where("email", "=", email).executeTakeFirst();
  const ok = await verifyPassword(input.password, user?.password_hash ?? null);
  if (!ok || !user || user.status !== "ACTIVE") {
    const anon = {
      actor: { type: "system" as const, userId: null, email, tokenId: null, memberships: [] },
      requestId: input.requestId,
      ip: input.ip,
    };
    const locks = Number(counted.failures) >= LOGIN_MAX_FAILURES;
    await db.transaction().execute(async (trx) => {
      if (locks)
        await trx
          .updateTable("login_failures")
          .set((eb) => ({
            failures: 0,
            lockouts: eb("lockouts", "+", 1),
            first_failure_at: now.toISOString(),
            locked_until: new Date(now.getTime() + lockSeconds(Number(counted.lockouts)) * 1000).toISOString(),
          }))
          .where("email", "=", email)
          // A success in between cleared the count: nothing to lock.
          .where("failures", ">=", LOGIN_MAX_FAILURES)
          .execute();
      await recordAudit(trx, anon, {
        action: locks ? "session.locked_out" : "session.login_failed",
        objectType: "user",
        objectId: user?.id ?? email,
      });
    });
    throw errors.invalidCredentials();
  }
  // A success clears the count (every attempt was counted above, successes too).
  await db.deleteFrom("login_failures").where("email", "=", email).execute();
  return { user, memberships: await membershipsOf(db, user.id) };
}

const lockSeconds = (lockouts: number) => Math.min(LOCK_BASE_SECONDS * 2 ** lockouts, LOCK_MAX_SECONDS);

/**
 * Counts one login attempt for `email` and returns the row as this attempt left it. While a lock
 * holds nothing is counted; a count older than the window starts again at 1.
 */
async function countAttempt(db: Db, email: string, now: Date) {
  const at = now.toISOString();
  const windowStart = new Date(now.getTime() - FAILURE_WINDOW_MS).toISOString();
  const locked = sql<boolean>`login_failures.locked_until IS NOT NULL AND login_failures.locked_until > ${at}`;
  const stale = sql<boolean>`login_failures.first_failure_at < ${windowStart}`;
  return db
    .insertInto("login_failures")
    .values({ email, failures: 1, lockouts: 0, first_failure_at: at, locked_until: null })
    .onConflict((oc) =>
      oc.column("email").doUpdateSet({
        failures: sql`CASE WHEN ${locked} THEN login_failures.failures WHEN ${stale} THEN 1 ELSE login_failures.failures + 1 END`,
        first_failure_at: sql`CASE WHEN ${locked} THEN login_failures.first_failure_at WHEN ${stale} THEN ${at} ELSE login_failures.first_failure_at END`,
      }),
    )
    .returning(["failures", "lockouts", "locked_until"])
    .executeTakeFirstOrThrow();
}
