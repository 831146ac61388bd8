import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { findAccount } from "../db/repos/accounts.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize, can } from "../policies/index.js";
import { nowIso } from "../util.js";

/**
 * Relates two accounts (FNO: partner↔partner or partner↔customer), both directions at once.
 * Relating twice is harmless; unrelating a pair that is not related is a 404.
 */
export async function accountRelator(
  db: Db,
  ctx: RequestContext,
  id: string,
  otherId: string,
  mode: "relate" | "unrelate",
): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    const a = await findAccount(trx, id);
    if (!a || !can(ctx.actor, "account.read", a)) throw errors.notFound("Account", id);
    authorize(ctx.actor, "account.relate", a);
    const b = await findAccount(trx, otherId);
    if (!b) {
      if (mode === "relate") throw errors.validation("accountId", `account '${otherId}' does not exist`);
      throw errors.notFound("Account", otherId);
    }
    if (mode === "relate") {
      if (a.id === b.id) throw errors.validation("accountId", "an account cannot be related to itself");
      if (a.type === "PUBLISHER" || b.type === "PUBLISHER") {
        throw errors.validation("accountId", "the producer account is related to everyone already and cannot be related");
      }
      if (a.type !== "CHANNEL_PARTNER" && b.type !== "CHANNEL_PARTNER") {
        throw errors.validation("accountId", "at least one of the two accounts must be a CHANNEL_PARTNER");
      }
      const now = nowIso();
      const res = await trx
        .insertInto("account_relations")
        .values([
          { account_id: a.id, related_account_id: b.id, created_at: now },
          { account_id: b.id, related_account_id: a.id, created_at: now },
        ])
        .onConflict((oc) => oc.columns(["account_id", "related_account_id"]).doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0) > 0) {
        await recordAudit(trx, ctx, {
          action: "account.related",
          objectType: "account",
          objectId: a.id,
          after: { relatedAccountId: b.id },
        });
      }
    } else {
      const res = await trx
        .deleteFrom("account_relations")
        .where((eb) =>
          eb.or([
            eb.and([eb("account_id", "=", a.id), eb("related_account_id", "=", b.id)]),
            eb.and([eb("account_id", "=", b.id), eb("related_account_id", "=", a.id)]),
          ]),
        )
        .executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) throw errors.notFound("Relation", `${a.id} ↔ ${b.id}`);
      await recordAudit(trx, ctx, {
        action: "account.unrelated",
        objectType: "account",
        objectId: a.id,
        before: { relatedAccountId: b.id },
      });
    }
    const rows = await trx
      .selectFrom("account_relations")
      .select("related_account_id")
      .where("account_id", "=", a.id)
      .orderBy("related_account_id")
      .execute();
    return rows.map((r) => r.related_account_id);
  });
}
