import type { UpgradeBody } from "../../../../common/src/api/lifecycle.js";
import { derivedLineItemState, upgradePlan } from "../../../../common/src/rules/lifecycle.js";
import type { RequestContext } from "../../actor.js";
import { recordAudit } from "../../audit.js";
import { loadSettings } from "../../db/repos/settings.js";
import type { Db } from "../../db/schema.js";
import { nowIso } from "../../util.js";
import { emitLineItems } from "../domainEvents.js";
import { recordEvent, retryOnIdCollision } from "../entitlementSupport.js";
import {
  claimEntitlement,
  claimLineItem,
  insertDerivedLineItem,
  isRefusal,
  type LifecycleResult,
  loadForOp,
  refuse,
  relatedTarget,
  resultOf,
  targetConfig,
} from "./lifecycleSupport.js";

/** The request body, as the route validated it (common/src/api/lifecycle.ts). */
export type UpgradeLineItemInput = UpgradeBody;

/**
 * Upgrade (PRODUCT.md §3): a new UPGRADE line item for a product related as "upgrade to", with
 * `count` copies (all by default), child of the upgraded line item, same dates. A partial upgrade
 * takes the copies from the parent (never below its fulfilled count); a full one retires the
 * parent (OBSOLETE) unless `retireParent` is false.
 */
export async function lineItemUpgrader(
  db: Db,
  ctx: RequestContext,
  pk: string,
  lineItemId: string,
  input: UpgradeLineItemInput,
): Promise<LifecycleResult> {
  const settings = await loadSettings(db);
  const created = await retryOnIdCollision(() =>
    db.transaction().execute(async (trx) => {
      const { row, item } = await loadForOp(trx, ctx, pk, lineItemId, "UPGRADE", ["entitlement.update"]);
      const activationId = item.activation_id ?? "";
      const related = await relatedTarget(trx, "UPGRADE", item, input.productId);
      const plan = upgradePlan({
        activationId,
        copies: item.number_of_copies,
        fulfilled: item.fulfilled_count,
        count: input.count,
        retireParent: input.retireParent,
      });
      if (isRefusal(plan)) refuse(plan);
      const now = nowIso();
      await claimEntitlement(trx, ctx, row, now);
      const parent = plan.parent;
      if (parent.kind === "REDUCE") await claimLineItem(trx, item, now, { number_of_copies: parent.remaining }, parent.remaining);
      else if (parent.kind === "RETIRE") await claimLineItem(trx, item, now, { state: "OBSOLETE" }, 0);
      else await claimLineItem(trx, item, now, {}, item.number_of_copies);
      const child = await insertDerivedLineItem(trx, {
        row,
        parent: item,
        input: {
          ...(await targetConfig(trx, item, related, input)),
          numberOfCopies: plan.count,
          type: "UPGRADE",
        },
        state: derivedLineItemState(row.state),
        settings,
        now,
        fieldOf: (f) => (f.startsWith("products[") ? "productId" : f),
      });
      const copies = (n: number) => `${n} ${n === 1 ? "copy" : "copies"}`;
      const outcome =
        parent.kind === "REDUCE"
          ? `${activationId} keeps ${copies(parent.remaining)}`
          : parent.kind === "RETIRE"
            ? `${activationId} is retired (OBSOLETE)`
            : `${activationId} is kept as it was`;
      await recordEvent(
        trx,
        ctx,
        pk,
        "EVENT_PROPERTY_CHANGED",
        `Line item ${activationId} upgraded to ${related.label}: upgrade ${child.activationId} (${copies(plan.count)}); ${outcome}`,
      );
      if (parent.kind === "RETIRE")
        await recordEvent(trx, ctx, pk, "EVENT_STATE_CHANGED", `Line item ${activationId}: ${item.state} → OBSOLETE (upgraded)`);
      await recordAudit(trx, ctx, {
        action: "entitlement.line_item_upgraded",
        objectType: "line_item",
        objectId: child.id,
        before: { parentNumberOfCopies: item.number_of_copies, parentState: item.state },
        after: {
          parentLineItemId: item.id,
          parentActivationId: activationId,
          parentNumberOfCopies: parent.kind === "REDUCE" ? parent.remaining : item.number_of_copies,
          parentState: parent.kind === "RETIRE" ? "OBSOLETE" : item.state,
          activationId: child.activationId,
          productId: related.target.id,
          numberOfCopies: plan.count,
        },
      });
      await emitLineItems(trx, ctx, "line_item.created", pk, [child.id], {
        via: "upgrade",
        parentLineItemId: item.id,
        parentActivationId: activationId,
      });
      if (parent.kind === "RETIRE")
        await emitLineItems(trx, ctx, "line_item.state_changed", pk, [item.id], { previousState: item.state, via: "upgrade" });
      else if (parent.kind === "REDUCE")
        await emitLineItems(trx, ctx, "line_item.updated", pk, [item.id], { changed: ["numberOfCopies"], via: "upgrade" });
      return child.id;
    }),
  );
  return resultOf(db, pk, created);
}
