import type { LicenseModelState } from "../../../common/src/enums.js";
import { type CatalogState, licenseModelLabel, stateChangeProblem } from "../../../common/src/rules/catalog.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { findLicenseModel } from "../db/repos/licenseModels.js";
import type { Db, LicenseModelsTable } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { presentLicenseModel } from "../presenters/licenseModels.js";
import { nowIso } from "../util.js";

/** Moves a license model DRAFT → DEPLOYED, DRAFT → OBSOLETE or DEPLOYED → OBSOLETE. */
export async function licenseModelStateChanger(
  db: Db,
  ctx: RequestContext,
  id: string,
  to: LicenseModelState,
): Promise<LicenseModelsTable> {
  authorize(ctx.actor, "licenseModel.write");
  return db.transaction().execute(async (trx) => {
    const before = await findLicenseModel(trx, id);
    if (!before) throw errors.notFound("License model", id);
    const label = licenseModelLabel(before.name);
    const from = before.state as CatalogState;
    const refused = stateChangeProblem(label, from, to);
    if (refused) throw errors.invalidState(refused);
    const row = { ...before, state: to, updated_at: nowIso() };
    const updated = await trx
      .updateTable("license_models")
      .set({ state: row.state, updated_at: row.updated_at })
      .where("id", "=", id)
      .where("state", "=", from)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1)
      throw errors.conflict(`${label} changed state meanwhile; reload it and try again.`, "state");
    const { updatedAt: _a, ...afterAudit } = presentLicenseModel(row);
    const { updatedAt: _b, ...beforeAudit } = presentLicenseModel(before);
    await recordAudit(trx, ctx, {
      action: "licenseModel.state_changed",
      objectType: "licenseModel",
      objectId: id,
      before: beforeAudit,
      after: afterAudit,
    });
    return row;
  });
}
