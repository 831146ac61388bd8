import { systemContext } from "../actor.js";
import type { Config } from "../config.js";
import { dueEmailMessages } from "../db/repos/email.js";
import type { Db } from "../db/schema.js";
import type { JobRunner } from "../jobs/runner.js";
import { nowIso, Poller } from "../util.js";

const BATCH = 50;
const running = new WeakMap<Db, MailDispatcher>();

/**
 * Hands outbox messages whose turn has come to the job runner: each QUEUED message due now becomes
 * SENDING and gets a `mail.send` job, both in one transaction, claimed by a conditional UPDATE so
 * two processes never queue the same message twice. It looks every `mailPollMs`, and at once when
 * nudged (a resend, a test email).
 */
export class MailDispatcher {
  private readonly poller: Poller;

  constructor(
    private readonly deps: { db: Db; config: Pick<Config, "mailPollMs"> },
    private readonly runner: JobRunner,
  ) {
    this.poller = new Poller(() => this.dispatch(), this.deps.config.mailPollMs);
  }

  start(): void {
    running.set(this.deps.db, this);
    this.poller.start();
  }

  async stop(): Promise<void> {
    if (running.get(this.deps.db) === this) running.delete(this.deps.db);
    await this.poller.stop();
  }

  /** Looks for due messages now (once more after the current look, if one is under way). */
  nudge(): void {
    this.poller.nudge();
  }

  /** One look: queues a job for every due message; returns how many. */
  async dispatch(): Promise<number> {
    const { db } = this.deps;
    let n = 0;
    for (;;) {
      const due = await dueEmailMessages(db, nowIso(), BATCH);
      let claimed = 0;
      for (const m of due) if (await this.claim(m.id)) claimed++;
      n += claimed;
      if (due.length < BATCH || claimed === 0) return n;
    }
  }

  private async claim(messageId: string): Promise<boolean> {
    try {
      return await this.deps.db.transaction().execute(async (trx) => {
        const jobId = await this.runner.enqueue(trx, systemContext(), "mail.send", null, { messageId }, 1);
        const res = await trx
          .updateTable("email_messages")
          .set({ status: "SENDING", job_id: jobId, updated_at: nowIso() })
          .where("id", "=", messageId)
          .where("status", "=", "QUEUED")
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) !== 1) throw new NotClaimed();
        return true;
      });
    } catch (err) {
      if (err instanceof NotClaimed) return false;
      throw err;
    }
  }
}

class NotClaimed extends Error {}

/** Asks this process's dispatcher of `db` (if any runs) to look for due messages now. */
export function nudgeMail(db: Db): void {
  running.get(db)?.nudge();
}
