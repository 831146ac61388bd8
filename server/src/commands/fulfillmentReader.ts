import type { SupportUsage } from "../../../common/src/api/fulfillments.js";
import { windowStart } from "../../../common/src/rules/fulfillments.js";
import type { RequestContext } from "../actor.js";
import {
  type FulfillmentRecord,
  findFulfillment,
  findLineItemTarget,
  historyOf,
  ownerAccountIds,
  supportActionsSince,
} from "../db/repos/fulfillments.js";
import type { Db, Trx } from "../db/schema.js";
import { errors } from "../errors.js";
import { can } from "../policies/index.js";
import { parsePolicies } from "../presenters/licenseModels.js";
import { availableOf } from "./fulfillmentActivator.js";

/** A fulfillment the caller may see, with the accounts owning it; 404 (never 403) otherwise, so nothing leaks. */
export async function loadVisibleFulfillment(db: Db | Trx, ctx: RequestContext, fid: string) {
  const record = await findFulfillment(db, fid);
  if (!record) throw errors.notFound("Fulfillment", fid);
  const ref = { ownerAccountIds: await ownerAccountIds(db, record.entitlement_pk) };
  if (!can(ctx.actor, "fulfillment.read", ref)) throw errors.notFound("Fulfillment", fid);
  return { record, ref };
}

/** How much of each support policy the line item has used over the policy window ending now. */
export async function supportUsageOf(
  db: Db | Trx,
  lineItemPk: string,
  policiesJson: string | null,
  overdraftInUse: number,
): Promise<SupportUsage> {
  const p = parsePolicies(policiesJson ?? "{}");
  const used = await supportActionsSince(db, lineItemPk, windowStart(new Date(), p.window));
  const of = (a: string) => used[a]?.used ?? 0;
  return {
    returns: { used: of("RETURN"), allowed: p.allowedReturns },
    rehosts: { used: of("REHOST"), allowed: p.allowedRehosts },
    repairs: { used: of("REPAIR"), allowed: p.allowedRepairs },
    extraActivations: {
      used: used.EXTRA_ACTIVATION?.copies ?? 0,
      allowed: p.allowedExtraActivations,
      inUse: overdraftInUse,
    },
    window: p.window,
  };
}

export interface FulfillmentDetailRecord {
  record: FulfillmentRecord;
  availableCount: number;
  lineItemState: string;
  usage: SupportUsage;
  history: FulfillmentRecord[];
}

/** A fulfillment with its line item's copies left, policy usage and the chain it belongs to. */
export async function fulfillmentDetail(db: Db, ctx: RequestContext, fid: string): Promise<FulfillmentDetailRecord> {
  const { record } = await loadVisibleFulfillment(db, ctx, fid);
  const li = await findLineItemTarget(db, record.line_item_id);
  if (!li) throw errors.notFound("Fulfillment", fid);
  return {
    record,
    availableCount: availableOf(li, li.entitlement_state),
    lineItemState: li.state,
    usage: await supportUsageOf(db, li.id, li.lm_policies, li.overdraft_count),
    history: await historyOf(db, record),
  };
}
