import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Db } from "../db/schema.js";
import { emailProblem } from "../domain/users.js";
import { errors } from "../errors.js";
import { queueEntitlementCertificate, recipientsOf } from "../mail/outbox.js";
import { authorize } from "../policies/index.js";
import { loadVisibleEntitlement } from "./entitlementSupport.js";

export interface EntitlementEmailInput {
  /** Addresses to send to besides (or, with `onlyThese`, instead of) the entitlement's ship-to list. */
  to?: string[];
  /** FNO's ignoreExistingEmailList: leave the ship-to list out. */
  onlyThese?: boolean;
}

/**
 * Emails an entitlement's certificate on demand (FNO's emailEntitlement): the same message the
 * deployment queues (the `entitlementCertificate` template, the certificate attached), to the
 * ship-to list and/or the addresses given, as one queued message of the outbox; audited. Producer
 * writers may send it, as they may deploy (which sends it too).
 */
export async function entitlementEmailer(
  db: Db,
  ctx: RequestContext,
  pk: string,
  input: EntitlementEmailInput,
): Promise<{ messageId: string; recipients: string[] }> {
  return db.transaction().execute(async (trx) => {
    const { row, ref } = await loadVisibleEntitlement(trx, ctx, pk, { anyId: true });
    authorize(ctx.actor, "entitlement.update", ref);
    const to = recipientsOf([...(input.onlyThese ? [] : recipientsOf(row.ship_to_email)), ...(input.to ?? [])]);
    if (to.length === 0)
      throw errors.validation("to", `give at least one address: entitlement ${row.entitlement_id} has no ship-to email`);
    const bad = to.find((a) => emailProblem(a) !== null);
    if (bad !== undefined) throw errors.validation("to", `'${bad}' is not an email address`);
    const messageId = (await queueEntitlementCertificate(trx, ctx, row.id, to)) as string;
    await recordAudit(trx, ctx, {
      action: "entitlement.emailed",
      objectType: "entitlement",
      objectId: row.id,
      after: { to, messageId },
    });
    return { messageId, recipients: to };
  });
}
