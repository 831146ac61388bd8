import { attemptDelivery, recordDelivery, releaseDelivery } from "../mail/delivery.js";
import { registerJobHandler } from "./registry.js";

/**
 * The email job: `mail.send` makes one attempt at one outbox message (server/src/mail/), queued by
 * the mail dispatcher when the message's turn comes. The attempt's outcome and the job's end
 * commit together.
 */
export interface MailSendParams {
  messageId: string;
}

declare module "./registry.js" {
  interface JobKinds {
    "mail.send": MailSendParams;
  }
}

registerJobHandler("mail.send", {
  async run(jc) {
    const { messageId } = JSON.parse(jc.job.params) as MailSendParams;
    const outcome = await attemptDelivery(jc.deps, messageId, jc.job.id);
    jc.progress(1, 1);
    if (!outcome) return jc.succeed(jc.deps.db, { messageId, status: null, note: "the message was no longer this job's" });
    await jc.deps.db.transaction().execute(async (trx) => {
      await recordDelivery(trx, messageId, jc.job.id, outcome);
      await jc.succeed(trx, { messageId, status: outcome.status, error: outcome.last_error });
    });
  },
  async cleanup(deps, job) {
    const { messageId } = JSON.parse(job.params) as MailSendParams;
    await releaseDelivery(deps.db, messageId, job.id);
  },
});
