import { keyLoadStateProblem } from "../../../common/src/rules/keys.js";
import type { RequestContext } from "../actor.js";
import { currentOwnerAccountId, findEntitlement } from "../db/repos/entitlements.js";
import type { Db, EntitlementRow } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize, can } from "../policies/index.js";

/**
 * The bulk entitlement whose keys a command reads or changes, once the caller may: one it may not
 * see keys of is a 404 (keys are secrets: its existence is not confirmed), one it may see but not
 * change a 403.
 */
export async function bulkForKeys(
  db: Db,
  ctx: RequestContext,
  pk: string,
  action: "keys.read" | "keys.write",
): Promise<EntitlementRow> {
  const row = await findEntitlement(db, pk);
  if (!row || row.kind !== "BULK") throw errors.notFound("Bulk entitlement", pk);
  const ref = { currentOwnerAccountId: await currentOwnerAccountId(db, pk) };
  if (!can(ctx.actor, "keys.read", ref)) throw errors.notFound("Bulk entitlement", pk);
  authorize(ctx.actor, action, ref);
  return row;
}

/** As {@link bulkForKeys} for `keys.write`, and in a state keys load into (refused with 409 before any work starts). */
export async function loadableBulkForKeys(db: Db, ctx: RequestContext, pk: string): Promise<EntitlementRow> {
  const bulk = await bulkForKeys(db, ctx, pk, "keys.write");
  const problem = keyLoadStateProblem(bulk.entitlement_id, bulk.kind, bulk.state);
  if (problem) throw errors.invalidState(problem);
  return bulk;
}
