import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Config } from "../config.js";
import type { WebhookEndpointRecord } from "../db/repos/webhooks.js";
import type { Db } from "../db/schema.js";
import { authorize } from "../policies/index.js";
import { nowIso } from "../util.js";
import { newWebhookSecret, sealWebhookSecret } from "../webhooks/secret.js";
import { endpointOr404 } from "./webhookEndpointSupport.js";

/** Gives an endpoint a new secret (returned once, here); attempts from now on are signed with it. */
export async function webhookSecretRotator(
  db: Db,
  config: Config,
  ctx: RequestContext,
  id: string,
): Promise<{ record: WebhookEndpointRecord; secret: string }> {
  authorize(ctx.actor, "webhook.write");
  const secret = newWebhookSecret();
  const sealed = sealWebhookSecret(config, id, secret);
  const record = await db.transaction().execute(async (trx) => {
    await endpointOr404(trx, id);
    await trx
      .updateTable("webhook_endpoints")
      .set({ secret_sealed: sealed, updated_at: nowIso() })
      .where("id", "=", id)
      .execute();
    // The audit says that it changed, never what it is.
    await recordAudit(trx, ctx, { action: "webhook_endpoint.secret_rotated", objectType: "webhook_endpoint", objectId: id });
    return endpointOr404(trx, id);
  });
  return { record, secret };
}
