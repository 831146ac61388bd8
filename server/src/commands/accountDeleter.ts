import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isForeignKeyViolation } from "../db/constraints.js";
import { findAccount, relatedAccountIds } from "../db/repos/accounts.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize, can } from "../policies/index.js";
import { presentAccount } from "../presenters/accounts.js";
import { emitAccount } from "./domainEvents.js";

/**
 * Deletes an account nobody uses. The database refuses while users, sub-accounts or (later)
 * entitlements still point at it; we turn that refusal into words.
 */
export async function accountDeleter(db: Db, ctx: RequestContext, id: string): Promise<void> {
  try {
    await db.transaction().execute(async (trx) => {
      const before = await findAccount(trx, id);
      if (!before || !can(ctx.actor, "account.read", before)) throw errors.notFound("Account", id);
      authorize(ctx.actor, "account.delete", before);
      if (before.type === "PUBLISHER") throw errors.conflict("The producer (PUBLISHER) account cannot be deleted.");
      const related = await relatedAccountIds(trx, id);
      await trx.deleteFrom("accounts").where("id", "=", id).execute();
      await recordAudit(trx, ctx, {
        action: "account.deleted",
        objectType: "account",
        objectId: id,
        before: presentAccount(before, related) as never,
      });
      await emitAccount(trx, ctx, "account.deleted", id, {}, before);
    });
  } catch (err) {
    if (isForeignKeyViolation(err)) {
      throw errors.inUse(`Account '${id}' still has users, sub-accounts or other records; remove or move them first.`);
    }
    throw err;
  }
}
