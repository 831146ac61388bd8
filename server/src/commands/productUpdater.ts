import { ERROR_CODES } from "../../../common/src/errors.js";
import {
  type CatalogState,
  editProblem,
  PRODUCT_EDITABLE,
  type ProductField,
  productLabel,
  productProblems,
} from "../../../common/src/rules/catalog.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isUniqueViolation } from "../db/constraints.js";
import { findProduct, type ProductRecord, partNumbersOutsideModels, productDetails } from "../db/repos/products.js";
import type { Db } from "../db/schema.js";
import { AppError, errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { presentProduct } from "../presenters/products.js";
import { nowIso } from "../util.js";
import {
  checkProductReferences,
  normalizeFeatures,
  type ProductCreateInput,
  productExists,
  writeProductChildren,
} from "./productCreator.js";

export type ProductUpdateInput = Partial<ProductCreateInput>;

const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().join("\u0000") === [...b].sort().join("\u0000");

/**
 * Edits a product. DRAFT: anything. DEPLOYED: description, allowed license models and related
 * products only. OBSOLETE: nothing. Fields sent unchanged are not counted as changes, so a form
 * may send the whole product back.
 */
export async function productUpdater(db: Db, ctx: RequestContext, id: string, input: ProductUpdateInput): Promise<ProductRecord> {
  authorize(ctx.actor, "product.write");
  const problems = productProblems(input, id);
  if (problems.length) throw errors.validationMany(problems);
  let label = "";
  let wanted = { name: "", version: "" };
  try {
    return await db.transaction().execute(async (trx) => {
      const before = await findProduct(trx, id);
      if (!before) throw errors.notFound("Product", id);
      const details = await productDetails(trx, id);
      const current = presentProduct(before, details);
      const next = {
        name: input.name !== undefined ? input.name.trim() : before.name,
        version: input.version !== undefined ? input.version.trim() : before.version,
        description: input.description !== undefined ? input.description : before.description,
        type: input.type ?? before.type,
      };
      label = productLabel(next.name, next.version);
      wanted = { name: next.name, version: next.version };
      const features = input.features ? normalizeFeatures(input.features) : undefined;
      const changed: ProductField[] = [];
      if (next.name !== before.name) changed.push("name");
      if (next.version !== before.version) changed.push("version");
      if (next.description !== before.description) changed.push("description");
      if (next.type !== before.type) changed.push("type");
      if (features && JSON.stringify(features) !== JSON.stringify(details.features)) changed.push("features");
      for (const list of ["licenseModelIds", "upgradeToIds", "upsellToIds"] as const) {
        const ids = input[list];
        if (ids && !sameSet(ids, details[list])) changed.push(list);
      }
      if (changed.length === 0) return { row: before, details };

      const state = before.state as CatalogState;
      const refused = editProblem(productLabel(before.name, before.version), state, changed, PRODUCT_EDITABLE[state]);
      if (refused) throw errors.invalidState(refused.message, refused.field);

      const refs = {
        licenseModelIds: changed.includes("licenseModelIds") ? input.licenseModelIds : undefined,
        upgradeToIds: changed.includes("upgradeToIds") ? input.upgradeToIds : undefined,
        upsellToIds: changed.includes("upsellToIds") ? input.upsellToIds : undefined,
      };
      const models = await checkProductReferences(trx, refs, details);
      if (refs.licenseModelIds) {
        if (state === "DEPLOYED") {
          const i = refs.licenseModelIds.findIndex(
            (m) => !details.licenseModelIds.includes(m) && models.get(m)?.state !== "DEPLOYED",
          );
          const m = models.get(refs.licenseModelIds[i] as string);
          if (m) {
            throw errors.invalidState(
              `${label} is DEPLOYED, so it can only allow DEPLOYED license models; '${m.name}' is ${m.state}.`,
              `licenseModelIds[${i}]`,
            );
          }
        }
        const parts = await partNumbersOutsideModels(trx, id, refs.licenseModelIds);
        if (parts.length) {
          const msg = `Part number${parts.length > 1 ? "s" : ""} ${parts.map((p) => `'${p}'`).join(", ")} of ${label} use${parts.length > 1 ? "" : "s"} a license model this change would no longer allow; change ${parts.length > 1 ? "them" : "it"} first.`;
          throw new AppError(409, ERROR_CODES.inUse, "In use", msg, "licenseModelIds");
        }
      }

      const updated = await trx
        .updateTable("products")
        .set({ ...next, updated_at: nowIso() })
        .where("id", "=", id)
        .where("state", "=", before.state)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) {
        throw errors.conflict(`${label} changed state while it was being edited; reload it and try again.`, "state");
      }
      await writeProductChildren(trx, id, { ...refs, features: changed.includes("features") ? features : undefined });
      const row = await findProduct(trx, id);
      const result = { row: row ?? before, details: await productDetails(trx, id) };
      const { updatedAt: _a, ...afterAudit } = presentProduct(result.row, result.details);
      const { updatedAt: _b, ...beforeAudit } = current;
      await recordAudit(trx, ctx, {
        action: "product.updated",
        objectType: "product",
        objectId: id,
        before: beforeAudit,
        after: afterAudit,
      });
      return result;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw productExists(wanted.name, wanted.version);
    throw err;
  }
}
