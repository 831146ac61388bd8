import type { Membership } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Db } from "../db/schema.js";
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
 * Email + password login. Unknown emails cost the same scrypt work as known ones; repeated
 * failures for one email lock it for a growing time (counted in the database, so the lock holds
 * across server processes).
 */
export async function sessionCreator(db: Db, input: LoginInput, ttlHours: number): Promise<LoginResult> {
  const email = input.email.trim().toLowerCase();
  const now = new Date();
  const lock = await db.selectFrom("login_failures").selectAll().where("email", "=", email).executeTakeFirst();
  if (lock?.locked_until && lock.locked_until > now.toISOString()) {
    throw errors.loginLocked(Math.ceil((Date.parse(lock.locked_until) - now.getTime()) / 1000));
  }
  const user = await db.selectFrom("users").selectAll().where("email", "=", email).executeTakeFirst();
  const ok = await verifyPassword(input.password, user?.password_hash ?? null);
  const anon = {
    actor: { type: "system" as const, userId: null, email, tokenId: null, memberships: [] },
    requestId: input.requestId,
    ip: input.ip,
  };
  if (!ok || !user) {
    await db.transaction().execute(async (trx) => {
      const fresh = !lock || now.getTime() - Date.parse(lock.first_failure_at) > FAILURE_WINDOW_MS;
      const failures = fresh ? 1 : (lock?.failures ?? 0) + 1;
      const lockouts = lock?.lockouts ?? 0;
      let lockedUntil: string | null = null;
      let newLockouts = lockouts;
      if (failures >= LOGIN_MAX_FAILURES) {
        const seconds = Math.min(LOCK_BASE_SECONDS * 2 ** lockouts, LOCK_MAX_SECONDS);
        lockedUntil = new Date(now.getTime() + seconds * 1000).toISOString();
        newLockouts = lockouts + 1;
      }
      const values = {
        email,
        failures: lockedUntil ? 0 : failures,
        lockouts: newLockouts,
        first_failure_at: fresh || lockedUntil ? now.toISOString() : (lock?.first_failure_at ?? now.toISOString()),
        locked_until: lockedUntil,
      };
      await trx
        .insertInto("login_failures")
        .values(values)
        .onConflict((oc) => oc.column("email").doUpdateSet(values))
        .execute();
      await recordAudit(trx, anon, {
        action: lockedUntil ? "session.locked_out" : "session.login_failed",
        objectType: "user",
        objectId: user?.id ?? email,
      });
    });
    throw errors.invalidCredentials();
  }
  if (user.status !== "ACTIVE") {
    throw errors.forbidden("This user is deactivated. Ask an administrator to reactivate it.");
  }
  const memberships = await membershipsOf(db, user.id);
  const cookieValue = randomToken(32);
  const csrfToken = randomToken(24);
  const expiresAt = new Date(now.getTime() + ttlHours * 3_600_000).toISOString();
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("login_failures").where("email", "=", email).execute();
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
