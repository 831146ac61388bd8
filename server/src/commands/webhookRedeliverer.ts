import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Db, WebhookDeliveriesTable } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { nowIso } from "../util.js";

/**
 * A new attempt at a delivery, now, with the same `webhook-id`: a finished one (SUCCEEDED or
 * FAILED) becomes PENDING for one attempt (its deadline now, so a failure ends it FAILED again
 * rather than retrying for another day ahead of the newer events of its line); one waiting for a
 * retry is made due at once. One being sent right now is refused (409): its outcome comes first.
 */
export async function webhookRedeliverer(db: Db, ctx: RequestContext, id: string): Promise<WebhookDeliveriesTable> {
  authorize(ctx.actor, "webhook.write");
  return db.transaction().execute(async (trx) => {
    const d = await trx.selectFrom("webhook_deliveries").selectAll().where("id", "=", id).executeTakeFirst();
    if (!d) throw errors.notFound("Webhook delivery", id);
    const now = nowIso();
    const res = await trx
      .updateTable("webhook_deliveries")
      .set(
        d.status === "PENDING"
          ? { next_attempt_at: now, next_trigger: "REDELIVER", updated_at: now }
          : { status: "PENDING", next_attempt_at: now, deadline_at: now, next_trigger: "REDELIVER", updated_at: now },
      )
      .where("id", "=", id)
      .where("status", "=", d.status)
      .where("claim", "is", null)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1)
      throw errors.conflict("An attempt at this delivery is under way; look again in a moment.");
    await recordAudit(trx, ctx, {
      action: "webhook_delivery.redelivered",
      objectType: "webhook_delivery",
      objectId: id,
      before: { status: d.status, attempts: d.attempts },
      after: { status: "PENDING", eventId: d.event_id, endpointId: d.endpoint_id },
    });
    return trx.selectFrom("webhook_deliveries").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  });
}
