import type { TransferBody } from "../../../../common/src/api/lifecycle.js";
import {
  currentHolder,
  entitlementOpProblem,
  transferredId,
  transferredPartners,
} from "../../../../common/src/rules/lifecycle.js";
import type { RequestContext } from "../../actor.js";
import { recordAudit } from "../../audit.js";
import { type EntitlementRecord, lineItemsOf } from "../../db/repos/entitlements.js";
import { loadSettings } from "../../db/repos/settings.js";
import type { Db } from "../../db/schema.js";
import { generateId } from "../../domain/idTemplates.js";
import { errors } from "../../errors.js";
import { authorize } from "../../policies/index.js";
import { nowIso } from "../../util.js";
import { emitEntitlement } from "../domainEvents.js";
import {
  entitlementJson,
  entitlementRecord,
  loadVisibleEntitlement,
  recordEvent,
  retryOnIdCollision,
} from "../entitlementSupport.js";
import {
  claimEntitlement,
  claimLineItem,
  insertTransferredEntitlement,
  partnerEntries,
  targetAccount,
} from "./lifecycleSupport.js";

/** The request body, as the route validated it (common/src/api/lifecycle.ts). */
export type TransferEntitlementInput = TransferBody;

export interface TransferResult {
  /** The new entitlement, held by the target account. */
  entitlement: EntitlementRecord;
  /** The source entitlement, now OBSOLETE (renamed when the IDs were kept). */
  source: EntitlementRecord;
}

/**
 * Transfer entitlement (fno-notes §5): a new simple entitlement for the target account with the
 * source's line items (those not OBSOLETE; fulfilled count 0, each the child of its source item),
 * its header and its other tiers; the source becomes OBSOLETE with its line items. Only simple
 * entitlements ("a bulk entitlement can be split") and only without fulfillments ("return the
 * fulfillments first"). A redeemed key's record keeps pointing at the source entitlement.
 */
export async function entitlementTransferrer(
  db: Db,
  ctx: RequestContext,
  pk: string,
  input: TransferEntitlementInput,
): Promise<TransferResult> {
  const keepIds = input.keepIds ?? true;
  const settings = await loadSettings(db);
  const newPk = await retryOnIdCollision(() =>
    db.transaction().execute(async (trx) => {
      const { row, ref } = await loadVisibleEntitlement(trx, ctx, pk);
      authorize(ctx.actor, "entitlement.update", ref);
      authorize(ctx.actor, "entitlement.changeState", ref);
      const p = entitlementOpProblem("TRANSFER", { entitlementId: row.entitlement_id, kind: row.kind, state: row.state });
      if (p) throw errors.invalidState(p);
      const target = await targetAccount(trx, input.accountId);
      const partners = await partnerEntries(trx, pk);
      const from = currentHolder(partners);
      if (from === target.id)
        throw errors.validation("accountId", `entitlement ${row.entitlement_id} already belongs to account '${target.id}'`);
      const items = ((await lineItemsOf(trx, [pk])).get(pk) ?? []).filter((i) => i.role === "LINE_ITEM");
      // OBSOLETE line items stay behind as they are; the others move.
      const moving = items.filter((i) => i.state !== "OBSOLETE");
      const used = moving.filter((i) => i.fulfilled_count > 0);
      if (used.length) {
        throw errors.invalidState(
          `Entitlement ${row.entitlement_id} has fulfillments on ${used
            .map((i) => `line item ${i.activation_id} (${i.fulfilled_count})`)
            .join(", ")}; return the fulfillments first, then transfer it.`,
        );
      }
      const now = nowIso();
      const ms = Date.now();
      const sourceId = keepIds ? transferredId(row.entitlement_id, ms) : row.entitlement_id;
      // The source first: renamed (IDs kept) and OBSOLETE, each item claimed only while still unfulfilled.
      await claimEntitlement(trx, ctx, row, now, { state: "OBSOLETE", entitlement_id: sourceId });
      for (const i of moving) {
        const rename = keepIds && i.activation_id;
        await claimLineItem(
          trx,
          i,
          now,
          { state: "OBSOLETE", ...(rename ? { activation_id: transferredId(i.activation_id as string, ms) } : {}) },
          0,
        );
      }
      const idCtx = { kind: "SIMPLE" as const, orderId: row.order_id };
      const newEid = keepIds ? row.entitlement_id : generateId(settings.idTemplates.entitlement, idCtx);
      const created = await insertTransferredEntitlement(trx, ctx, {
        source: row,
        partners: transferredPartners(partners, target.id),
        entitlementId: newEid,
        idGenerated: keepIds ? row.id_generated === 1 : true,
        items: moving.map((i) => ({
          item: i,
          activationId: keepIds ? (i.activation_id as string) : generateId(settings.idTemplates.activation, idCtx),
          idGenerated: keepIds ? i.id_generated === 1 : true,
          copies: i.number_of_copies,
        })),
        now,
      });
      const fromWords = from ? `account '${from}'` : "no account";
      // A redeemed key follows its entitlement: re-entering it finds the new owner's entitlement.
      // Its row then shows the new owner only: the person typed at redemption (Owner) and who
      // redeemed it ("by") were the old owner's; the key.redeemed audit event keeps who it was.
      const keysMoved = await trx
        .updateTable("web_register_keys")
        .set({ entitlement_id: created.pk, sold_to: target.id, owner: null, redeemed_by: null, redeemed_by_label: null })
        .where("entitlement_id", "=", pk)
        .executeTakeFirst();
      const keys = Number(keysMoved.numUpdatedRows) > 0;
      await recordEvent(trx, ctx, pk, "EVENT_STATE_CHANGED", `${row.state} → OBSOLETE (transferred)`);
      await recordEvent(
        trx,
        ctx,
        pk,
        "EVENT_TRANSFERRED",
        `Transferred from ${fromWords} to account '${target.id}' as entitlement ${newEid}${
          keepIds ? `; IDs kept, this entitlement renamed ${sourceId}` : ""
        }${keys ? "; its redeemed key now refers to the new entitlement" : ""}`,
      );
      await recordEvent(
        trx,
        ctx,
        created.pk,
        "EVENT_CREATED",
        `Created by transferring entitlement ${sourceId} with ${moving.length} line item${moving.length === 1 ? "" : "s"}`,
      );
      await recordEvent(
        trx,
        ctx,
        created.pk,
        "EVENT_TRANSFERRED",
        `Transferred from ${fromWords} (entitlement ${sourceId}) to account '${target.id}'`,
      );
      await recordAudit(trx, ctx, {
        action: "entitlement.transferred",
        objectType: "entitlement",
        objectId: pk,
        before: { entitlementId: row.entitlement_id, state: row.state, owner: from },
        after: { entitlementId: sourceId, state: "OBSOLETE", owner: from, transferredTo: created.pk, toAccount: target.id },
      });
      const json = await entitlementJson(trx, created.pk);
      await recordAudit(trx, ctx, {
        action: "entitlement.created",
        objectType: "entitlement",
        objectId: created.pk,
        after: { ...(json as unknown as Record<string, unknown>), transferredFrom: pk },
      });
      const transferredTo = { id: created.pk, entitlementId: newEid, accountId: target.id };
      await emitEntitlement(trx, ctx, "entitlement.transferred", pk, { previousState: row.state, to: transferredTo });
      await emitEntitlement(trx, ctx, "entitlement.created", created.pk, {
        via: "entitlement.transferred",
        transferredFrom: { id: pk, entitlementId: sourceId, accountId: from },
      });
      return created.pk;
    }),
  );
  return { entitlement: await entitlementRecord(db, newPk), source: await entitlementRecord(db, pk) };
}
