import type { MergeBody, MergeResult } from "../../../../common/src/api/lifecycle.js";
import type { RequestContext } from "../../actor.js";
import { recordAudit } from "../../audit.js";
import type { Db } from "../../db/schema.js";
import { errors } from "../../errors.js";
import { authorize } from "../../policies/index.js";
import { nowIso } from "../../util.js";
import { emitAccount } from "../domainEvents.js";
import { recordEvents } from "../entitlementSupport.js";
import { targetAccount } from "./lifecycleSupport.js";

/** The request body, as the route validated it (common/src/api/lifecycle.ts). */
export type MergeEntitlementsInput = MergeBody;

// Rows per statement where a merge touches many entitlements (SQLite allows 32,766 variables).
const CHUNK = 500;

/**
 * Merge accounts' entitlements (FNO mergeEntitlements: "only the account value changes"): every
 * channel-partner row of the source account is given to the target, tier and current-owner flag
 * unchanged. Where the target already held another tier on an entitlement it now holds both, as
 * a distributor holds both tiers of its bulk entitlement; no tier is lost, so a simple
 * entitlement keeps its End Customer. Contacts who are not users of the target account are
 * cleared. Redeemed keys sold to the source are re-pointed to the target, so it can look them up
 * again. One transaction; audited on both accounts; EVENT_TRANSFERRED on every affected entitlement.
 */
export async function accountEntitlementsMerger(
  db: Db,
  ctx: RequestContext,
  fromAccountId: string,
  input: MergeEntitlementsInput,
): Promise<MergeResult> {
  const from = fromAccountId;
  const into = input.intoAccountId;
  authorize(ctx.actor, "entitlement.update", { accountIds: [from, into] });
  if (from === into) throw errors.validation("intoAccountId", "is the account being merged; choose another account");
  return db.transaction().execute(async (trx) => {
    const source = await trx.selectFrom("accounts").select(["id", "type"]).where("id", "=", from).executeTakeFirst();
    if (!source) throw errors.notFound("Account", from);
    if (source.type === "PUBLISHER")
      throw errors.validation("id", "the producer's own account holds no entitlements; there is nothing to merge");
    await targetAccount(trx, into, "intoAccountId");
    const rows = await trx
      .selectFrom("entitlement_partners")
      .select(["entitlement_id", "tier"])
      .where("account_id", "=", from)
      .orderBy("entitlement_id")
      .orderBy("tier")
      .execute();
    const tiersOf = new Map<string, string[]>();
    for (const r of rows) tiersOf.set(r.entitlement_id, [...(tiersOf.get(r.entitlement_id) ?? []), r.tier]);
    // The tier is half of the key, and the target cannot already hold the source's tier on the same
    // entitlement: the reassignment cannot collide.
    await trx
      .updateTable("entitlement_partners")
      .set((eb) => ({
        account_id: into,
        contact_user_id: eb
          .case()
          .when("contact_user_id", "in", eb.selectFrom("user_roles").select("user_id").where("account_id", "=", into))
          .then(eb.ref("contact_user_id"))
          .else(null)
          .end(),
      }))
      .where("account_id", "=", from)
      .execute();
    const pks = [...tiersOf.keys()];
    const now = nowIso();
    for (let i = 0; i < pks.length; i += CHUNK) {
      const chunk = pks.slice(i, i + CHUNK);
      await trx
        .updateTable("entitlements")
        .set({ updated_at: now, updated_by: ctx.actor.userId })
        .where("id", "in", chunk)
        .execute();
      await recordEvents(
        trx,
        ctx,
        chunk.map((pk) => {
          const tiers = tiersOf.get(pk) ?? [];
          return {
            entitlementPk: pk,
            event: "EVENT_TRANSFERRED" as const,
            description: `Account '${from}' merged into '${into}': tier${tiers.length > 1 ? "s" : ""} ${tiers.join(", ")} moved`,
          };
        }),
      );
    }
    await trx.updateTable("web_register_keys").set({ sold_to: into }).where("sold_to", "=", from).execute();
    const result = { fromAccountId: from, intoAccountId: into, count: pks.length, movedTiers: rows.length };
    await recordAudit(trx, ctx, {
      action: "account.entitlements_merged",
      objectType: "account",
      objectId: from,
      after: { mergedInto: into, entitlements: result.count, movedTiers: result.movedTiers },
    });
    await recordAudit(trx, ctx, {
      action: "account.entitlements_merged",
      objectType: "account",
      objectId: into,
      after: { mergedFrom: from, entitlements: result.count, movedTiers: result.movedTiers },
    });
    // One event for the merge (the entitlements it moved are listed, at most 1,000 of them).
    await emitAccount(trx, ctx, "account.merged", into, {
      mergedFrom: from,
      entitlements: result.count,
      movedTiers: result.movedTiers,
      entitlementIds: pks.slice(0, 1000),
    });
    return result;
  });
}
