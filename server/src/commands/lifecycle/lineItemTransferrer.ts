import type { TransferLineItemBody } from "../../../../common/src/api/lifecycle.js";
import {
  currentHolder,
  lineItemTransferPlan,
  transferredId,
  transferredPartners,
} from "../../../../common/src/rules/lifecycle.js";
import type { RequestContext } from "../../actor.js";
import { recordAudit } from "../../audit.js";
import { loadSettings } from "../../db/repos/settings.js";
import type { Db } from "../../db/schema.js";
import { generateId } from "../../domain/idTemplates.js";
import { errors } from "../../errors.js";
import { nowIso } from "../../util.js";
import { emitEntitlement, emitLineItems } from "../domainEvents.js";
import { entitlementJson, entitlementRecord, recordEvent, retryOnIdCollision } from "../entitlementSupport.js";
import type { TransferResult } from "./entitlementTransferrer.js";
import {
  claimEntitlement,
  claimLineItem,
  insertTransferredEntitlement,
  isRefusal,
  loadForOp,
  partnerEntries,
  refuse,
  targetAccount,
} from "./lifecycleSupport.js";

/** The request body, as the route validated it (common/src/api/lifecycle.ts). */
export type TransferLineItemInput = TransferLineItemBody;

/**
 * Transfer N copies of a line item (fno-notes §5): a new simple entitlement for the target account
 * with one line item of `count` copies, child of the source item, same configuration, state and
 * dates. The source item loses those copies (never below its fulfilled count) or, when all move,
 * becomes OBSOLETE. The new entitlement takes the source's header, state and other tiers.
 */
export async function lineItemTransferrer(
  db: Db,
  ctx: RequestContext,
  pk: string,
  lineItemId: string,
  input: TransferLineItemInput,
): Promise<TransferResult> {
  const settings = await loadSettings(db);
  const newPk = await retryOnIdCollision(() =>
    db.transaction().execute(async (trx) => {
      const { row, item } = await loadForOp(trx, ctx, pk, lineItemId, "TRANSFER_LINE_ITEM", [
        "entitlement.update",
        "entitlement.changeState",
      ]);
      const activationId = item.activation_id ?? "";
      const plan = lineItemTransferPlan({
        activationId,
        copies: item.number_of_copies,
        fulfilled: item.fulfilled_count,
        count: input.count,
        keepIds: input.keepIds,
      });
      if (isRefusal(plan)) refuse(plan);
      const target = await targetAccount(trx, input.accountId);
      const partners = await partnerEntries(trx, pk);
      const from = currentHolder(partners);
      if (from === target.id)
        throw errors.validation("accountId", `entitlement ${row.entitlement_id} already belongs to account '${target.id}'`);
      const now = nowIso();
      const keep = input.keepIds === true;
      const renamed = keep ? transferredId(activationId, Date.now()) : activationId;
      await claimEntitlement(trx, ctx, row, now);
      const parent = plan.parent;
      if (parent.kind === "REDUCE") await claimLineItem(trx, item, now, { number_of_copies: parent.remaining }, parent.remaining);
      else await claimLineItem(trx, item, now, { state: "OBSOLETE", ...(keep ? { activation_id: renamed } : {}) }, 0);
      const idCtx = { kind: "SIMPLE" as const, orderId: row.order_id };
      const newEid = generateId(settings.idTemplates.entitlement, idCtx);
      const newActivationId = keep ? activationId : generateId(settings.idTemplates.activation, idCtx);
      const created = await insertTransferredEntitlement(trx, ctx, {
        source: row,
        partners: transferredPartners(partners, target.id),
        entitlementId: newEid,
        idGenerated: true,
        items: [{ item, activationId: newActivationId, idGenerated: !keep || item.id_generated === 1, copies: plan.count }],
        now,
      });
      // A redeemed key whose activation ID moved with all copies follows it, as with a transferred
      // entitlement: re-entering it finds the new owner's entitlement, and its row shows the new
      // owner only (not the old owner's person or who redeemed it).
      if (keep && parent.kind !== "REDUCE") {
        await trx
          .updateTable("web_register_keys")
          .set({ entitlement_id: created.pk, sold_to: target.id, owner: null, redeemed_by: null, redeemed_by_label: null })
          .where("entitlement_id", "=", pk)
          .where("key", "=", activationId)
          .execute();
      }
      const copies = `${plan.count} of ${item.number_of_copies} ${item.number_of_copies === 1 ? "copy" : "copies"}`;
      const fromWords = from ? `account '${from}'` : "no account";
      await recordEvent(
        trx,
        ctx,
        pk,
        "EVENT_TRANSFERRED",
        `${copies} of line item ${activationId} transferred from ${fromWords} to account '${target.id}' (entitlement ${newEid}, line item ${newActivationId})${
          parent.kind === "REDUCE" ? `; ${activationId} keeps ${parent.remaining}` : ""
        }${keep ? `; this line item renamed ${renamed}` : ""}`,
      );
      if (parent.kind !== "REDUCE")
        await recordEvent(
          trx,
          ctx,
          pk,
          "EVENT_STATE_CHANGED",
          `Line item ${renamed}: ${item.state} → OBSOLETE (all copies transferred)`,
        );
      await recordEvent(
        trx,
        ctx,
        created.pk,
        "EVENT_CREATED",
        `Created by transferring ${copies} of line item ${renamed} of entitlement ${row.entitlement_id}`,
      );
      await recordEvent(
        trx,
        ctx,
        created.pk,
        "EVENT_TRANSFERRED",
        `Transferred from ${fromWords} (entitlement ${row.entitlement_id}, line item ${renamed}) to account '${target.id}'`,
      );
      await recordAudit(trx, ctx, {
        action: "entitlement.line_item_transferred",
        objectType: "line_item",
        objectId: item.id,
        before: { activationId, numberOfCopies: item.number_of_copies, state: item.state },
        after: {
          activationId: renamed,
          numberOfCopies: parent.kind === "REDUCE" ? parent.remaining : item.number_of_copies,
          state: parent.kind === "REDUCE" ? item.state : "OBSOLETE",
          transferredCopies: plan.count,
          toAccount: target.id,
          toEntitlement: created.pk,
          toLineItem: created.lineItemIds[0],
        },
      });
      const json = await entitlementJson(trx, created.pk);
      await recordAudit(trx, ctx, {
        action: "entitlement.created",
        objectType: "entitlement",
        objectId: created.pk,
        after: { ...(json as unknown as Record<string, unknown>), transferredFromLineItem: item.id },
      });
      await emitLineItems(trx, ctx, parent.kind === "REDUCE" ? "line_item.updated" : "line_item.state_changed", pk, [item.id], {
        ...(parent.kind === "REDUCE" ? { changed: ["numberOfCopies"] } : { previousState: item.state }),
        transferred: { copies: plan.count, to: { id: created.pk, entitlementId: newEid, accountId: target.id } },
      });
      await emitEntitlement(trx, ctx, "entitlement.created", created.pk, {
        via: "line_item.transferred",
        transferredFrom: { id: pk, lineItemId: item.id, activationId, accountId: from },
      });
      return created.pk;
    }),
  );
  return { entitlement: await entitlementRecord(db, newPk), source: await entitlementRecord(db, pk) };
}
