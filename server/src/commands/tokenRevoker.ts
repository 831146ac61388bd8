import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize, can } from "../policies/index.js";
import { nowIso } from "../util.js";

/** Revokes a token for good. Revoking an already revoked token is a no-op. */
export async function tokenRevoker(db: Db, ctx: RequestContext, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom("api_tokens").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row || !can(ctx.actor, "token.revoke", { userId: row.user_id })) throw errors.notFound("Token", id);
    authorize(ctx.actor, "token.revoke", { userId: row.user_id });
    const now = nowIso();
    const res = await trx
      .updateTable("api_tokens")
      .set({ revoked_at: now })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 1) {
      await recordAudit(trx, ctx, {
        action: "token.revoked",
        objectType: "token",
        objectId: id,
        before: { revokedAt: null },
        after: { revokedAt: now },
      });
    }
  });
}
