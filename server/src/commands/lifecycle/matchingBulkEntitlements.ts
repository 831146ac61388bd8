import type { RequestContext } from "../../actor.js";
import type { EntitlementRecord } from "../../db/repos/entitlements.js";
import type { Db } from "../../db/schema.js";
import { configDifference } from "../../domain/splits.js";
import { entitlementRecord } from "../entitlementSupport.js";
import { configOf } from "./bulkEntitlementSplitter.js";
import { loadForSplit } from "./splitSupport.js";

/**
 * FNO getMatchingBulkEnts: the DEPLOYED bulk entitlements whose current owner is `accountId` and
 * whose product configuration matches this one's — where a split of its keys may go. Read by
 * those who may split it.
 */
export async function matchingBulkEntitlements(
  db: Db,
  ctx: RequestContext,
  pk: string,
  accountId: string,
): Promise<EntitlementRecord[]> {
  const candidates = await db.transaction().execute(async (trx) => {
    await loadForSplit(trx, ctx, pk, "BULK");
    const config = await configOf(trx, pk);
    const rows = await trx
      .selectFrom("entitlements as e")
      .innerJoin("entitlement_partners as p", "p.entitlement_id", "e.id")
      .select("e.id")
      .where("p.account_id", "=", accountId)
      .where("p.current_owner", "=", 1)
      .where("e.kind", "=", "BULK")
      .where("e.state", "=", "DEPLOYED")
      .where("e.id", "!=", pk)
      .orderBy("e.created_at")
      .orderBy("e.id")
      .limit(200)
      .execute();
    const out: string[] = [];
    for (const r of rows) if (configDifference(config, await configOf(trx, r.id)) === null) out.push(r.id);
    return out;
  });
  return Promise.all(candidates.map((id) => entitlementRecord(db, id)));
}
