import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Config } from "../config.js";
import type { WebhookEndpointRecord } from "../db/repos/webhooks.js";
import type { Db } from "../db/schema.js";
import { authorize } from "../policies/index.js";
import { openWebhookSecret } from "../webhooks/secret.js";
import { endpointOr404 } from "./webhookEndpointSupport.js";

/** An admin's explicit look at an endpoint's secret: audited (that it was shown, to whom; never the secret). */
export async function webhookSecretRevealer(
  db: Db,
  config: Config,
  ctx: RequestContext,
  id: string,
): Promise<{ record: WebhookEndpointRecord; secret: string }> {
  authorize(ctx.actor, "webhook.write");
  return db.transaction().execute(async (trx) => {
    const record = await endpointOr404(trx, id);
    const secret = openWebhookSecret(config, id, record.secret_sealed);
    await recordAudit(trx, ctx, { action: "webhook_endpoint.secret_revealed", objectType: "webhook_endpoint", objectId: id });
    return { record, secret };
  });
}
