import { sql } from "kysely";
import { systemContext } from "../actor.js";
import type { Config } from "../config.js";
import { dueWebhookDeliveries, enabledWebhookEndpointIds } from "../db/repos/webhooks.js";
import type { Db } from "../db/schema.js";
import type { JobRunner } from "../jobs/runner.js";
import { newId, nowIso, Poller } from "../util.js";
import { fanOut } from "./fanout.js";

const BATCH = 100;
const running = new WeakMap<Db, WebhookDispatcher>();

/**
 * Moves events to webhook receivers, off every request's path, in each live process: every
 * `webhookPollMs` (and at once when nudged) it fans new events out to the enabled endpoints
 * (fanout.ts), then hands the deliveries whose turn has come to the job runner: a batch of them
 * takes one claim token, by a conditional UPDATE (WHERE unclaimed), in the transaction that queues
 * the `webhook.deliver` job owning that token; so two processes never send the same attempt. The
 * job's handler (jobs/webhookHandlers.ts) sends them.
 */
export class WebhookDispatcher {
  private readonly poller: Poller;

  constructor(
    private readonly deps: { db: Db; config: Pick<Config, "webhookPollMs" | "webhookRetryWindowMs"> },
    private readonly runner: JobRunner,
  ) {
    this.poller = new Poller(() => this.dispatch(), this.deps.config.webhookPollMs);
  }

  start(): void {
    running.set(this.deps.db, this);
    this.poller.start();
  }

  async stop(): Promise<void> {
    if (running.get(this.deps.db) === this) running.delete(this.deps.db);
    await this.poller.stop();
  }

  /** Looks now (once more after the current look, if one is under way). */
  nudge(): void {
    this.poller.nudge();
  }

  /** One look: fan-out, then a job per batch of due deliveries; returns how many deliveries were claimed. */
  async dispatch(): Promise<number> {
    const { db, config } = this.deps;
    for (const id of await enabledWebhookEndpointIds(db)) {
      try {
        await fanOut(db, id, config.webhookRetryWindowMs);
      } catch {
        // One endpoint's trouble (a hiccup, a conflict) must not hold up the others: retried next look.
      }
    }
    let n = 0;
    for (;;) {
      const due = await dueWebhookDeliveries(db, nowIso(), BATCH);
      if (due.length === 0) return n;
      const claimed = await this.claim(due);
      n += claimed;
      if (due.length < BATCH || claimed === 0) return n;
    }
  }

  /**
   * One claim token over a batch of due line heads and, with each head, the rest of its line (the
   * same endpoint and entitlement, still PENDING and unclaimed): the job sends a line in order
   * itself, one after the other, instead of coming back here for each next event.
   */
  private async claim(heads: { id: string; endpoint_id: string; entitlement_id: string | null }[]): Promise<number> {
    const claim = newId();
    return this.deps.db.transaction().execute(async (trx) => {
      const now = nowIso();
      const res = await trx
        .updateTable("webhook_deliveries")
        .set({ claim })
        .where(
          "id",
          "in",
          heads.map((h) => h.id),
        )
        .where("status", "=", "PENDING")
        .where("claim", "is", null)
        .where("next_attempt_at", "<=", now)
        .executeTakeFirst();
      let n = Number(res.numUpdatedRows);
      if (n === 0) return 0;
      const lines = new Map<string, string[]>();
      for (const h of heads) {
        if (!h.entitlement_id) continue;
        const ids = lines.get(h.endpoint_id);
        if (ids) ids.push(h.entitlement_id);
        else lines.set(h.endpoint_id, [h.entitlement_id]);
      }
      for (const [endpointId, entitlementIds] of lines) {
        // Only the lines whose head this claim took: a line held by another job stays with it.
        const rest = await trx
          .updateTable("webhook_deliveries")
          .set({ claim })
          .where("endpoint_id", "=", endpointId)
          .where("entitlement_id", "in", entitlementIds)
          .where("status", "=", "PENDING")
          .where("claim", "is", null)
          .where(({ exists, selectFrom }) =>
            exists(
              selectFrom("webhook_deliveries as h")
                .select(sql`1`.as("one"))
                .where("h.claim", "=", claim)
                .where("h.endpoint_id", "=", endpointId)
                .whereRef("h.entitlement_id", "=", "webhook_deliveries.entitlement_id"),
            ),
          )
          .executeTakeFirst();
        n += Number(rest.numUpdatedRows);
      }
      await this.runner.enqueue(trx, systemContext(), "webhook.deliver", null, { claim }, n);
      return n;
    });
  }
}

/** Asks this process's dispatcher of `db` (if any runs) to look now: a test event, a redelivery. */
export function nudgeWebhooks(db: Db): void {
  running.get(db)?.nudge();
}
