import type { ProductState } from "../../../common/src/enums.js";
import { type CatalogState, productDeployProblem, productLabel, stateChangeProblem } from "../../../common/src/rules/catalog.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { licenseModelsByIds } from "../db/repos/licenseModels.js";
import { findProduct, type ProductRecord, productDetails } from "../db/repos/products.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { presentProduct } from "../presenters/products.js";
import { nowIso } from "../util.js";

/**
 * Moves a product DRAFT → DEPLOYED, DRAFT → OBSOLETE or DEPLOYED → OBSOLETE. Deploying needs
 * every allowed license model to be DEPLOYED.
 */
export async function productStateChanger(db: Db, ctx: RequestContext, id: string, to: ProductState): Promise<ProductRecord> {
  authorize(ctx.actor, "product.write");
  return db.transaction().execute(async (trx) => {
    const before = await findProduct(trx, id);
    if (!before) throw errors.notFound("Product", id);
    const label = productLabel(before.name, before.version);
    const from = before.state as CatalogState;
    const refused = stateChangeProblem(label, from, to);
    if (refused) throw errors.invalidState(refused);
    const details = await productDetails(trx, id);
    if (to === "DEPLOYED") {
      const models = await licenseModelsByIds(trx, details.licenseModelIds);
      const problem = productDeployProblem(
        label,
        details.licenseModelIds.map((m) => models.get(m)).filter((m) => m !== undefined),
      );
      if (problem) throw errors.invalidState(problem, "licenseModelIds");
    }
    const updated = await trx
      .updateTable("products")
      .set({ state: to, updated_at: nowIso() })
      .where("id", "=", id)
      .where("state", "=", from)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1)
      throw errors.conflict(`${label} changed state meanwhile; reload it and try again.`, "state");
    const current = presentProduct(before, details);
    const row = (await findProduct(trx, id)) ?? before;
    const { updatedAt: _a, ...afterAudit } = presentProduct(row, details);
    const { updatedAt: _b, ...beforeAudit } = current;
    await recordAudit(trx, ctx, {
      action: "product.state_changed",
      objectType: "product",
      objectId: id,
      before: beforeAudit,
      after: afterAudit,
    });
    return { row, details };
  });
}
