import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isForeignKeyViolation } from "../db/constraints.js";
import { findPartnerTier } from "../db/repos/partnerTiers.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { presentPartnerTier } from "../presenters/partnerTiers.js";
import { bool } from "../util.js";

/** Deletes a tier the producer added. The built-in Distributor and End Customer tiers stay. */
export async function partnerTierDeleter(db: Db, ctx: RequestContext, name: string): Promise<void> {
  authorize(ctx.actor, "partnerTier.write");
  try {
    await db.transaction().execute(async (trx) => {
      const before = await findPartnerTier(trx, name);
      if (!before) throw errors.notFound("Partner tier", name);
      if (bool(before.built_in)) {
        throw errors.conflict(`Partner tier '${before.display_name}' is built in and cannot be deleted.`, "name");
      }
      await trx.deleteFrom("partner_tiers").where("name", "=", name).where("built_in", "=", 0).execute();
      await recordAudit(trx, ctx, {
        action: "partnerTier.deleted",
        objectType: "partnerTier",
        objectId: name,
        before: presentPartnerTier(before) as never,
      });
    });
  } catch (err) {
    if (isForeignKeyViolation(err))
      throw errors.inUse(`Partner tier '${name}' is used by channel partner entries; remove those first.`);
    throw err;
  }
}
