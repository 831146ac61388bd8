import type { RequestContext } from "../../actor.js";
import { recordAudit } from "../../audit.js";
import type { Db } from "../../db/schema.js";
import { mergePlan, type PartnerEntry } from "../../domain/lifecycle.js";
import { errors } from "../../errors.js";
import { authorize } from "../../policies/index.js";
import { bool, nowIso } from "../../util.js";
import { recordEvent } from "../entitlementSupport.js";
import { targetAccount } from "./lifecycleSupport.js";

export interface MergeEntitlementsInput {
  /** The account that takes over the entitlements. */
  intoAccountId: string;
}

export interface MergeResult {
  fromAccountId: string;
  intoAccountId: string;
  /** Entitlements whose channel partners changed. */
  count: number;
  /** Tier rows now held by the target instead of the source. */
  movedTiers: number;
  /** Tier rows of the source dropped because the target already held a tier on that entitlement. */
  droppedTiers: number;
}

/**
 * Merge accounts' entitlements (FNO mergeEntitlements): every channel-partner row of the source
 * account moves to the target. Where the target already holds a tier on an entitlement it keeps
 * its own and the source's rows are dropped; a dropped current owner hands the flag to the target's
 * row (End Customer first). Contacts who are not users of the target account are cleared. Redeemed
 * keys sold to the source are re-pointed to the target, so it can look them up again. One
 * transaction; audited on both accounts; EVENT_TRANSFERRED on every affected entitlement.
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
      .selectAll()
      .where("account_id", "in", [from, into])
      .where("entitlement_id", "in", (eb) =>
        eb.selectFrom("entitlement_partners").select("entitlement_id").where("account_id", "=", from),
      )
      .orderBy("entitlement_id")
      .execute();
    const byEntitlement = new Map<string, PartnerEntry[]>();
    for (const r of rows) {
      const list = byEntitlement.get(r.entitlement_id) ?? [];
      list.push({ tier: r.tier, accountId: r.account_id, contactUserId: r.contact_user_id, currentOwner: bool(r.current_owner) });
      byEntitlement.set(r.entitlement_id, list);
    }
    const contacts = [...new Set(rows.filter((r) => r.account_id === from && r.contact_user_id).map((r) => r.contact_user_id))];
    const stayContacts = new Set(
      contacts.length
        ? (
            await trx
              .selectFrom("user_roles")
              .select("user_id")
              .where("account_id", "=", into)
              .where("user_id", "in", contacts as string[])
              .execute()
          ).map((r) => r.user_id)
        : [],
    );
    const now = nowIso();
    let moved = 0;
    let dropped = 0;
    for (const [pk, partners] of byEntitlement) {
      const plan = mergePlan(partners, from, into);
      for (const tier of plan.drop) {
        await trx
          .deleteFrom("entitlement_partners")
          .where("entitlement_id", "=", pk)
          .where("tier", "=", tier)
          .where("account_id", "=", from)
          .execute();
      }
      if (plan.ownerTier) {
        await trx
          .updateTable("entitlement_partners")
          .set({ current_owner: 1 })
          .where("entitlement_id", "=", pk)
          .where("tier", "=", plan.ownerTier)
          .execute();
      }
      for (const tier of plan.reassign) {
        const p = partners.find((x) => x.tier === tier);
        await trx
          .updateTable("entitlement_partners")
          .set({
            account_id: into,
            contact_user_id: p?.contactUserId && stayContacts.has(p.contactUserId) ? p.contactUserId : null,
          })
          .where("entitlement_id", "=", pk)
          .where("tier", "=", tier)
          .where("account_id", "=", from)
          .execute();
      }
      moved += plan.reassign.length;
      dropped += plan.drop.length;
      await trx.updateTable("entitlements").set({ updated_at: now, updated_by: ctx.actor.userId }).where("id", "=", pk).execute();
      const words = [
        plan.reassign.length ? `tier${plan.reassign.length > 1 ? "s" : ""} ${plan.reassign.join(", ")} moved` : null,
        plan.drop.length
          ? `tier${plan.drop.length > 1 ? "s" : ""} ${plan.drop.join(", ")} dropped ('${into}' already holds ${partners
              .filter((x) => x.accountId === into)
              .map((x) => x.tier)
              .join(", ")})`
          : null,
        plan.ownerTier ? `'${into}' is now the current owner` : null,
      ].filter(Boolean);
      await recordEvent(trx, ctx, pk, "EVENT_TRANSFERRED", `Account '${from}' merged into '${into}': ${words.join("; ")}`);
    }
    await trx.updateTable("web_register_keys").set({ sold_to: into }).where("sold_to", "=", from).execute();
    const result = {
      fromAccountId: from,
      intoAccountId: into,
      count: byEntitlement.size,
      movedTiers: moved,
      droppedTiers: dropped,
    };
    await recordAudit(trx, ctx, {
      action: "account.entitlements_merged",
      objectType: "account",
      objectId: from,
      after: { mergedInto: into, entitlements: result.count, movedTiers: moved, droppedTiers: dropped },
    });
    await recordAudit(trx, ctx, {
      action: "account.entitlements_merged",
      objectType: "account",
      objectId: into,
      after: { mergedFrom: from, entitlements: result.count, movedTiers: moved, droppedTiers: dropped },
    });
    return result;
  });
}
