import type { BulkRedemptionQuery } from "../../../common/src/api/keys.js";
import { TIER_END_CUSTOMER } from "../../../common/src/enums.js";
import type { RequestContext } from "../actor.js";
import type { Page } from "../db/paging.js";
import { type BulkRedemptionRow, listBulkRedemptions } from "../db/repos/bulkRedemptions.js";
import { currentOwnerAccountId, findEntitlement, partnersOf } from "../db/repos/entitlements.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { can } from "../policies/index.js";

/**
 * The redemptions of a bulk entitlement (when, which customer account, the entitlement each key
 * became), for producer staff and the partners in its tiers. Whether the keys themselves are shown
 * is `keys.read` (the current owner's); others get them masked. Anyone else gets a 404, as for keys.
 */
export async function bulkRedemptionReader(
  db: Db,
  ctx: RequestContext,
  pk: string,
  query: BulkRedemptionQuery,
): Promise<{ page: Page<BulkRedemptionRow>; showKeys: boolean }> {
  const bulk = await findEntitlement(db, pk);
  if (!bulk || bulk.kind !== "BULK") throw errors.notFound("Bulk entitlement", pk);
  const partners = (await partnersOf(db, [pk])).get(pk) ?? [];
  const partnerAccountIds = partners.filter((p) => p.tier !== TIER_END_CUSTOMER).map((p) => p.account_id);
  if (!can(ctx.actor, "keys.readRedemptions", { partnerAccountIds })) throw errors.notFound("Bulk entitlement", pk);
  const showKeys = can(ctx.actor, "keys.read", { currentOwnerAccountId: await currentOwnerAccountId(db, pk) });
  const page = await listBulkRedemptions(db, pk, { q: query.q, byKey: showKeys }, query);
  return { page, showKeys };
}
