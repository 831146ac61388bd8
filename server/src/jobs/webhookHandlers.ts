import { deliverClaim, releaseClaim } from "../webhooks/delivery.js";
import { nudgeWebhooks } from "../webhooks/dispatcher.js";
import { registerJobHandler } from "./registry.js";

/**
 * The webhook job: `webhook.deliver` sends the deliveries its claim token owns (queued by the
 * webhook dispatcher, server/src/webhooks/). Each attempt's outcome commits as it ends, while the
 * claim is still the job's; what the job had not sent when it ended goes back unclaimed.
 */
export interface WebhookDeliverParams {
  claim: string;
}

declare module "./registry.js" {
  interface JobKinds {
    "webhook.deliver": WebhookDeliverParams;
  }
}

registerJobHandler("webhook.deliver", {
  async run(jc) {
    const { claim } = JSON.parse(jc.job.params) as WebhookDeliverParams;
    const report = await deliverClaim(jc.deps, claim, jc.cancelled);
    jc.progress(report.succeeded + report.retrying + report.failed);
    await jc.succeed(jc.deps.db, report);
    // Lines whose next delivery became due while this job ran: the dispatcher looks now.
    nudgeWebhooks(jc.deps.db);
  },
  async cleanup(deps, job) {
    const { claim } = JSON.parse(job.params) as WebhookDeliverParams;
    await releaseClaim(deps.db, claim);
  },
});
