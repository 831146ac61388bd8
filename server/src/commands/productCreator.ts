import type { ProductCreateBody } from "../../../common/src/api/products.js";
import type { FieldProblem } from "../../../common/src/errors.js";
import { canReference, type FeatureInput, productLabel, productProblems } from "../../../common/src/rules/catalog.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isUniqueViolation } from "../db/constraints.js";
import { licenseModelsByIds } from "../db/repos/licenseModels.js";
import { type ProductDetails, type ProductRecord, productDetails, productsByIds } from "../db/repos/products.js";
import type { Db, LicenseModelsTable, Trx } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { presentProduct } from "../presenters/products.js";
import { newId, nowIso } from "../util.js";

/** The request body, as the route validated it (common/src/api). */
export type ProductCreateInput = ProductCreateBody;

export interface ProductRefs {
  licenseModelIds?: string[] | undefined;
  upgradeToIds?: string[] | undefined;
  upsellToIds?: string[] | undefined;
}

/**
 * Checks that the license models and products a product points at exist (400 naming the list
 * entry) and that none newly added is OBSOLETE (409). `previous` holds what the product already
 * points at; those entries stay allowed whatever their state. Returns the license models found.
 */
export async function checkProductReferences(
  trx: Trx,
  refs: ProductRefs,
  previous: ProductDetails | null,
): Promise<Map<string, LicenseModelsTable>> {
  const models = await licenseModelsByIds(trx, refs.licenseModelIds ?? []);
  const products = await productsByIds(trx, [...(refs.upgradeToIds ?? []), ...(refs.upsellToIds ?? [])]);
  const missing: FieldProblem[] = [];
  const obsolete: FieldProblem[] = [];
  (refs.licenseModelIds ?? []).forEach((id, i) => {
    const m = models.get(id);
    const field = `licenseModelIds[${i}]`;
    if (!m) missing.push({ field, message: `license model '${id}' does not exist` });
    else if (m.state === "OBSOLETE" && !previous?.licenseModelIds.includes(id)) {
      obsolete.push({ field, message: `License model '${m.name}' is OBSOLETE; nothing new can use it.` });
    }
  });
  for (const list of ["upgradeToIds", "upsellToIds"] as const) {
    (refs[list] ?? []).forEach((id, i) => {
      const p = products.get(id);
      const field = `${list}[${i}]`;
      if (!p) missing.push({ field, message: `product '${id}' does not exist` });
      else if (!canReference(p.state, previous?.[list].includes(id) ?? false)) {
        obsolete.push({ field, message: `${productLabel(p.name, p.version)} is OBSOLETE; nothing new can relate to it.` });
      }
    });
  }
  if (missing.length) throw errors.validationMany(missing);
  const first = obsolete[0];
  if (first) throw errors.invalidState(first.message, first.field);
  return models;
}

export const normalizeFeatures = (features: FeatureInput[]): FeatureInput[] =>
  features.map((f) => ({ name: f.name.trim(), version: f.version.trim(), count: f.count }));

/** Replaces the given child sets of a product (features, allowed models, relations); others stay. */
export async function writeProductChildren(
  trx: Trx,
  productId: string,
  input: ProductRefs & { features?: FeatureInput[] | undefined },
) {
  if (input.features) {
    await trx.deleteFrom("product_features").where("product_id", "=", productId).execute();
    const rows = normalizeFeatures(input.features).map((f, position) => ({ product_id: productId, position, ...f }));
    if (rows.length) await trx.insertInto("product_features").values(rows).execute();
  }
  if (input.licenseModelIds) {
    await trx.deleteFrom("product_license_models").where("product_id", "=", productId).execute();
    const rows = input.licenseModelIds.map((id) => ({ product_id: productId, license_model_id: id }));
    if (rows.length) await trx.insertInto("product_license_models").values(rows).execute();
  }
  for (const [list, kind] of [
    ["upgradeToIds", "UPGRADE"],
    ["upsellToIds", "UPSELL"],
  ] as const) {
    const ids = input[list];
    if (!ids) continue;
    await trx.deleteFrom("product_relations").where("product_id", "=", productId).where("kind", "=", kind).execute();
    const rows = ids.map((id) => ({ product_id: productId, related_product_id: id, kind }));
    if (rows.length) await trx.insertInto("product_relations").values(rows).execute();
  }
}

export const productExists = (name: string, version: string) =>
  errors.alreadyExists("version", `Product '${name}' version '${version}' already exists.`);

/** Creates a product in state DRAFT with its features, allowed license models and related products. */
export async function productCreator(db: Db, ctx: RequestContext, input: ProductCreateInput): Promise<ProductRecord> {
  authorize(ctx.actor, "product.write");
  const problems = productProblems(input);
  if (problems.length) throw errors.validationMany(problems);
  const name = input.name.trim();
  const version = input.version.trim();
  try {
    return await db.transaction().execute(async (trx) => {
      await checkProductReferences(trx, input, null);
      const now = nowIso();
      const row = {
        id: newId(),
        name,
        version,
        description: input.description ?? null,
        type: input.type ?? "PRODUCT",
        state: "DRAFT",
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto("products").values(row).execute();
      await writeProductChildren(trx, row.id, {
        features: input.features ?? [],
        licenseModelIds: input.licenseModelIds ?? [],
        upgradeToIds: input.upgradeToIds ?? [],
        upsellToIds: input.upsellToIds ?? [],
      });
      const details = await productDetails(trx, row.id);
      await recordAudit(trx, ctx, {
        action: "product.created",
        objectType: "product",
        objectId: row.id,
        after: presentProduct(row, details) as never,
      });
      return { row, details };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw productExists(name, version);
    throw err;
  }
}
