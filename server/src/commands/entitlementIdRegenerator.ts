import { EDITABLE_STATES, isEditableState } from "../../../common/src/rules/entitlementStates.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { EntitlementRecord } from "../db/repos/entitlements.js";
import { loadSettings } from "../db/repos/settings.js";
import type { Db } from "../db/schema.js";
import { generateId } from "../domain/idTemplates.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { nowIso } from "../util.js";
import { emitEntitlement } from "./domainEvents.js";
import { entitlementRecord, loadVisibleEntitlement, recordEvent, retryOnIdCollision } from "./entitlementSupport.js";

/**
 * Regenerate IDs (FNO): while the entitlement is DRAFT or TEST, a new entitlement ID and new
 * activation IDs for its DRAFT (or TEST) line items, from the current templates and the
 * entitlement's current fields (order ID…). Collisions are retried by the database constraint.
 *
 * An entitlement redeemed from a key (TEST under a test bulk) keeps its redeemed line item's
 * activation ID: it is the key, and redeeming the key again must find it (PRODUCT.md §3). Only
 * DRAFT line items added to it later get new IDs.
 */
export async function entitlementIdRegenerator(db: Db, ctx: RequestContext, pk: string): Promise<EntitlementRecord> {
  const settings = await loadSettings(db);
  await retryOnIdCollision(() =>
    db.transaction().execute(async (trx) => {
      const { row, ref } = await loadVisibleEntitlement(trx, ctx, pk);
      authorize(ctx.actor, "entitlement.update", ref);
      if (!isEditableState(row.state)) {
        throw errors.invalidState(
          `Entitlement ${row.entitlement_id} is ${row.state}; IDs can be regenerated only while it is DRAFT or TEST.`,
        );
      }
      const idCtx = { kind: row.kind as "SIMPLE" | "BULK", orderId: row.order_id };
      const now = nowIso();
      const newEntitlementId = generateId(settings.idTemplates.entitlement, idCtx);
      await trx
        .updateTable("entitlements")
        .set({ entitlement_id: newEntitlementId, id_generated: 1, updated_at: now, updated_by: ctx.actor.userId })
        .where("id", "=", pk)
        .execute();
      const items = await trx
        .selectFrom("line_items")
        .select(["id", "activation_id"])
        .where("entitlement_id", "=", pk)
        .where("role", "=", "LINE_ITEM")
        .where("state", "in", row.parent_bulk_id ? ["DRAFT"] : EDITABLE_STATES)
        .orderBy("position")
        .execute();
      const renamed: Record<string, string> = {};
      for (const item of items) {
        const next = generateId(settings.idTemplates.activation, idCtx);
        await trx
          .updateTable("line_items")
          .set({ activation_id: next, id_generated: 1, updated_at: now })
          .where("id", "=", item.id)
          .execute();
        renamed[item.activation_id ?? item.id] = next;
      }
      const desc = `IDs regenerated: ${row.entitlement_id} → ${newEntitlementId}${
        items.length
          ? `; ${Object.entries(renamed)
              .map(([a, b]) => `${a} → ${b}`)
              .join(", ")}`
          : ""
      }`;
      await recordEvent(trx, ctx, pk, "EVENT_PROPERTY_CHANGED", desc);
      await recordAudit(trx, ctx, {
        action: "entitlement.ids_regenerated",
        objectType: "entitlement",
        objectId: pk,
        before: { entitlementId: row.entitlement_id, activationIds: Object.keys(renamed) },
        after: { entitlementId: newEntitlementId, activationIds: Object.values(renamed) },
      });
      await emitEntitlement(trx, ctx, "entitlement.updated", pk, {
        changed: ["entitlementId", ...(items.length ? ["lineItems.activationId"] : [])],
        previousEntitlementId: row.entitlement_id,
      });
    }),
  );
  return entitlementRecord(db, pk);
}
