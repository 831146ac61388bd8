import type { LicenseModelCreateBody } from "../../../common/src/api/licenseModels.js";
import { licenseModelProblems, normalizeAttribute } from "../../../common/src/rules/catalog.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isUniqueViolation } from "../db/constraints.js";
import type { Db, LicenseModelsTable } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { type LicensePolicies, presentLicenseModel, UNLIMITED_POLICIES } from "../presenters/licenseModels.js";
import { newId, nowIso } from "../util.js";

/** The request body, as the route validated it (common/src/api). */
export type LicenseModelCreateInput = LicenseModelCreateBody;

/** Policies with every limit explicit (absent: the base's; a new model's base: unlimited, no extra activations). */
export function mergePolicies(base: LicensePolicies, given: Partial<LicensePolicies> | undefined): LicensePolicies {
  const g = given ?? {};
  return {
    allowedReturns: g.allowedReturns !== undefined ? g.allowedReturns : base.allowedReturns,
    allowedRehosts: g.allowedRehosts !== undefined ? g.allowedRehosts : base.allowedRehosts,
    allowedRepairs: g.allowedRepairs !== undefined ? g.allowedRepairs : base.allowedRepairs,
    allowedExtraActivations: g.allowedExtraActivations !== undefined ? g.allowedExtraActivations : base.allowedExtraActivations,
    window: g.window !== undefined ? g.window : base.window,
  };
}

export const licenseModelExists = (name: string) =>
  errors.alreadyExists("name", `A license model named '${name}' already exists.`);

/** Creates a license model in state DRAFT. */
export async function licenseModelCreator(
  db: Db,
  ctx: RequestContext,
  input: LicenseModelCreateInput,
): Promise<LicenseModelsTable> {
  authorize(ctx.actor, "licenseModel.write");
  const problems = licenseModelProblems(input);
  if (problems.length) throw errors.validationMany(problems);
  const name = input.name.trim();
  try {
    return await db.transaction().execute(async (trx) => {
      const now = nowIso();
      const row = {
        id: newId(),
        name,
        description: input.description ?? null,
        technology: input.technology,
        model_type: input.modelType,
        state: "DRAFT",
        attributes: JSON.stringify((input.attributes ?? []).map(normalizeAttribute)),
        policies: JSON.stringify(mergePolicies(UNLIMITED_POLICIES, input.policies)),
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto("license_models").values(row).execute();
      await recordAudit(trx, ctx, {
        action: "licenseModel.created",
        objectType: "licenseModel",
        objectId: row.id,
        after: presentLicenseModel(row) as never,
      });
      return row;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw licenseModelExists(name);
    throw err;
  }
}
