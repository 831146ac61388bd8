import type { Db, Trx } from "../schema.js";

/** An account related to another, with what the partner portal shows about it. */
export interface RelatedAccountRow {
  id: string;
  name: string;
  type: string;
  country: string | null;
  relatedAt: string;
  /** Display names of the tiers it holds on entitlements the other account is also on. */
  tiers: string[];
  sharedEntitlements: number;
  /** Created by `accountId` in its partner portal (`accounts.managed_by`): its admins place this account's users. */
  managed: boolean;
}

/**
 * The accounts related to `accountId` (account_relations: whom a partner may split to), by name,
 * each with the tiers it holds on the entitlements both are on.
 */
export async function listRelatedAccounts(db: Db | Trx, accountId: string): Promise<RelatedAccountRow[]> {
  const rows = await db
    .selectFrom("account_relations as r")
    .innerJoin("accounts as a", "a.id", "r.related_account_id")
    .select(["a.id", "a.name", "a.type", "a.country", "a.managed_by", "r.created_at"])
    .where("r.account_id", "=", accountId)
    .orderBy("a.name")
    .orderBy("a.id")
    .execute();
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const shared = await db
    .selectFrom("entitlement_partners as mine")
    .innerJoin("entitlement_partners as theirs", "theirs.entitlement_id", "mine.entitlement_id")
    .innerJoin("partner_tiers as t", "t.name", "theirs.tier")
    .select(["theirs.account_id", "theirs.entitlement_id", "t.display_name", "t.rank"])
    .where("mine.account_id", "=", accountId)
    .where("theirs.account_id", "in", ids)
    .orderBy("t.rank")
    .execute();
  return rows.map((r) => {
    const mine = shared.filter((s) => s.account_id === r.id);
    return {
      id: r.id,
      name: r.name,
      type: r.type,
      country: r.country,
      relatedAt: r.created_at,
      tiers: [...new Set(mine.map((s) => s.display_name))],
      sharedEntitlements: new Set(mine.map((s) => s.entitlement_id)).size,
      managed: r.managed_by === accountId,
    };
  });
}
