import type { WebhookEndpointUpdateBody } from "../../../common/src/api/webhooks.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Config } from "../config.js";
import { eventStreamEnd, type WebhookEndpointRecord } from "../db/repos/webhooks.js";
import type { Db, WebhookEndpointsTable } from "../db/schema.js";
import { authorize } from "../policies/index.js";
import { nowIso } from "../util.js";
import { checkEndpointInput, endpointOr404, endpointSnapshot } from "./webhookEndpointSupport.js";

export type WebhookEndpointUpdateInput = WebhookEndpointUpdateBody;

/**
 * Changes an endpoint's URL, description, filter or enabled flag. An endpoint enabled again starts
 * at the stream's current end, like a new one: what happened while it was disabled is not sent.
 */
export async function webhookEndpointUpdater(
  db: Db,
  config: Config,
  ctx: RequestContext,
  id: string,
  input: WebhookEndpointUpdateInput,
): Promise<WebhookEndpointRecord> {
  authorize(ctx.actor, "webhook.write");
  const eventTypes = checkEndpointInput(config, input);
  return db.transaction().execute(async (trx) => {
    const before = await endpointOr404(trx, id);
    const set: Partial<WebhookEndpointsTable> = { updated_at: nowIso() };
    if (input.url !== undefined) set.url = input.url;
    if (input.description !== undefined) set.description = input.description;
    if (eventTypes) set.event_types = JSON.stringify(eventTypes);
    if (input.enabled !== undefined) {
      set.enabled = input.enabled ? 1 : 0;
      if (input.enabled && before.enabled === 0) {
        const end = await eventStreamEnd(trx);
        set.position_tx_id = end.txId;
        set.position_seq = end.seq;
      }
    }
    await trx.updateTable("webhook_endpoints").set(set).where("id", "=", id).execute();
    const after = await endpointOr404(trx, id);
    await recordAudit(trx, ctx, {
      action: "webhook_endpoint.updated",
      objectType: "webhook_endpoint",
      objectId: id,
      before: endpointSnapshot(before),
      after: endpointSnapshot(after),
    });
    return after;
  });
}
