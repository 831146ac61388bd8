import type { Db, Trx } from "../schema.js";

/** The CSRF token of a session (the portal reads it back after a reload), or null for none. */
export async function sessionCsrfToken(db: Db | Trx, sessionId: string): Promise<string | null> {
  const s = await db.selectFrom("sessions").select("csrf_token").where("id", "=", sessionId).executeTakeFirst();
  return s?.csrf_token ?? null;
}
