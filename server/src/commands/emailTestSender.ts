import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { type EmailMessageRow, findEmailMessage } from "../db/repos/email.js";
import type { Db } from "../db/schema.js";
import { mailEnvironment } from "../mail/environment.js";
import { queueEmail } from "../mail/outbox.js";
import { authorize } from "../policies/index.js";

/** "Send test email" (Settings → Email, producer admins): a TEST message to `to`, through the outbox like any other. */
export async function emailTestSender(db: Db, ctx: RequestContext, to: string): Promise<EmailMessageRow> {
  authorize(ctx.actor, "email.test");
  const env = mailEnvironment();
  return db.transaction().execute(async (trx) => {
    const id = await queueEmail(trx, ctx, {
      kind: "TEST",
      to: [to],
      subject: `Test email from Licensor (${env.producer})`,
      body: `This is a test email sent from Settings → Email of ${env.portalUrl}.\nIf you can read it, Licensor can send email.\n`,
      attachments: [],
      objectType: null,
      objectId: null,
    });
    await recordAudit(trx, ctx, { action: "email.test_queued", objectType: "email", objectId: id, after: { to: [to] } });
    return (await findEmailMessage(trx, id)) as EmailMessageRow;
  });
}
