import { sql } from "kysely";
import type { StateType } from "../../../common/src/enums.js";
import { EDITABLE_STATES } from "../../../common/src/rules/entitlementStates.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isForeignKeyViolation } from "../db/constraints.js";
import type { Db, Trx } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { emitEntitlementRecord, entitlementSnapshot } from "./domainEvents.js";
import { entitlementJson, loadVisibleEntitlement } from "./entitlementSupport.js";

/**
 * Deletes a DRAFT or TEST entitlement with its line items, partners, history and (TEST) the
 * licenses generated from it (the audit log keeps them). A bulk entitlement's unredeemed keys go with it, in the same transaction and audited;
 * one with redeemed keys is refused: each redeemed key became an entitlement that is the
 * customer's (PRODUCT.md §3), and the key is its activation ID.
 *
 * The checks below give the reasons in words; the database's foreign keys are what actually
 * stop the delete, so a redemption or a lifecycle operation committed meanwhile is refused with
 * the same words (worked out again after the rollback), never with the constraint's text.
 */
export async function entitlementDeleter(db: Db, ctx: RequestContext, pk: string): Promise<void> {
  let label = `Entitlement ${pk}`;
  try {
    await db.transaction().execute(async (trx) => {
      const { row, ref } = await loadVisibleEntitlement(trx, ctx, pk);
      label = `Entitlement ${row.entitlement_id}`;
      authorize(ctx.actor, "entitlement.delete", ref);
      if (!EDITABLE_STATES.includes(row.state as StateType)) {
        throw errors.invalidState(
          `Entitlement ${row.entitlement_id} is ${row.state}; only DRAFT and TEST entitlements can be deleted (make it OBSOLETE instead).`,
        );
      }
      const why = await whyKept(trx, pk);
      if (why) throw errors.inUse(`${label} cannot be deleted: ${why}`);
      const before = await entitlementJson(trx, pk);
      const snapshot = await entitlementSnapshot(trx, pk);
      // Its unredeemed keys go with it (none is anyone's yet); a key redeemed meanwhile stays and
      // its foreign key refuses the delete below.
      const keys = await trx
        .deleteFrom("web_register_keys")
        .where("bulk_id", "=", pk)
        .where("status", "=", sql.lit("UNREDEEMED"))
        .executeTakeFirst();
      const keysDeleted = Number(keys.numDeletedRows);
      // A TEST entitlement's licenses (fulfillments, their hosts and support actions) go with it.
      const licenses = await trx.deleteFrom("fulfillments").where("entitlement_pk", "=", pk).executeTakeFirst();
      const fulfillmentsDeleted = Number(licenses.numDeletedRows);
      await trx.deleteFrom("entitlements").where("id", "=", pk).execute();
      if (fulfillmentsDeleted > 0) {
        await recordAudit(trx, ctx, {
          action: "fulfillments.deleted",
          objectType: "entitlement",
          objectId: pk,
          after: { deleted: fulfillmentsDeleted, reason: "entitlement deleted" },
        });
      }
      if (keysDeleted > 0) {
        await recordAudit(trx, ctx, {
          action: "keys.deleted",
          objectType: "entitlement",
          objectId: pk,
          before: { unredeemed: keysDeleted },
          after: { deleted: keysDeleted, reason: "entitlement deleted" },
        });
      }
      await recordAudit(trx, ctx, {
        action: "entitlement.deleted",
        objectType: "entitlement",
        objectId: pk,
        before: { ...(before as Record<string, unknown>), ...(row.kind === "BULK" ? { keysDeleted } : {}) } as never,
      });
      if (snapshot)
        await emitEntitlementRecord(trx, ctx, "entitlement.deleted", snapshot, {
          ...(row.kind === "BULK" ? { keysDeleted } : {}),
          fulfillmentsDeleted,
        });
    });
  } catch (err) {
    if (!isForeignKeyViolation(err)) throw err;
    // The transaction is gone (PostgreSQL aborts it); a fresh read says why.
    const why = await whyKept(db, pk);
    throw errors.inUse(`${label} cannot be deleted: ${why ?? "other records were made from it meanwhile; reload and retry"}`);
  }
}

/** Why other records still need this entitlement, in words, or null when nothing does. */
async function whyKept(db: Db | Trx, pk: string): Promise<string | null> {
  const redeemed = await db
    .selectFrom("web_register_keys")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .where("bulk_id", "=", pk)
    .where("status", "=", sql.lit("REDEEMED"))
    .executeTakeFirst();
  const n = Number(redeemed?.n ?? 0);
  if (n > 0)
    return `${n} of its web register keys ${n === 1 ? "has" : "have"} been redeemed, and each redeemed key's entitlement belongs to the customer who redeemed it.`;
  const child = await db.selectFrom("entitlements").select("entitlement_id").where("parent_bulk_id", "=", pk).executeTakeFirst();
  if (child) return `entitlement ${child.entitlement_id} was redeemed from its keys.`;
  const derived = await db
    .selectFrom("line_items as c")
    .innerJoin("line_items as p", "p.id", "c.parent_line_item_id")
    .innerJoin("entitlements as e", "e.id", "c.entitlement_id")
    .select(["e.entitlement_id", "c.activation_id"])
    .where("p.entitlement_id", "=", pk)
    .where("c.entitlement_id", "!=", pk)
    .executeTakeFirst();
  if (derived)
    return `line item ${derived.activation_id ?? ""} of entitlement ${derived.entitlement_id} was made from one of its line items (transfer, split, renewal, upgrade or upsell) and keeps it as its lineage.`;
  return null;
}
