import type { Product } from "../../../common/src/api/products.js";
import type { ProductState, ProductType } from "../../../common/src/enums.js";
import type { ProductDetails } from "../db/repos/products.js";
import type { ProductsTable } from "../db/schema.js";

export function presentProduct(row: ProductsTable, d: ProductDetails): Product {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    description: row.description,
    type: row.type as ProductType,
    state: row.state as ProductState,
    features: d.features.map((f) => ({ name: f.name, version: f.version, count: f.count })),
    licenseModelIds: [...d.licenseModelIds],
    upgradeToIds: [...d.upgradeToIds],
    upsellToIds: [...d.upsellToIds],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
