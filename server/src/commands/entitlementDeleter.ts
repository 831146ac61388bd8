import type { StateType } from "../../../common/src/enums.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Db } from "../db/schema.js";
import { EDITABLE_STATES } from "../domain/entitlementStates.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { entitlementJson, loadVisibleEntitlement } from "./entitlementSupport.js";

/** Deletes a DRAFT or TEST entitlement with its line items, partners and history (the audit log keeps it). */
export async function entitlementDeleter(db: Db, ctx: RequestContext, pk: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const { row, ref } = await loadVisibleEntitlement(trx, ctx, pk);
    authorize(ctx.actor, "entitlement.delete", ref);
    if (!EDITABLE_STATES.includes(row.state as StateType)) {
      throw errors.invalidState(
        `Entitlement ${row.entitlement_id} is ${row.state}; only DRAFT and TEST entitlements can be deleted (make it OBSOLETE instead).`,
      );
    }
    const children = await trx.selectFrom("entitlements").select("id").where("parent_bulk_id", "=", pk).executeTakeFirst();
    if (children)
      throw errors.inUse(`Entitlement ${row.entitlement_id} has entitlements redeemed from its keys; it cannot be deleted.`);
    const before = await entitlementJson(trx, pk);
    await trx.deleteFrom("entitlements").where("id", "=", pk).execute();
    await recordAudit(trx, ctx, {
      action: "entitlement.deleted",
      objectType: "entitlement",
      objectId: pk,
      before: before as never,
    });
  });
}
