import type { AccountType, Role } from "../../../common/src/enums.js";
import type { Actor, Membership } from "../actor.js";
import { runPrepared } from "../db/prepared.js";
import type { Db } from "../db/schema.js";
import { nowIso, sha256 } from "../util.js";

export async function membershipsOf(db: Db, userId: string): Promise<Membership[]> {
  const rows = await db
    .selectFrom("user_roles")
    .innerJoin("accounts", "accounts.id", "user_roles.account_id")
    .select(["user_roles.account_id", "user_roles.role", "accounts.type"])
    .where("user_roles.user_id", "=", userId)
    .orderBy("user_roles.account_id")
    .orderBy("user_roles.role")
    .execute();
  return rows.map((r) => ({ accountId: r.account_id, accountType: r.type as AccountType, role: r.role as Role }));
}

const TOUCH_EVERY_MS = 60_000;

/** Resolves a session cookie value to its user, sliding the expiry at most once a minute. */
export async function actorFromSession(
  db: Db,
  cookieValue: string,
  ttlHours: number,
): Promise<{ actor: Actor; sessionId: string; csrfToken: string } | null> {
  const id = sha256(cookieValue);
  const now = new Date();
  const row = await db
    .selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .select([
      "sessions.id",
      "sessions.csrf_token",
      "sessions.expires_at",
      "sessions.last_seen_at",
      "users.id as user_id",
      "users.email",
      "users.status",
    ])
    .where("sessions.id", "=", id)
    .executeTakeFirst();
  if (!row || row.status !== "ACTIVE" || row.expires_at <= now.toISOString()) return null;
  if (now.getTime() - Date.parse(row.last_seen_at) > TOUCH_EVERY_MS) {
    await db
      .updateTable("sessions")
      .set({ last_seen_at: now.toISOString(), expires_at: new Date(now.getTime() + ttlHours * 3_600_000).toISOString() })
      .where("id", "=", id)
      .execute();
  }
  return {
    sessionId: id,
    csrfToken: row.csrf_token,
    actor: {
      type: "user",
      userId: row.user_id,
      email: row.email,
      tokenId: null,
      memberships: await membershipsOf(db, row.user_id),
    },
  };
}

/**
 * Resolves a bearer token. It acts with its own single role, and only while its user is active and
 * still belongs to the token's account (removing a user from an account disarms its tokens).
 */
export async function actorFromToken(db: Db, token: string): Promise<Actor | null> {
  const { rows } = await runPrepared(db, "auth.token", { hash: sha256(token) }, (db, v) =>
    db
      .selectFrom("api_tokens")
      .innerJoin("users", "users.id", "api_tokens.user_id")
      .innerJoin("accounts", "accounts.id", "api_tokens.account_id")
      .select([
        "api_tokens.id",
        "api_tokens.role",
        "api_tokens.account_id",
        "api_tokens.expires_at",
        "api_tokens.revoked_at",
        "api_tokens.last_used_at",
        "accounts.type as account_type",
        "users.id as user_id",
        "users.email",
        "users.status",
      ])
      .where("api_tokens.token_hash", "=", v.hash)
      // One round trip: a token whose user has left its account finds no row.
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom("user_roles")
            .select("user_roles.role")
            .whereRef("user_roles.user_id", "=", "api_tokens.user_id")
            .whereRef("user_roles.account_id", "=", "api_tokens.account_id"),
        ),
      ),
  );
  const row = rows[0];
  const now = nowIso();
  if (!row || row.revoked_at || row.status !== "ACTIVE" || (row.expires_at && row.expires_at <= now)) return null;
  if (!row.last_used_at || Date.parse(now) - Date.parse(row.last_used_at) > TOUCH_EVERY_MS) {
    await db.updateTable("api_tokens").set({ last_used_at: now }).where("id", "=", row.id).execute();
  }
  return {
    type: "token",
    userId: row.user_id,
    email: row.email,
    tokenId: row.id,
    memberships: [{ accountId: row.account_id, accountType: row.account_type as AccountType, role: row.role as Role }],
  };
}
