import type { PartnerTierCreateBody } from "../../../common/src/api/partnerTiers.js";
import type { FieldProblem } from "../../../common/src/errors.js";
import { partnerTierNameProblem } from "../../../common/src/rules/catalog.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isUniqueViolation } from "../db/constraints.js";
import type { Db, PartnerTiersTable } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { presentPartnerTier } from "../presenters/partnerTiers.js";
import { nowIso } from "../util.js";

/** The request body, as the route validated it (common/src/api). */
export type PartnerTierCreateInput = PartnerTierCreateBody;

/** Which unique key a violation hit: the display name or the tier's name (its key). */
export function tierUniqueClash(err: unknown, name: string, displayName: string | undefined) {
  const e = err as { constraint?: string; detail?: string; message?: string };
  const text = `${e.constraint ?? ""} ${e.detail ?? ""} ${e.message ?? ""}`;
  if (displayName !== undefined && text.includes("display_name")) {
    return errors.alreadyExists("displayName", `A partner tier displayed as '${displayName}' already exists.`);
  }
  return errors.alreadyExists("name", `Partner tier '${name}' already exists.`);
}

export function displayNameProblems(displayName: string | undefined): FieldProblem[] {
  return displayName !== undefined && displayName.trim() === "" ? [{ field: "displayName", message: "must not be empty" }] : [];
}

/** Adds a partner tier beyond the built-in Distributor and End Customer. */
export async function partnerTierCreator(db: Db, ctx: RequestContext, input: PartnerTierCreateInput): Promise<PartnerTiersTable> {
  authorize(ctx.actor, "partnerTier.write");
  const problems = displayNameProblems(input.displayName);
  const nameProblem = partnerTierNameProblem(input.name);
  if (nameProblem) problems.unshift({ field: "name", message: nameProblem });
  if (problems.length) throw errors.validationMany(problems);
  const displayName = input.displayName.trim();
  try {
    return await db.transaction().execute(async (trx) => {
      const now = nowIso();
      const row = {
        name: input.name,
        display_name: displayName,
        description: input.description ?? null,
        rank: input.rank,
        built_in: 0,
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto("partner_tiers").values(row).execute();
      await recordAudit(trx, ctx, {
        action: "partnerTier.created",
        objectType: "partnerTier",
        objectId: row.name,
        after: presentPartnerTier(row) as never,
      });
      return row;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw tierUniqueClash(err, input.name, displayName);
    throw err;
  }
}
