import type { StateType } from "../../../common/src/enums.js";
import { isEditable } from "../../../common/src/rules/entitlementStates.js";
import { normaliseShipToEmail, resolvePartners } from "../../../common/src/rules/entitlements.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { EntitlementRecord } from "../db/repos/entitlements.js";
import { loadSettings } from "../db/repos/settings.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { nowIso } from "../util.js";
import { emitEntitlement } from "./domainEvents.js";
import { type EntitlementHeaderInput, headerProblems } from "./entitlementCreator.js";
import { deployEntitlement } from "./entitlementStateChanger.js";
import {
  entitlementJson,
  entitlementRecord,
  loadVisibleEntitlement,
  partnerProblems,
  recordEvent,
  replacePartners,
} from "./entitlementSupport.js";

const DESCRIPTIVE = new Set(["description"]);

/**
 * Edits an entitlement's header and channel partners. Only DRAFT and TEST entitlements change
 * freely; with "allow editing of deployed entities" a DEPLOYED one may change its description.
 * Changing the entitlement ID means specifying a new one (Regenerate IDs makes a new generated one).
 * With `autoDeploy` a DRAFT entitlement is deployed right after the update, in the same
 * transaction (PRODUCT.md §3: "autoDeploy deploys right after create/update"); a refused deploy
 * takes the update back with it.
 */
export async function entitlementUpdater(
  db: Db,
  ctx: RequestContext,
  pk: string,
  patch: EntitlementHeaderInput & { autoDeploy?: boolean },
): Promise<EntitlementRecord> {
  const { autoDeploy, ...input } = patch;
  const problems = headerProblems(input);
  if (problems.length) throw errors.validationMany(problems);
  await db.transaction().execute(async (trx) => {
    const { row, ref } = await loadVisibleEntitlement(trx, ctx, pk);
    authorize(ctx.actor, "entitlement.update", ref);
    const before = await entitlementJson(trx, pk);
    const settings = await loadSettings(trx);
    const changing = Object.keys(input).filter((k) => (input as Record<string, unknown>)[k] !== undefined);
    const onlyDescriptive = changing.every((k) => DESCRIPTIVE.has(k));
    if (!isEditable(row.state as StateType, settings.allowEditDeployed, onlyDescriptive ? "datesOrDescription" : "any")) {
      throw errors.invalidState(
        `Entitlement ${row.entitlement_id} is ${row.state}; only DRAFT and TEST entitlements can be edited${settings.allowEditDeployed ? " (DEPLOYED ones: description only)" : ""}.`,
      );
    }
    if (input.entitlementId != null && input.entitlementId !== row.entitlement_id) {
      const taken = await trx
        .selectFrom("entitlements")
        .select("id")
        .where("entitlement_id", "=", input.entitlementId)
        .executeTakeFirst();
      if (taken) throw errors.alreadyExists("entitlementId", `An entitlement with ID '${input.entitlementId}' already exists.`);
    }
    if (input.soldTo !== undefined || input.channelPartners !== undefined) {
      const soldTo = input.soldTo !== undefined ? input.soldTo : before.soldTo;
      const explicit =
        input.channelPartners ??
        before.channelPartners.map((p) => ({
          tier: p.tier,
          accountId: p.accountId,
          contactUserId: p.contactUserId,
          currentOwner: p.currentOwner,
        }));
      // A new Sold To replaces the old one's tiers rather than conflicting with them.
      const kept =
        input.channelPartners === undefined && input.soldTo !== undefined
          ? explicit.filter((p) => p.accountId !== before.soldTo)
          : explicit;
      const { partners, problems: rp } = resolvePartners(row.kind as "SIMPLE" | "BULK", soldTo, kept);
      const pp = [...rp, ...(await partnerProblems(trx, partners, kept.length))];
      if (pp.length) throw errors.validationMany(pp);
      await replacePartners(trx, pk, partners);
    }
    const now = nowIso();
    await trx
      .updateTable("entitlements")
      .set({
        entitlement_id: input.entitlementId ?? row.entitlement_id,
        id_generated: input.entitlementId != null && input.entitlementId !== row.entitlement_id ? 0 : row.id_generated,
        description: input.description !== undefined ? input.description : row.description,
        ship_to_email:
          input.shipToEmail !== undefined
            ? input.shipToEmail?.trim()
              ? normaliseShipToEmail(input.shipToEmail)
              : null
            : row.ship_to_email,
        ship_to_address: input.shipToAddress !== undefined ? input.shipToAddress : row.ship_to_address,
        order_id: input.orderId !== undefined ? input.orderId : row.order_id,
        order_line_number: input.orderLineNumber !== undefined ? input.orderLineNumber : row.order_line_number,
        allow_portal_login: input.allowPortalLogin !== undefined ? (input.allowPortalLogin ? 1 : 0) : row.allow_portal_login,
        custom_attributes: input.customAttributes !== undefined ? JSON.stringify(input.customAttributes) : row.custom_attributes,
        updated_at: now,
        updated_by: ctx.actor.userId,
      })
      .where("id", "=", pk)
      .execute();
    const after = await entitlementJson(trx, pk);
    const { updatedAt: _a, ...a } = after;
    const { updatedAt: _b, ...b } = before;
    const changed = Object.keys(a).filter(
      (k) => JSON.stringify((a as Record<string, unknown>)[k]) !== JSON.stringify((b as Record<string, unknown>)[k]),
    );
    if (changed.length) {
      await recordEvent(trx, ctx, pk, "EVENT_PROPERTY_CHANGED", `Changed ${changed.join(", ")}`);
      await recordAudit(trx, ctx, {
        action: "entitlement.updated",
        objectType: "entitlement",
        objectId: pk,
        before: b,
        after: a,
      });
      await emitEntitlement(trx, ctx, "entitlement.updated", pk, { changed });
    }
    if (autoDeploy && row.state === "DRAFT") {
      authorize(ctx.actor, "entitlement.changeState", ref);
      await deployEntitlement(trx, ctx, pk, "autoDeploy");
    }
  });
  return entitlementRecord(db, pk);
}
