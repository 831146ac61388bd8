import { sql } from "kysely";
import type { SplitLineItemBody } from "../../../../common/src/api/splits.js";
import type { RequestContext } from "../../actor.js";
import { recordAudit } from "../../audit.js";
import { lineItemsOf } from "../../db/repos/entitlements.js";
import { loadSettings } from "../../db/repos/settings.js";
import type { Db } from "../../db/schema.js";
import { generateId } from "../../domain/idTemplates.js";
import { configDifference, copiesWord } from "../../domain/splits.js";
import { errors } from "../../errors.js";
import { nowIso } from "../../util.js";
import { emitEntitlement, emitLineItems } from "../domainEvents.js";
import { entitlementRecord, recordEvent, retryOnIdCollision } from "../entitlementSupport.js";
import type { SplitOutcome } from "./bulkEntitlementSplitter.js";
import { insertTransferredEntitlement } from "./lifecycleSupport.js";
import { loadForSplit, namedTarget, notifySplitContact, splitPartners, splitTarget } from "./splitSupport.js";

/** The request body, as the route validated it (common/src/api/splits.ts). */
export type SplitLineItemInput = SplitLineItemBody;

/**
 * Split a line item (fno-notes splitLineItem): `count` of its available copies (never fulfilled
 * ones) move from the current owner to a related account in a tier not yet on the entitlement —
 * added to a matching DEPLOYED line item of the target's entitlement, or as a new entitlement for
 * it (its line item a child of this one). The source loses them by a conditional UPDATE that never
 * goes below its fulfilled count; when none are left it becomes OBSOLETE.
 */
