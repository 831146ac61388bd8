import type { AttributeTime, AttributeValueType } from "../enums.js";
import type { FieldProblem } from "../errors.js";
import { isDay } from "./terms.js";

/**
 * Rules of the catalog (products, license models): which state moves are allowed, what may be
 * edited in which state, and what a well-formed feature list or attribute definition is. Pure
 * functions, no I/O; problems come back in words.
 */

/** Products and license models share FNO's catalog life cycle. */
export type CatalogState = "DRAFT" | "DEPLOYED" | "OBSOLETE";

const NEXT_STATES: Record<CatalogState, readonly CatalogState[]> = {
  DRAFT: ["DEPLOYED", "OBSOLETE"],
  DEPLOYED: ["OBSOLETE"],
  OBSOLETE: [],
};

/** States a catalog object may move to from `from`. */
export function nextStates(from: CatalogState): readonly CatalogState[] {
  return NEXT_STATES[from];
}

export function canMove(from: CatalogState, to: CatalogState): boolean {
  return NEXT_STATES[from].includes(to);
}

/** `Product 'Acme CAD 1.0'` — how refusals name a product. */
export const productLabel = (name: string, version: string) => `Product '${name} ${version}'`;
/** `License model 'Floating 10'` — how refusals name a license model. */
export const licenseModelLabel = (name: string) => `License model '${name}'`;

/** Why `label` cannot move from `from` to `to`, or null when the move is allowed. */
export function stateChangeProblem(label: string, from: CatalogState, to: CatalogState): string | null {
  if (from === to) return `${label} is already ${to}.`;
  if (canMove(from, to)) return null;
  const allowed = NEXT_STATES[from];
  const hint = allowed.length === 0 ? `${from} is final.` : `from ${from} it can only go to ${allowed.join(" or ")}.`;
  return `${label} cannot be moved from ${from} to ${to}; ${hint}`;
}

/** A product may be deployed only when every license model it allows is deployed. */
export function productDeployProblem(label: string, models: { name: string; state: string }[]): string | null {
  const notDeployed = models.filter((m) => m.state !== "DEPLOYED");
  if (notDeployed.length === 0) return null;
  const list = notDeployed.map((m) => `'${m.name}' is ${m.state}`).join(", ");
  return `${label} cannot be deployed: its license model ${list}. Deploy the license model${notDeployed.length > 1 ? "s" : ""} first or remove ${notDeployed.length > 1 ? "them" : "it"} from the product.`;
}

export const PRODUCT_FIELDS = [
  "name",
  "version",
  "description",
  "type",
  "features",
  "licenseModelIds",
  "upgradeToIds",
  "upsellToIds",
] as const;
export type ProductField = (typeof PRODUCT_FIELDS)[number];

export const LICENSE_MODEL_FIELDS = ["name", "description", "technology", "modelType", "attributes", "policies"] as const;
export type LicenseModelField = (typeof LICENSE_MODEL_FIELDS)[number];

/** What may change on a product in each state. */
export const PRODUCT_EDITABLE: Record<CatalogState, readonly ProductField[]> = {
  DRAFT: PRODUCT_FIELDS,
  DEPLOYED: ["description", "licenseModelIds", "upgradeToIds", "upsellToIds"],
  OBSOLETE: [],
};

/** What may change on a license model in each state. */
export const LICENSE_MODEL_EDITABLE: Record<CatalogState, readonly LicenseModelField[]> = {
  DRAFT: LICENSE_MODEL_FIELDS,
  DEPLOYED: ["description", "policies"],
  OBSOLETE: [],
};

/**
 * Refusal for changing `changed` fields of an object in `state`, given what that state allows;
 * null when every changed field may change. The problem's field is the first refused one.
 */
export function editProblem(
  label: string,
  state: CatalogState,
  changed: readonly string[],
  editable: readonly string[],
): FieldProblem | null {
  const refused = changed.filter((f) => !editable.includes(f));
  if (refused.length === 0) return null;
  const field = refused[0] as string;
  if (editable.length === 0) return { field, message: `${label} is ${state} and cannot be changed.` };
  return {
    field,
    message: `${label} is ${state}: only ${wordList(editable)} can be changed, not ${wordList(refused)}.`,
  };
}

