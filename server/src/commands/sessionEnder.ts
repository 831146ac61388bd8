import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Db } from "../db/schema.js";

/** Logs a session out: deletes it and audits `session.ended`, together. */
export async function sessionEnder(db: Db, ctx: RequestContext, sessionId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("sessions").where("id", "=", sessionId).execute();
    await recordAudit(trx, ctx, { action: "session.ended", objectType: "user", objectId: ctx.actor.userId ?? "?" });
  });
}
