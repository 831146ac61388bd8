import type { ProductState, ProductType } from "../../../../common/src/enums.js";
import type { TextFilter } from "../../domain/filters.js";
import { after, decodeCursor, type Page, type PageRequest, pageLimit, textMatch, toPage } from "../paging.js";
import type { Db, ProductsTable, Trx } from "../schema.js";

export interface ProductFeature {
  name: string;
  version: string;
  count: number | null;
}

/** What hangs off a product row: features in their given order, allowed models, related products. */
export interface ProductDetails {
  features: ProductFeature[];
  licenseModelIds: string[];
  upgradeToIds: string[];
  upsellToIds: string[];
}

/** A product with its features, license models and upgrade/upsell targets: what its JSON is made of. */
export interface ProductRecord {
  row: ProductsTable;
  details: ProductDetails;
}

export const emptyDetails = (): ProductDetails => ({ features: [], licenseModelIds: [], upgradeToIds: [], upsellToIds: [] });

export async function findProduct(db: Db | Trx, id: string): Promise<ProductsTable | undefined> {
  return db.selectFrom("products").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function productsByIds(db: Db | Trx, ids: string[]): Promise<Map<string, ProductsTable>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom("products").selectAll().where("id", "in", ids).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

export async function productDetails(db: Db | Trx, id: string): Promise<ProductDetails> {
  return (await productDetailsMany(db, [id])).get(id) ?? emptyDetails();
}

export async function productDetailsMany(db: Db | Trx, ids: string[]): Promise<Map<string, ProductDetails>> {
  const map = new Map<string, ProductDetails>(ids.map((id) => [id, emptyDetails()]));
  if (ids.length === 0) return map;
  // One after the other: inside a transaction they share one connection anyway.
  const features = await db
    .selectFrom("product_features")
    .select(["product_id", "name", "version", "count"])
    .where("product_id", "in", ids)
    .orderBy("product_id")
    .orderBy("position")
    .execute();
  const models = await db
    .selectFrom("product_license_models")
    .select(["product_id", "license_model_id"])
    .where("product_id", "in", ids)
    .orderBy("product_id")
    .orderBy("license_model_id")
    .execute();
  const relations = await db
    .selectFrom("product_relations")
    .select(["product_id", "related_product_id", "kind"])
    .where("product_id", "in", ids)
    .orderBy("product_id")
    .orderBy("related_product_id")
    .execute();
  for (const f of features) map.get(f.product_id)?.features.push({ name: f.name, version: f.version, count: f.count });
  for (const m of models) map.get(m.product_id)?.licenseModelIds.push(m.license_model_id);
  for (const r of relations) {
    const d = map.get(r.product_id);
    if (!d) continue;
    (r.kind === "UPGRADE" ? d.upgradeToIds : d.upsellToIds).push(r.related_product_id);
  }
  return map;
}

/** Who points at a product: part numbers selling it, and other products that upgrade or upsell to it. */
export async function productReferences(
  db: Db | Trx,
  id: string,
): Promise<{ partIds: string[]; relatedFrom: { name: string; version: string }[] }> {
  const parts = await db
    .selectFrom("part_numbers")
    .select("part_id")
    .where("product_id", "=", id)
    .orderBy("part_id")
    .limit(10)
    .execute();
  const related = await db
    .selectFrom("product_relations")
    .innerJoin("products", "products.id", "product_relations.product_id")
    .select(["products.name", "products.version"])
    .distinct()
    .where("product_relations.related_product_id", "=", id)
    .where("product_relations.product_id", "<>", id)
    .orderBy("products.name")
    .orderBy("products.version")
    .limit(10)
    .execute();
  return { partIds: parts.map((p) => p.part_id), relatedFrom: related };
}

/** Part numbers of a product that name a license model outside `allowed` (empty: any model is allowed). */
export async function partNumbersOutsideModels(db: Db | Trx, productId: string, allowed: string[]): Promise<string[]> {
  if (allowed.length === 0) return [];
  const rows = await db
    .selectFrom("part_numbers")
    .select("part_id")
    .where("product_id", "=", productId)
    .where("license_model_id", "is not", null)
    .where("license_model_id", "not in", allowed)
    .orderBy("part_id")
    .limit(10)
    .execute();
  return rows.map((r) => r.part_id);
}

export interface ProductListFilter {
  q?: string | undefined;
  name?: TextFilter | undefined;
  version?: TextFilter | undefined;
  state?: ProductState | undefined;
  type?: ProductType | undefined;
}

/** Products ordered by name, version and id, keyset-paged. */
export async function listProducts(db: Db, f: ProductListFilter, page: PageRequest): Promise<Page<ProductsTable>> {
  const limit = pageLimit(page);
  const cur = decodeCursor(page.cursor, 3);
  let q = db.selectFrom("products").selectAll();
  if (f.q) {
    const term: TextFilter = { op: "CONTAINS", value: f.q };
    q = q.where((eb) => eb.or([textMatch(eb, "name", term), textMatch(eb, "version", term), textMatch(eb, "description", term)]));
  }
  if (f.name) q = q.where((eb) => textMatch(eb, "name", f.name as TextFilter));
  if (f.version) q = q.where((eb) => textMatch(eb, "version", f.version as TextFilter));
  if (f.state) q = q.where("state", "=", f.state);
  if (f.type) q = q.where("type", "=", f.type);
  if (cur) q = q.where((eb) => after(eb, ["name", "version", "id"], cur));
  const rows = await q
    .orderBy("name")
    .orderBy("version")
    .orderBy("id")
    .limit(limit + 1)
    .execute();
  return toPage(
    rows,
    limit,
    (r) => [r.name, r.version, r.id],
    (r) => r,
  );
}

/** A product by the name and version FNO integrations identify it by (the SOAP facade's `productPKType`). */
export async function findProductByNameVersion(db: Db | Trx, name: string, version: string): Promise<ProductsTable | undefined> {
  return db.selectFrom("products").selectAll().where("name", "=", name).where("version", "=", version).executeTakeFirst();
}
