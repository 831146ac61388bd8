import type { LicenseModel, LicenseModelPolicies } from "../../../common/src/api/licenseModels.js";
import type { LicenseModelState, LicenseModelType, LicenseTechnology } from "../../../common/src/enums.js";
import type { AttributeDefinition } from "../../../common/src/rules/catalog.js";
import type { LicenseModelsTable } from "../db/schema.js";

/** null: unlimited. */
export type LicensePolicies = LicenseModelPolicies;

/** A new license model's policies: returns, rehosts and repairs unlimited; no extra activations. */
export const UNLIMITED_POLICIES: LicensePolicies = {
  allowedReturns: null,
  allowedRehosts: null,
  allowedRepairs: null,
  allowedExtraActivations: 0,
  window: null,
};

export function parseAttributes(text: string): AttributeDefinition[] {
  const list = JSON.parse(text) as Partial<AttributeDefinition>[];
  return list.map((a) => ({
    name: a.name ?? "",
    valueType: a.valueType ?? "STRING",
    time: a.time ?? "ENTITLEMENT",
    required: a.required ?? false,
    defaultValue: a.defaultValue ?? null,
    allowedValues: a.allowedValues ?? [],
  }));
}

export function parsePolicies(text: string): LicensePolicies {
  const p = JSON.parse(text) as Partial<LicensePolicies>;
  return {
    allowedReturns: p.allowedReturns ?? null,
    allowedRehosts: p.allowedRehosts ?? null,
    allowedRepairs: p.allowedRepairs ?? null,
    // Absent (a model saved before extra activations existed): none, as for a new model.
    allowedExtraActivations: p.allowedExtraActivations === undefined ? 0 : p.allowedExtraActivations,
    window: p.window ?? null,
  };
}

export function presentLicenseModel(row: LicenseModelsTable): LicenseModel {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    technology: row.technology as LicenseTechnology,
    modelType: row.model_type as LicenseModelType,
    state: row.state as LicenseModelState,
    attributes: parseAttributes(row.attributes),
    policies: parsePolicies(row.policies),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