/**
 * Catalog states the products and license model of an entitlement's configuration may be in:
 * DEPLOYED ones, and DRAFT ones too on a test entitlement (to try them before deploying).
 */
export function configurableStates(test: boolean): readonly CatalogState[] {
  return test ? ["DRAFT", "DEPLOYED"] : ["DEPLOYED"];
}

export function isConfigurable(state: string, test: boolean): boolean {
  return (configurableStates(test) as readonly string[]).includes(state);
}

/**
 * Whether something may (go on) referring to a catalog object in `state`: nothing new can use an
 * OBSOLETE product or license model, but a reference it already has is kept.
 */
export function canReference(state: string, alreadyReferenced: boolean): boolean {
  return state !== "OBSOLETE" || alreadyReferenced;
}

/** Only DRAFT catalog objects can be deleted. */
export const isDeletableState = (state: CatalogState) => state === "DRAFT";

/** Why an object in `state` cannot be deleted, or null (only DRAFT objects can be deleted). */
export function deleteStateProblem(label: string, state: CatalogState): string | null {
  if (isDeletableState(state)) return null;
  return `${label} is ${state}; only DRAFT items can be deleted.${state === "DEPLOYED" ? " Make it OBSOLETE instead." : ""}`;
}

function wordList(xs: readonly string[]): string {
  if (xs.length <= 1) return xs.join("");
  return `${xs.slice(0, -1).join(", ")} and ${xs[xs.length - 1]}`;
}

// ---------------------------------------------------------------------------------------------
// Products

export interface FeatureInput {
  name: string;
  version: string;
  count: number | null;
}

export interface ProductShape {
  name?: string | undefined;
  version?: string | undefined;
  features?: FeatureInput[] | undefined;
  licenseModelIds?: string[] | undefined;
  upgradeToIds?: string[] | undefined;
  upsellToIds?: string[] | undefined;
}

/** Rules on a product's own fields. `selfId` is the product's id when it already exists. */
export function productProblems(input: ProductShape, selfId?: string): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (input.name !== undefined && input.name.trim() === "") out.push({ field: "name", message: "must not be empty" });
  if (input.version !== undefined && input.version.trim() === "") out.push({ field: "version", message: "must not be empty" });
  if (input.features) out.push(...featureProblems(input.features));
  for (const list of ["licenseModelIds", "upgradeToIds", "upsellToIds"] as const) {
    const ids = input[list];
    if (!ids) continue;
    out.push(...duplicateProblems(list, ids));
    if (list !== "licenseModelIds" && selfId !== undefined) {
      ids.forEach((id, i) => {
        if (id === selfId) out.push({ field: `${list}[${i}]`, message: "a product cannot be related to itself" });
      });
    }
  }
  return out;
}

/** Features: name and version given, each (name, version) at most once, count ≥ 1 or null. */
export function featureProblems(features: FeatureInput[]): FieldProblem[] {
  const out: FieldProblem[] = [];
  const seen = new Map<string, number>();
  features.forEach((f, i) => {
    if (f.name.trim() === "") out.push({ field: `features[${i}].name`, message: "must not be empty" });
    if (f.version.trim() === "") out.push({ field: `features[${i}].version`, message: "must not be empty" });
    if (f.count !== null && (!Number.isInteger(f.count) || f.count < 1)) {
      out.push({ field: `features[${i}].count`, message: "must be a whole number of at least 1, or null for uncounted" });
    }
    const key = `${f.name.trim()}\u0000${f.version.trim()}`;
    const first = seen.get(key);
    if (first !== undefined) {
      out.push({
        field: `features[${i}].name`,
        message: `feature '${f.name.trim()}' version '${f.version.trim()}' is already listed at features[${first}]`,
      });
    } else seen.set(key, i);
  });
  return out;
}

