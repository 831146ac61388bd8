import { type CatalogState, deleteStateProblem, productLabel } from "../../../common/src/rules/catalog.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isForeignKeyViolation } from "../db/constraints.js";
import { findProduct, productDetails, productReferences } from "../db/repos/products.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { presentProduct } from "../presenters/products.js";

/**
 * Deletes a DRAFT product nothing points at. Part numbers selling it, or other products upgrading
 * or upselling to it, must be changed first; deployed products are made OBSOLETE instead.
 */
export async function productDeleter(db: Db, ctx: RequestContext, id: string): Promise<void> {
  authorize(ctx.actor, "product.write");
  let label = `Product '${id}'`;
  try {
    await db.transaction().execute(async (trx) => {
      const before = await findProduct(trx, id);
      if (!before) throw errors.notFound("Product", id);
      label = productLabel(before.name, before.version);
      const stateProblem = deleteStateProblem(label, before.state as CatalogState);
      if (stateProblem) throw errors.invalidState(stateProblem);
      const refs = await productReferences(trx, id);
      if (refs.partIds.length) {
        throw errors.inUse(
          `${label} is sold by part number${refs.partIds.length > 1 ? "s" : ""} ${quoteList(refs.partIds)}; delete or change them first.`,
        );
      }
      if (refs.relatedFrom.length) {
        const names = refs.relatedFrom.map((p) => `${p.name} ${p.version}`);
        throw errors.inUse(`${label} is an upgrade or upsell target of ${quoteList(names)}; remove it from there first.`);
      }
      const details = await productDetails(trx, id);
      const deleted = await trx.deleteFrom("products").where("id", "=", id).where("state", "=", "DRAFT").executeTakeFirst();
      if (Number(deleted.numDeletedRows) !== 1)
        throw errors.conflict(`${label} changed state meanwhile; reload it and try again.`, "state");
      await recordAudit(trx, ctx, {
        action: "product.deleted",
        objectType: "product",
        objectId: id,
        before: presentProduct(before, details) as never,
      });
    });
  } catch (err) {
    if (isForeignKeyViolation(err)) throw errors.inUse(`${label} is still referenced by other records; remove those first.`);
    throw err;
  }
}

const quoteList = (xs: string[]) => xs.map((x) => `'${x}'`).join(", ");
