import type { Db, PartnerTiersTable, Trx } from "../schema.js";

export async function findPartnerTier(db: Db | Trx, name: string): Promise<PartnerTiersTable | undefined> {
  return db.selectFrom("partner_tiers").selectAll().where("name", "=", name).executeTakeFirst();
}

/** Every tier, ordered by rank then name. Tiers are few, so the list is never paged. */
export async function listPartnerTiers(db: Db | Trx): Promise<PartnerTiersTable[]> {
  return db.selectFrom("partner_tiers").selectAll().orderBy("rank").orderBy("name").execute();
}
