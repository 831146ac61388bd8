import type { PartNumberRow } from "../db/repos/partNumbers.js";

export interface PartNumberJson {
  id: string;
  partId: string;
  description: string | null;
  productId: string;
  productName: string;
  productVersion: string;
  quantity: number;
  licenseModelId: string | null;
  licenseModelName: string | null;
  createdAt: string;
  updatedAt: string;
}

export function presentPartNumber(row: PartNumberRow): PartNumberJson {
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
