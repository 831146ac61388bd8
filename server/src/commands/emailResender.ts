import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { type EmailMessageRow, findEmailMessage } from "../db/repos/email.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { nowIso } from "../util.js";

/**
 * Resend (producer admins and operations): the message goes back to QUEUED, due now, with a fresh
 * set of attempts, whatever it was (SENT: sent again). One being sent right now is refused.
 */
export async function emailResender(db: Db, ctx: RequestContext, id: string): Promise<EmailMessageRow> {
  authorize(ctx.actor, "email.resend");
  return db.transaction().execute(async (trx) => {
    const before = await findEmailMessage(trx, id);
    if (!before) throw errors.notFound("Email message", id);
    const now = nowIso();
    const res = await trx
      .updateTable("email_messages")
      .set({ status: "QUEUED", attempts: 0, next_attempt_at: now, job_id: null, updated_at: now })
      .where("id", "=", id)
      .where("status", "!=", "SENDING")
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1)
      throw errors.invalidState("This message is being sent right now; wait for the attempt to end, then resend it.", "status");
    await recordAudit(trx, ctx, {
      action: "email.resent",
      objectType: "email",
      objectId: id,
      before: { status: before.status, attempts: before.attempts, lastError: before.last_error },
      after: { status: "QUEUED" },
    });
    return (await findEmailMessage(trx, id)) as EmailMessageRow;
  });
}
