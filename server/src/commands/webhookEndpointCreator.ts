import type { WebhookEndpointCreateBody } from "../../../common/src/api/webhooks.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Config } from "../config.js";
import { eventStreamEnd, type WebhookEndpointRecord } from "../db/repos/webhooks.js";
import type { Db } from "../db/schema.js";
import { authorize } from "../policies/index.js";
import { newId, nowIso } from "../util.js";
import { newWebhookSecret, sealWebhookSecret } from "../webhooks/secret.js";
import { checkEndpointInput, endpointOr404, endpointSnapshot } from "./webhookEndpointSupport.js";

export type WebhookEndpointCreateInput = WebhookEndpointCreateBody;

/**
 * Creates a webhook endpoint with a new secret (returned once, here), starting at the event
 * stream's current end: it gets the events that happen from now on, not the past.
 */
export async function webhookEndpointCreator(
  db: Db,
  config: Config,
  ctx: RequestContext,
  input: WebhookEndpointCreateInput,
): Promise<{ record: WebhookEndpointRecord; secret: string }> {
  authorize(ctx.actor, "webhook.write");
  const eventTypes = checkEndpointInput(config, input) as string[];
  const id = newId();
  const secret = newWebhookSecret();
  const sealed = sealWebhookSecret(config, id, secret);
  const record = await db.transaction().execute(async (trx) => {
    const end = await eventStreamEnd(trx);
    const now = nowIso();
    await trx
      .insertInto("webhook_endpoints")
      .values({
        id,
        url: input.url,
        description: input.description ?? null,
        event_types: JSON.stringify(eventTypes),
        secret_sealed: sealed,
        enabled: input.enabled === false ? 0 : 1,
        position_tx_id: end.txId,
        position_seq: end.seq,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const r = await endpointOr404(trx, id);
    await recordAudit(trx, ctx, {
      action: "webhook_endpoint.created",
      objectType: "webhook_endpoint",
      objectId: id,
      after: endpointSnapshot(r),
    });
    return r;
  });
  return { record, secret };
}
