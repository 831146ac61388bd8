import type { Config } from "../config.js";
import { findEmailMessage, loadEmailSettings } from "../db/repos/email.js";
import type { Db, EmailMessagesTable, Trx } from "../db/schema.js";
import { nowIso } from "../util.js";
import { SmtpError, sendMail, smtpConfigured } from "./smtp.js";

export type DeliveryOutcome = Pick<EmailMessagesTable, "status" | "attempts" | "last_error" | "next_attempt_at" | "sent_at">;

export const NO_SMTP =
  "No SMTP server is configured (Settings → Email): the message is kept in the Outbox; resend it once one is.";

/**
 * One attempt at a message a `mail.send` job owns (SENDING, its `job_id`): sends it and works out
 * what it becomes — SENT; FAILED at once on a permanent refusal (5xx) or once out of attempts;
 * QUEUED again after the next wait of `mailRetryDelaysMs` on a 4xx or connection trouble;
 * NOT_SENT_NO_SMTP without SMTP settings (no attempt counted). Null when the job no longer owns it.
 */
export async function attemptDelivery(
  deps: { db: Db; config: Pick<Config, "dataDir" | "signingKeySecret" | "mailTimeoutMs" | "mailRetryDelaysMs"> },
  messageId: string,
  jobId: string,
): Promise<DeliveryOutcome | null> {
  const msg = await findEmailMessage(deps.db, messageId);
  if (!msg || msg.status !== "SENDING" || msg.job_id !== jobId) return null;
  const settings = await loadEmailSettings(deps.db);
  if (!smtpConfigured(settings)) {
    return { status: "NOT_SENT_NO_SMTP", attempts: msg.attempts, last_error: NO_SMTP, next_attempt_at: null, sent_at: null };
  }
  const attempts = msg.attempts + 1;
  try {
    await sendMail(deps.config, settings, {
      to: JSON.parse(msg.recipients) as string[],
      subject: msg.subject,
      text: msg.body_text,
      attachments: JSON.parse(msg.attachments),
    });
    return { status: "SENT", attempts, last_error: null, next_attempt_at: null, sent_at: nowIso() };
  } catch (err) {
    const e = err instanceof SmtpError ? err : new SmtpError((err as Error).message ?? String(err), false);
    const delays = deps.config.mailRetryDelaysMs;
    if (e.permanent)
      return { status: "FAILED", attempts, last_error: `Refused: ${e.message}`, next_attempt_at: null, sent_at: null };
    if (attempts > delays.length)
      return {
        status: "FAILED",
        attempts,
        last_error: `Gave up after ${attempts} attempts: ${e.message}`,
        next_attempt_at: null,
        sent_at: null,
      };
    const wait = delays[attempts - 1] as number;
    return {
      status: "QUEUED",
      attempts,
      last_error: e.message,
      next_attempt_at: new Date(Date.now() + wait).toISOString(),
      sent_at: null,
    };
  }
}

/** Writes an attempt's outcome, only while the job still owns the message. */
export async function recordDelivery(trx: Trx | Db, messageId: string, jobId: string, o: DeliveryOutcome): Promise<boolean> {
  const res = await trx
    .updateTable("email_messages")
    .set({ ...o, job_id: null, updated_at: nowIso() })
    .where("id", "=", messageId)
    .where("status", "=", "SENDING")
    .where("job_id", "=", jobId)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/**
 * A `mail.send` job that ended without recording its attempt (its process stopped, it failed):
 * the message goes back to QUEUED, due at once, so the dispatcher gives it a new job.
 */
export async function releaseDelivery(db: Db, messageId: string, jobId: string): Promise<void> {
  await db
    .updateTable("email_messages")
    .set({ status: "QUEUED", job_id: null, next_attempt_at: nowIso(), updated_at: nowIso() })
    .where("id", "=", messageId)
    .where("status", "=", "SENDING")
    .where("job_id", "=", jobId)
    .execute();
}
