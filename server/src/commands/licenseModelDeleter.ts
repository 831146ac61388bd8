import { type CatalogState, deleteStateProblem, licenseModelLabel } from "../../../common/src/rules/catalog.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isForeignKeyViolation } from "../db/constraints.js";
import { findLicenseModel, licenseModelReferences } from "../db/repos/licenseModels.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { presentLicenseModel } from "../presenters/licenseModels.js";

/** Deletes a DRAFT license model that no product allows and no part number names. */
export async function licenseModelDeleter(db: Db, ctx: RequestContext, id: string): Promise<void> {
  authorize(ctx.actor, "licenseModel.write");
  let label = `License model '${id}'`;
  try {
    await db.transaction().execute(async (trx) => {
      const before = await findLicenseModel(trx, id);
      if (!before) throw errors.notFound("License model", id);
      label = licenseModelLabel(before.name);
      const stateProblem = deleteStateProblem(label, before.state as CatalogState);
      if (stateProblem) throw errors.invalidState(stateProblem);
      const refs = await licenseModelReferences(trx, id);
      const users = [
        ...refs.products.map((p) => `product '${p.name} ${p.version}'`),
        ...refs.partIds.map((p) => `part number '${p}'`),
      ];
      if (users.length) throw errors.inUse(`${label} is used by ${users.join(", ")}; remove it there first.`);
      const deleted = await trx.deleteFrom("license_models").where("id", "=", id).where("state", "=", "DRAFT").executeTakeFirst();
      if (Number(deleted.numDeletedRows) !== 1)
        throw errors.conflict(`${label} changed state meanwhile; reload it and try again.`, "state");
      await recordAudit(trx, ctx, {
        action: "licenseModel.deleted",
        objectType: "licenseModel",
        objectId: id,
        before: presentLicenseModel(before) as never,
      });
    });
  } catch (err) {
    if (isForeignKeyViolation(err))
      throw errors.inUse(`${label} is still used by products or part numbers; remove it there first.`);
    throw err;
  }
}
