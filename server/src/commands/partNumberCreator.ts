import type { PartNumberCreateBody } from "../../../common/src/api/partNumbers.js";
import type { FieldProblem } from "../../../common/src/errors.js";
import { canReference, productLabel } from "../../../common/src/rules/catalog.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isUniqueViolation } from "../db/constraints.js";
import { findLicenseModel, licenseModelsByIds } from "../db/repos/licenseModels.js";
import { findPartNumber, type PartNumberRow } from "../db/repos/partNumbers.js";
import { findProduct, productDetails } from "../db/repos/products.js";
import type { Db, Trx } from "../db/schema.js";
import { specifiedIdProblem } from "../domain/ids.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { presentPartNumber } from "../presenters/partNumbers.js";
import { newId, nowIso } from "../util.js";

/** The request body, as the route validated it (common/src/api). */
export type PartNumberCreateInput = PartNumberCreateBody;

/**
 * Checks what a part number points at: the product and license model exist (400), neither is
 * newly OBSOLETE (409), and the model is one the product allows when the product limits them.
 */
export async function checkPartNumberRefs(
  trx: Trx,
  productId: string,
  licenseModelId: string | null,
  previous: { productId: string; licenseModelId: string | null } | null,
): Promise<void> {
  const product = await findProduct(trx, productId);
  const model = licenseModelId ? await findLicenseModel(trx, licenseModelId) : undefined;
  const missing: FieldProblem[] = [];
  if (!product) missing.push({ field: "productId", message: `product '${productId}' does not exist` });
  if (licenseModelId && !model)
    missing.push({ field: "licenseModelId", message: `license model '${licenseModelId}' does not exist` });
  if (missing.length || !product) throw errors.validationMany(missing);
  const label = productLabel(product.name, product.version);
  if (!canReference(product.state, previous?.productId === productId)) {
    throw errors.invalidState(`${label} is OBSOLETE; no new part number can sell it.`, "productId");
  }
  if (!model) return;
  if (!canReference(model.state, previous?.licenseModelId === model.id)) {
    throw errors.invalidState(`License model '${model.name}' is OBSOLETE; nothing new can use it.`, "licenseModelId");
  }
  const allowed = (await productDetails(trx, productId)).licenseModelIds;
  if (allowed.length > 0 && !allowed.includes(model.id)) {
    const names = [...(await licenseModelsByIds(trx, allowed)).values()].map((m) => `'${m.name}'`).sort();
    throw errors.validation(
      "licenseModelId",
      `license model '${model.name}' is not allowed for ${label}; it allows ${names.join(", ")}`,
    );
  }
}

export const partNumberExists = (partId: string) => errors.alreadyExists("partId", `Part number '${partId}' already exists.`);

/** Creates a part number (SKU): what an ERP order line names, mapped to a product and quantity. */
export async function partNumberCreator(db: Db, ctx: RequestContext, input: PartNumberCreateInput): Promise<PartNumberRow> {
  authorize(ctx.actor, "partNumber.write");
  const idProblem = specifiedIdProblem(input.partId);
  if (idProblem) throw errors.validation("partId", idProblem);
  try {
    return await db.transaction().execute(async (trx) => {
      const licenseModelId = input.licenseModelId ?? null;
      await checkPartNumberRefs(trx, input.productId, licenseModelId, null);
      const now = nowIso();
      const row = {
        id: newId(),
        part_id: input.partId,
        description: input.description ?? null,
        product_id: input.productId,
        quantity: input.quantity ?? 1,
        license_model_id: licenseModelId,
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto("part_numbers").values(row).execute();
      const full = await findPartNumber(trx, row.id);
      if (!full) throw new Error("part number vanished inside its own transaction");
      await recordAudit(trx, ctx, {
        action: "partNumber.created",
        objectType: "partNumber",
        objectId: row.id,
        after: presentPartNumber(full) as never,
      });
      return full;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw partNumberExists(input.partId);
    throw err;
  }
}
