import {
  type CatalogState,
  editProblem,
  LICENSE_MODEL_EDITABLE,
  type LicenseModelField,
  licenseModelLabel,
  licenseModelProblems,
  normalizeAttribute,
} from "../../../common/src/rules/catalog.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isUniqueViolation } from "../db/constraints.js";
import { findLicenseModel } from "../db/repos/licenseModels.js";
import type { Db, LicenseModelsTable } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { parseAttributes, parsePolicies, presentLicenseModel } from "../presenters/licenseModels.js";
import { nowIso } from "../util.js";
import { type LicenseModelCreateInput, licenseModelExists, mergePolicies } from "./licenseModelCreator.js";

export type LicenseModelUpdateInput = Partial<LicenseModelCreateInput>;

/**
 * Edits a license model. DRAFT: anything. DEPLOYED: description and policies only. OBSOLETE:
 * nothing. Fields sent unchanged are not counted as changes.
 */
export async function licenseModelUpdater(
  db: Db,
  ctx: RequestContext,
  id: string,
  input: LicenseModelUpdateInput,
): Promise<LicenseModelsTable> {
  authorize(ctx.actor, "licenseModel.write");
  const problems = licenseModelProblems(input);
  if (problems.length) throw errors.validationMany(problems);
  const name = input.name?.trim();
  try {
    return await db.transaction().execute(async (trx) => {
      const before = await findLicenseModel(trx, id);
      if (!before) throw errors.notFound("License model", id);
      const attributes = input.attributes ? JSON.stringify(input.attributes.map(normalizeAttribute)) : before.attributes;
      const policies = JSON.stringify(mergePolicies(parsePolicies(before.policies), input.policies));
      const next = {
        name: name ?? before.name,
        description: input.description !== undefined ? input.description : before.description,
        technology: input.technology ?? before.technology,
        model_type: input.modelType ?? before.model_type,
        attributes,
        policies,
      };
      const changed: LicenseModelField[] = [];
      if (next.name !== before.name) changed.push("name");
      if (next.description !== before.description) changed.push("description");
      if (next.technology !== before.technology) changed.push("technology");
      if (next.model_type !== before.model_type) changed.push("modelType");
      if (JSON.stringify(parseAttributes(attributes)) !== JSON.stringify(parseAttributes(before.attributes)))
        changed.push("attributes");
      if (JSON.stringify(parsePolicies(policies)) !== JSON.stringify(parsePolicies(before.policies))) changed.push("policies");
      const current = presentLicenseModel(before);
      if (changed.length === 0) return before;

      const state = before.state as CatalogState;
      const refused = editProblem(licenseModelLabel(before.name), state, changed, LICENSE_MODEL_EDITABLE[state]);
      if (refused) throw errors.invalidState(refused.message, refused.field);

      const row = { ...before, ...next, updated_at: nowIso() };
      const updated = await trx
        .updateTable("license_models")
        .set(row)
        .where("id", "=", id)
        .where("state", "=", before.state)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) {
        throw errors.conflict(
          `${licenseModelLabel(before.name)} changed state while it was being edited; reload it and try again.`,
          "state",
        );
      }
      const { updatedAt: _a, ...afterAudit } = presentLicenseModel(row);
      const { updatedAt: _b, ...beforeAudit } = current;
      await recordAudit(trx, ctx, {
        action: "licenseModel.updated",
        objectType: "licenseModel",
        objectId: id,
        before: beforeAudit,
        after: afterAudit,
      });
      return row;
    });
  } catch (err) {
    if (isUniqueViolation(err) && name) throw licenseModelExists(name);
    throw err;
  }
}