function duplicateProblems(list: string, ids: string[]): FieldProblem[] {
  const out: FieldProblem[] = [];
  const seen = new Map<string, number>();
  ids.forEach((id, i) => {
    const first = seen.get(id);
    if (first !== undefined) out.push({ field: `${list}[${i}]`, message: `'${id}' is already listed at ${list}[${first}]` });
    else seen.set(id, i);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// License models

export interface AttributeDefinition {
  name: string;
  valueType: AttributeValueType;
  time: AttributeTime;
  required: boolean;
  defaultValue: string | null;
  allowedValues: string[];
}

export interface AttributeInput {
  name: string;
  valueType: AttributeValueType;
  time: AttributeTime;
  required: boolean;
  defaultValue?: string | null | undefined;
  allowedValues?: string[] | undefined;
}

export const ATTRIBUTE_NAME_MAX = 128;

/** Rules on a license model's own fields. */
export function licenseModelProblems(input: {
  name?: string | undefined;
  attributes?: AttributeInput[] | undefined;
}): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (input.name !== undefined && input.name.trim() === "") out.push({ field: "name", message: "must not be empty" });
  if (input.attributes) out.push(...attributeProblems(input.attributes));
  return out;
}

/**
 * Attribute definitions: a non-empty name used once (case-insensitively), allowed values exactly
 * for ENUM (non-empty, each once), and a default value that fits the value type.
 */
export function attributeProblems(attributes: AttributeInput[]): FieldProblem[] {
  const out: FieldProblem[] = [];
  const seen = new Map<string, number>();
  attributes.forEach((a, i) => {
    const at = `attributes[${i}]`;
    const name = a.name.trim();
    if (name === "") out.push({ field: `${at}.name`, message: "must not be empty" });
    else if (name.length > ATTRIBUTE_NAME_MAX)
      out.push({ field: `${at}.name`, message: `must be at most ${ATTRIBUTE_NAME_MAX} characters` });
    else {
      const first = seen.get(name.toLowerCase());
      if (first !== undefined)
        out.push({ field: `${at}.name`, message: `attribute '${name}' is already defined at attributes[${first}]` });
      else seen.set(name.toLowerCase(), i);
    }
    const allowed = a.allowedValues ?? [];
    if (a.valueType === "ENUM") {
      if (allowed.length === 0)
        out.push({ field: `${at}.allowedValues`, message: "an ENUM attribute needs at least one allowed value" });
      const vs = new Set<string>();
      allowed.forEach((v, j) => {
        if (v.trim() === "") out.push({ field: `${at}.allowedValues[${j}]`, message: "must not be empty" });
        else if (vs.has(v)) out.push({ field: `${at}.allowedValues[${j}]`, message: `'${v}' is listed twice` });
        vs.add(v);
      });
    } else if (allowed.length > 0) {
      out.push({ field: `${at}.allowedValues`, message: `only ENUM attributes have allowed values, not ${a.valueType}` });
    }
    if (a.defaultValue !== undefined && a.defaultValue !== null) {
      const p = attributeValueProblem(a.valueType, a.defaultValue, allowed);
      if (p) out.push({ field: `${at}.defaultValue`, message: p });
    }
  });
  return out;
}

/** Why `value` is not a valid value of an attribute of this type, or null. */
export function attributeValueProblem(valueType: AttributeValueType, value: string, allowedValues: string[] = []): string | null {
  switch (valueType) {
    case "STRING":
      return null;
    case "NUMBER":
      return /^-?\d+(\.\d+)?$/.test(value) && Number.isFinite(Number(value)) ? null : `'${value}' is not a number`;
    case "DATE":
      return isDay(value) ? null : `'${value}' is not a date in the form YYYY-MM-DD`;
    case "BOOLEAN":
      return value === "true" || value === "false" ? null : `'${value}' is not true or false`;
    case "ENUM":
      return allowedValues.includes(value) ? null : `'${value}' is not one of the allowed values (${allowedValues.join(", ")})`;
  }
}

/** The stored form of an attribute definition: names trimmed, absent values made explicit. */
export function normalizeAttribute(a: AttributeInput): AttributeDefinition {
  return {
    name: a.name.trim(),
    valueType: a.valueType,
    time: a.time,
    required: a.required,
    defaultValue: a.defaultValue ?? null,
    allowedValues: a.allowedValues ?? [],
  };
}

// ---------------------------------------------------------------------------------------------
// Partner tiers

export const PARTNER_TIER_NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;

export function partnerTierNameProblem(name: string): string | null {
  if (PARTNER_TIER_NAME_RE.test(name)) return null;
  return "must be 1 to 128 characters of letters, digits, '.', '_' and '-'";
}
