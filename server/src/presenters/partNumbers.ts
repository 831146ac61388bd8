import type { PartNumber } from "../../../common/src/api/partNumbers.js";
import type { PartNumberRow } from "../db/repos/partNumbers.js";

export function presentPartNumber(row: PartNumberRow): PartNumber {
  return {
    id: row.id,
    partId: row.part_id,
    description: row.description,
    productId: row.product_id,
    productName: row.product_name,
    productVersion: row.product_version,
    quantity: row.quantity,
    licenseModelId: row.license_model_id,
    licenseModelName: row.license_model_name,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
