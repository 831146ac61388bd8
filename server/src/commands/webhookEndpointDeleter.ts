import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Db } from "../db/schema.js";
import { authorize } from "../policies/index.js";
import { endpointOr404, endpointSnapshot } from "./webhookEndpointSupport.js";

/** Deletes an endpoint with its deliveries and their log (a job sending one of them finds it gone and records nothing). */
export async function webhookEndpointDeleter(db: Db, ctx: RequestContext, id: string): Promise<void> {
  authorize(ctx.actor, "webhook.write");
  await db.transaction().execute(async (trx) => {
    const before = await endpointOr404(trx, id);
    // Explicitly, not only by the foreign keys' cascade: the same on both databases whatever their settings.
    const deliveries = trx.selectFrom("webhook_deliveries").select("id").where("endpoint_id", "=", id);
    await trx.deleteFrom("webhook_delivery_attempts").where("delivery_id", "in", deliveries).execute();
    await trx.deleteFrom("webhook_deliveries").where("endpoint_id", "=", id).execute();
    await trx.deleteFrom("webhook_endpoints").where("id", "=", id).execute();
    await recordAudit(trx, ctx, {
      action: "webhook_endpoint.deleted",
      objectType: "webhook_endpoint",
      objectId: id,
      before: endpointSnapshot(before),
    });
  });
}
