import type { PartnerEntry } from "../../../../common/src/rules/lifecycle.js";
import type { RequestContext } from "../../actor.js";
import type { EntitlementRow, Trx } from "../../db/schema.js";
import { tierTakenProblem } from "../../domain/splits.js";
import { errors } from "../../errors.js";
import { queueSplitNotice } from "../../mail/outbox.js";
import { authorize } from "../../policies/index.js";
import { loadVisibleEntitlement } from "../entitlementSupport.js";
import { partnerEntries, targetAccount } from "./lifecycleSupport.js";

/** Shared steps of the two splits (bulk entitlement, line item). */

export interface SplitSource {
  row: EntitlementRow;
  partners: PartnerEntry[];
  owner: PartnerEntry;
}

/**
 * The entitlement (404 unless the caller may see it), the split permission on its current owner
 * (403), its kind (400) and state (409: only a DEPLOYED entitlement splits).
 */
export async function loadForSplit(trx: Trx, ctx: RequestContext, pk: string, kind: "BULK" | "SIMPLE"): Promise<SplitSource> {
  const { row } = await loadVisibleEntitlement(trx, ctx, pk);
  const partners = await partnerEntries(trx, pk);
  const owner = partners.find((p) => p.currentOwner) ?? null;
  authorize(ctx.actor, "entitlement.split", { currentOwnerAccountId: owner?.accountId ?? null });
  if (row.kind !== kind)
    throw errors.validation(
      "id",
      kind === "BULK"
        ? `entitlement ${row.entitlement_id} is not a bulk entitlement; split a line item of it instead`
        : `entitlement ${row.entitlement_id} is a bulk entitlement; split its keys instead`,
    );
  if (row.state !== "DEPLOYED")
    throw errors.invalidState(`Entitlement ${row.entitlement_id} is ${row.state}; only a DEPLOYED entitlement can be split.`);
  if (!owner) throw errors.invalidState(`Entitlement ${row.entitlement_id} has no current owner to split from.`);
  return { row, partners, owner };
}

export interface SplitTarget {
  account: { id: string; name: string };
  tier: string;
  tierDisplayName: string;
  contactUserId: string | null;
}

/**
 * The target of a split, refused in words: the account exists and can hold entitlements, is
 * related to the current owner, the tier exists and is not already on the entitlement, and the
 * contact (if any) is a user of the target account.
 */
export async function splitTarget(
  trx: Trx,
  source: SplitSource,
  input: { targetAccountId: string; tier: string; contactUserId?: string | undefined },
): Promise<SplitTarget> {
  const account = await targetAccount(trx, input.targetAccountId, "targetAccountId");
  if (account.id === source.owner.accountId)
    throw errors.validation("targetAccountId", `account '${account.id}' is already the current owner`);
  const tier = await trx
    .selectFrom("partner_tiers")
    .select(["name", "display_name"])
    .where("name", "=", input.tier)
    .executeTakeFirst();
  if (!tier) throw errors.validation("tier", `partner tier '${input.tier}' does not exist`);
  const taken = tierTakenProblem(
    source.partners.map((p) => p.tier),
    tier.name,
    tier.display_name,
  );
  if (taken) throw errors.validation("tier", taken);
  const related = await trx
    .selectFrom("account_relations")
    .select("related_account_id")
    .where("account_id", "=", source.owner.accountId)
    .where("related_account_id", "=", account.id)
    .executeTakeFirst();
  if (!related)
    throw errors.validation(
      "targetAccountId",
      `account '${account.id}' is not related to the current owner '${source.owner.accountId}'; relate the accounts first`,
    );
  let contactUserId: string | null = null;
  if (input.contactUserId) {
    const member = await trx
      .selectFrom("user_roles")
      .select("user_id")
      .where("user_id", "=", input.contactUserId)
      .where("account_id", "=", account.id)
      .executeTakeFirst();
    if (!member)
      throw errors.validation("contactUserId", `user '${input.contactUserId}' is not a user of account '${account.id}'`);
    contactUserId = input.contactUserId;
  }
  return { account, tier: tier.name, tierDisplayName: tier.display_name, contactUserId };
}

/** Emails the target tier's contact, when the split names one, about what reached their account. */
export async function notifySplitContact(
  trx: Trx,
  ctx: RequestContext,
  t: SplitTarget,
  target: { pk: string; entitlementId: string },
  what: string,
  fromAccountId: string,
): Promise<void> {
  if (!t.contactUserId) return;
  const user = await trx.selectFrom("users").select("email").where("id", "=", t.contactUserId).executeTakeFirst();
  if (!user) return;
  await queueSplitNotice(trx, ctx, {
    to: user.email,
    accountName: t.account.name,
    tier: t.tierDisplayName,
    entitlementId: target.entitlementId,
    entitlementPk: target.pk,
    what,
    from: `account ${fromAccountId}`,
  });
}

/** The partners of a new entitlement made by a split: the source's tiers (none current owner) and the target's. */
export function splitPartners(partners: PartnerEntry[], t: SplitTarget): PartnerEntry[] {
  return [
    ...partners.map((p) => ({ ...p, currentOwner: false })),
    { tier: t.tier, accountId: t.account.id, contactUserId: t.contactUserId, currentOwner: true },
  ];
}

/**
 * A matching target entitlement named by the caller: it must be of `kind`, DEPLOYED and owned
 * (current owner) by the target account. Refused in words on field `targetEntitlementId`.
 */
export async function namedTarget(
  trx: Trx,
  id: string,
  kind: "BULK" | "SIMPLE",
  sourcePk: string,
  accountId: string,
): Promise<EntitlementRow> {
  const field = "targetEntitlementId";
  const row =
    (await trx.selectFrom("entitlements").selectAll().where("id", "=", id).executeTakeFirst()) ??
    (await trx.selectFrom("entitlements").selectAll().where("entitlement_id", "=", id).executeTakeFirst());
  if (!row) throw errors.validation(field, `entitlement '${id}' does not exist`);
  if (row.id === sourcePk) throw errors.validation(field, "the target must be another entitlement than the source");
  if (row.kind !== kind)
    throw errors.validation(
      field,
      `entitlement ${row.entitlement_id} is not a ${kind === "BULK" ? "bulk" : "simple"} entitlement`,
    );
  if (row.state !== "DEPLOYED") throw errors.validation(field, `entitlement ${row.entitlement_id} is ${row.state}, not DEPLOYED`);
  const owner = await trx
    .selectFrom("entitlement_partners")
    .select("account_id")
    .where("entitlement_id", "=", row.id)
    .where("current_owner", "=", 1)
    .executeTakeFirst();
  if (owner?.account_id !== accountId)
    throw errors.validation(field, `entitlement ${row.entitlement_id} is not owned by account '${accountId}'`);
  return row;
}
