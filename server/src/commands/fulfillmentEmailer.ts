import type { EmailLicenseBody } from "../../../common/src/api/fulfillments.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { recipientsOf } from "../mail/outbox.js";
import { authorize } from "../policies/index.js";
import { emailLicense } from "./fulfillmentIssue.js";
import { loadVisibleFulfillment } from "./fulfillmentReader.js";

const EMAIL_LIKE = /^[^@\s<>",;]+@[^@\s<>",;]+\.[^@\s<>",;]+$/;

/**
 * Emails a license again (FNO's "Email License"): to the addresses given, or to the fulfillment's
 * ship-to list, as a queued message of the outbox with the license file attached; audited.
 * Whoever may read the license may send it (a customer to themselves or a colleague).
 */
export async function fulfillmentEmailer(
  db: Db,
  ctx: RequestContext,
  fid: string,
  body: EmailLicenseBody,
): Promise<{ messageId: string; recipients: string[] }> {
  return db.transaction().execute(async (trx) => {
    const { record, ref } = await loadVisibleFulfillment(trx, ctx, fid);
    authorize(ctx.actor, "fulfillment.email", ref);
    const to = recipientsOf(body.to ?? record.ship_to_email);
    if (to.length === 0)
      throw errors.validation("to", "give at least one address: this license has no ship-to email to send it to");
    const bad = to.find((a) => !EMAIL_LIKE.test(a));
    if (bad) throw errors.validation("to", `'${bad}' is not an email address`);
    const messageId = (await emailLicense(trx, ctx, record, to)) as string;
    await recordAudit(trx, ctx, {
      action: "fulfillment.emailed",
      objectType: "fulfillment",
      objectId: record.fulfillment_id,
      after: { to, messageId },
    });
    return { messageId, recipients: to };
  });
}
