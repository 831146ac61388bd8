import type { PartnerTierUpdateBody } from "../../../common/src/api/partnerTiers.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isUniqueViolation } from "../db/constraints.js";
import { findPartnerTier } from "../db/repos/partnerTiers.js";
import type { Db, PartnerTiersTable } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { presentPartnerTier } from "../presenters/partnerTiers.js";
import { nowIso } from "../util.js";
import { displayNameProblems, tierUniqueClash } from "./partnerTierCreator.js";

/** The request body, as the route validated it (common/src/api). */
export type PartnerTierUpdateInput = PartnerTierUpdateBody;

/** Renames (display name), re-describes or re-ranks a tier; built-in tiers too. Its name (key) never changes. */
export async function partnerTierUpdater(
  db: Db,
  ctx: RequestContext,
  name: string,
  input: PartnerTierUpdateInput,
): Promise<PartnerTiersTable> {
  authorize(ctx.actor, "partnerTier.write");
  const problems = displayNameProblems(input.displayName);
  if (problems.length) throw errors.validationMany(problems);
  const displayName = input.displayName?.trim();
  try {
    return await db.transaction().execute(async (trx) => {
      const before = await findPartnerTier(trx, name);
      if (!before) throw errors.notFound("Partner tier", name);
      const next = {
        display_name: displayName ?? before.display_name,
        description: input.description !== undefined ? input.description : before.description,
        rank: input.rank ?? before.rank,
      };
      const current = presentPartnerTier(before);
      if (next.display_name === before.display_name && next.description === before.description && next.rank === before.rank) {
        return before;
      }
      const row = { ...before, ...next, updated_at: nowIso() };
      await trx.updateTable("partner_tiers").set(next).set({ updated_at: row.updated_at }).where("name", "=", name).execute();
      const { updatedAt: _a, ...afterAudit } = presentPartnerTier(row);
      const { updatedAt: _b, ...beforeAudit } = current;
      await recordAudit(trx, ctx, {
        action: "partnerTier.updated",
        objectType: "partnerTier",
        objectId: name,
        before: beforeAudit,
        after: afterAudit,
      });
      return row;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw tierUniqueClash(err, name, displayName);
    throw err;
  }
}
