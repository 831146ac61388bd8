import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { membershipsOfUser, type UserRecord } from "../db/repos/users.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { nowIso } from "../util.js";
import { assertProducerAdminRemains, loadVisibleUser } from "./userUpdater.js";

/**
 * Activates or deactivates a user. A deactivated user cannot log in, its sessions end at once, and
 * its API tokens stop working (checked on every request).
 */
export async function userStatusChanger(
  db: Db,
  ctx: RequestContext,
  id: string,
  status: "ACTIVE" | "INACTIVE",
): Promise<UserRecord> {
  return db.transaction().execute(async (trx) => {
    const { row: before, ref, memberships } = await loadVisibleUser(trx, ctx, id);
    if (ctx.actor.userId === id && status === "INACTIVE") throw errors.conflict("You cannot deactivate yourself.");
    authorize(ctx.actor, "user.deactivate", ref);
    if (before.status === status) return { row: before, memberships: await membershipsOfUser(trx, id) };
    const now = nowIso();
    // Conditional on the old status: two concurrent changes cannot both claim the transition.
    const res = await trx
      .updateTable("users")
      .set({ status, updated_at: now })
      .where("id", "=", id)
      .where("status", "=", before.status)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) throw errors.conflict("The user was changed at the same time; reload and retry.");
    if (status === "INACTIVE") {
      await trx.deleteFrom("sessions").where("user_id", "=", id).execute();
      if (memberships.some((m) => m.role === "PRODUCER_ADMIN")) await assertProducerAdminRemains(trx);
    }
    await recordAudit(trx, ctx, {
      action: status === "INACTIVE" ? "user.deactivated" : "user.activated",
      objectType: "user",
      objectId: id,
      before: { status: before.status },
      after: { status },
    });
    return { row: { ...before, status, updated_at: now }, memberships: await membershipsOfUser(trx, id) };
  });
}
