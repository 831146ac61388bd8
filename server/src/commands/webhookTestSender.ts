import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Config } from "../config.js";
import { recordEvents } from "../db/repos/events.js";
import type { Db, WebhookDeliveriesTable } from "../db/schema.js";
import { authorize } from "../policies/index.js";
import { deliveryRow } from "../webhooks/fanout.js";
import { endpointOr404 } from "./webhookEndpointSupport.js";

/**
 * Sends a `webhook.test` event to one endpoint: the event is recorded (so it has an id and a body
 * like any other) and its delivery to this endpoint written in the same transaction; the fan-out
 * never gives `webhook.test` to any other endpoint. The delivery goes out in the background like
 * every other one; the caller nudges the dispatcher.
 */
export async function webhookTestSender(
  db: Db,
  config: Config,
  ctx: RequestContext,
  id: string,
): Promise<WebhookDeliveriesTable> {
  authorize(ctx.actor, "webhook.write");
  return db.transaction().execute(async (trx) => {
    const ep = await endpointOr404(trx, id);
    await recordEvents(trx, ctx, [
      {
        type: "webhook.test",
        subjectType: "webhook_endpoint",
        subjectId: id,
        data: { endpointId: id, url: ep.url, message: "A test event sent from Licensor." },
      },
    ]);
    const event = await trx
      .selectFrom("events")
      .selectAll()
      .where("subject_type", "=", "webhook_endpoint")
      .where("subject_id", "=", id)
      .where("type", "=", "webhook.test")
      .orderBy("seq", "desc")
      .limit(1)
      .executeTakeFirstOrThrow();
    const row = { ...deliveryRow(id, event, config.webhookRetryWindowMs), next_trigger: "TEST" as const };
    await trx.insertInto("webhook_deliveries").values(row).execute();
    await recordAudit(trx, ctx, {
      action: "webhook_endpoint.test_sent",
      objectType: "webhook_endpoint",
      objectId: id,
      after: { eventId: event.id, deliveryId: row.id },
    });
    return trx.selectFrom("webhook_deliveries").selectAll().where("id", "=", row.id).executeTakeFirstOrThrow();
  });
}