export async function lineItemSplitter(
  db: Db,
  ctx: RequestContext,
  pk: string,
  lineItemId: string,
  input: SplitLineItemInput,
): Promise<SplitOutcome> {
  const settings = await loadSettings(db);
  const r = await retryOnIdCollision(() =>
    db.transaction().execute(async (trx) => {
      const source = await loadForSplit(trx, ctx, pk, "SIMPLE");
      const item = ((await lineItemsOf(trx, [pk])).get(pk) ?? []).find((i) => i.id === lineItemId && i.role === "LINE_ITEM");
      if (!item) throw errors.notFound("Line item", lineItemId);
      const activationId = item.activation_id ?? "";
      if (item.state !== "DEPLOYED")
        throw errors.invalidState(`Line item ${activationId} is ${item.state}; only a DEPLOYED line item can be split.`);
      const target = await splitTarget(trx, source, input);
      const n = input.count;
      const now = nowIso();
      const taken = await trx
        .updateTable("line_items")
        .set((eb) => ({
          number_of_copies: eb("number_of_copies", "-", n),
          state: sql<string>`CASE WHEN number_of_copies - ${n} = 0 THEN 'OBSOLETE' ELSE state END`,
          updated_at: now,
        }))
        .where("id", "=", item.id)
        .where("state", "=", "DEPLOYED")
        .where((eb) => eb(eb("number_of_copies", "-", eb.ref("fulfilled_count")), ">=", n))
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) !== 1) {
        const now2 = await trx
          .selectFrom("line_items")
          .select(["number_of_copies", "fulfilled_count"])
          .where("id", "=", item.id)
          .executeTakeFirstOrThrow();
        const available = now2.number_of_copies - now2.fulfilled_count;
        throw errors.notEnoughCopies(
          `Line item ${activationId} has ${copiesWord(available)} available (${now2.number_of_copies} in all, ${now2.fulfilled_count} fulfilled); ${n} cannot be split.`,
        );
      }
      let targetPk: string;
      let targetItemId: string;
      let targetEid: string;
      let targetActivationId: string;
      const created = !input.targetEntitlementId;
      if (input.targetEntitlementId) {
        const t = await namedTarget(trx, input.targetEntitlementId, "SIMPLE", pk, target.account.id);
        const items = ((await lineItemsOf(trx, [t.id])).get(t.id) ?? []).filter(
          (i) => i.role === "LINE_ITEM" && i.state === "DEPLOYED",
        );
        const match = items.find((i) => configDifference(item, i, { ignoreCopies: true }) === null);
        if (!match)
          throw errors.validation(
            "targetEntitlementId",
            `entitlement ${t.entitlement_id} has no DEPLOYED line item matching line item ${activationId} (same products, license model, attributes and dates)`,
          );
        const add = await trx
          .updateTable("line_items")
          .set((eb) => ({ number_of_copies: eb("number_of_copies", "+", n), updated_at: now }))
          .where("id", "=", match.id)
          .where("state", "=", "DEPLOYED")
          .executeTakeFirst();
        if (Number(add.numUpdatedRows) !== 1)
          throw errors.conflict(`Line item ${match.activation_id} changed at the same time; reload and retry.`);
        targetPk = t.id;
        targetItemId = match.id;
        targetEid = t.entitlement_id;
        targetActivationId = match.activation_id ?? "";
      } else {
        const idCtx = { kind: "SIMPLE" as const, orderId: source.row.order_id };
        targetEid = generateId(settings.idTemplates.entitlement, idCtx);
        targetActivationId = generateId(settings.idTemplates.activation, idCtx);
        const ins = await insertTransferredEntitlement(trx, ctx, {
          source: source.row,
          partners: splitPartners(source.partners, target),
          entitlementId: targetEid,
          idGenerated: true,
          items: [{ item, activationId: targetActivationId, idGenerated: true, copies: n }],
          now,
        });
        targetPk = ins.pk;
        targetItemId = ins.lineItemIds[0] as string;
        // Its lineage up the channel (the chain view and reports follow split_from_id).
        await trx.updateTable("entitlements").set({ split_from_id: pk }).where("id", "=", targetPk).execute();
      }
      const to = `account '${target.account.id}' (tier ${target.tierDisplayName})`;
      await recordEvent(
        trx,
        ctx,
        pk,
        "EVENT_PROPERTY_CHANGED",
        `${copiesWord(n)} of line item ${activationId} split from account '${source.owner.accountId}' to ${to}, entitlement ${targetEid} line item ${targetActivationId}`,
      );
      await recordEvent(
        trx,
        ctx,
        targetPk,
        created ? "EVENT_CREATED" : "EVENT_PROPERTY_CHANGED",
        `${copiesWord(n)} split from line item ${activationId} of entitlement ${source.row.entitlement_id} (account '${source.owner.accountId}') to ${to}`,
      );
      const remaining = item.number_of_copies - n;
      const detail = {
        moved: n,
        from: { entitlement: pk, lineItem: item.id, account: source.owner.accountId },
        to: { entitlement: targetPk, lineItem: targetItemId, account: target.account.id, tier: target.tier, created },
      };
      await recordAudit(trx, ctx, {
        action: "entitlement.line_item_split",
        objectType: "line_item",
        objectId: item.id,
        before: { numberOfCopies: item.number_of_copies, state: item.state },
        after: { numberOfCopies: remaining, state: remaining === 0 ? "OBSOLETE" : item.state, ...detail },
      });
      await recordAudit(trx, ctx, {
        action: created ? "entitlement.created_by_split" : "entitlement.line_item_split_received",
        objectType: created ? "entitlement" : "line_item",
        objectId: created ? targetPk : targetItemId,
        after: detail,
      });
      const splitFrom = { id: pk, lineItemId: item.id, activationId: item.activation_id, copies: n };
      await emitEntitlement(trx, ctx, "entitlement.split", pk, {
        moved: n,
        lineItemId: item.id,
        to: { id: targetPk, entitlementId: targetEid, accountId: target.account.id, lineItemId: targetItemId, created },
      });
      if (created) await emitEntitlement(trx, ctx, "entitlement.created", targetPk, { via: "entitlement.split", splitFrom });
      else
        await emitLineItems(trx, ctx, "line_item.updated", targetPk, [targetItemId], { changed: ["numberOfCopies"], splitFrom });
      await notifySplitContact(
        trx,
        ctx,
        target,
        { pk: targetPk, entitlementId: targetEid },
        copiesWord(n),
        source.owner.accountId,
      );
      return { targetPk, targetItemId, created };
    }),
  );
  return {
    entitlement: await entitlementRecord(db, r.targetPk),
    source: await entitlementRecord(db, pk),
    moved: input.count,
    created: r.created,
    lineItemId: r.targetItemId,
  };
}
