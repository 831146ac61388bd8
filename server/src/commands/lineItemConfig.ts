import type { LineItemBody } from "../../../common/src/api/entitlements.js";
import type { LINE_ITEM_TYPES } from "../../../common/src/enums.js";
import type { FieldProblem } from "../../../common/src/errors.js";
import { LIMITS } from "../../../common/src/limits.js";
import { configurableStates } from "../../../common/src/rules/catalog.js";
import { entitlementAttributeProblems, entitlementAttributeValues } from "../../../common/src/rules/entitlements.js";
import { type TermsInput, termsProblems, today } from "../../../common/src/rules/terms.js";
import { licenseModelsByIds } from "../db/repos/licenseModels.js";
import { findPartNumber } from "../db/repos/partNumbers.js";
import { productDetailsMany, productsByIds } from "../db/repos/products.js";
import type { LineItemsTable, Trx } from "../db/schema.js";
import { parseAttributes } from "../presenters/licenseModels.js";
import { newId } from "../util.js";

export type LineItemType = (typeof LINE_ITEM_TYPES)[number];

/**
 * What a line item or a bulk entitlement's product configuration says (the "Add Product" wizard):
 * product(s) with quantities or a part number, license model and up to two alternates, the
 * model's entitlement-time attributes, dates, copies and type.
 */
export type ProductConfigInput = Omit<LineItemBody, "lineItemType" | "activationId"> & {
  /** The line item's type, or the bulk entitlement's (`lineItemType` / `bulkEntitlementType` in the body). */
  type?: LineItemType | null;
};

/** The validated configuration, ready to store. */
export interface ResolvedConfig {
  products: { productId: string; quantity: number }[];
  row: Pick<
    LineItemsTable,
    | "part_number_id"
    | "license_model_id"
    | "alt_license_model1_id"
    | "alt_license_model2_id"
    | "license_model_attributes"
    | "start_date_option"
    | "start_date"
    | "is_permanent"
    | "term_count"
    | "term_unit"
    | "expiration_date"
    | "version_date_option"
    | "version_date"
    | "number_of_copies"
    | "line_item_type"
    | "order_id"
    | "order_line_number"
    | "description"
  >;
}

export interface ConfigRules {
  kind: "SIMPLE" | "BULK";
  /** Test entitlements may use DRAFT products and license models. */
  test: boolean;
  /** Field path prefix for problems, e.g. `product` or `lineItems[2]`. */
  field: string;
}

/** Normalised terms with FNO's defaults: start now (today), permanent unless a term or expiry is given. */
export function termsOf(input: ProductConfigInput): TermsInput {
  const startDateOption = input.startDateOption ?? "DEFINE_NOW";
  const hasEnd = input.term != null || input.expirationDate != null;
  return {
    startDateOption,
    startDate: input.startDate ?? (startDateOption === "DEFINE_NOW" ? today() : null),
    isPermanent: input.isPermanent ?? !hasEnd,
    term: input.term ?? null,
    expirationDate: input.expirationDate ?? null,
    versionDateOption: input.versionDateOption ?? null,
    versionDate: input.versionDate ?? null,
  };
}

/**
 * Checks a product configuration against the catalog, inside the caller's transaction. Returns
 * every problem at once (with field paths), or the configuration to store.
 */
export async function resolveConfig(
  trx: Trx,
  input: ProductConfigInput,
  rules: ConfigRules,
): Promise<{ config: ResolvedConfig | null; problems: FieldProblem[] }> {
  const f = (name: string) => `${rules.field}.${name}`;
  const problems: FieldProblem[] = [];
  const allowedStates: readonly string[] = configurableStates(rules.test);
  const stateWord = rules.test ? "DRAFT or DEPLOYED" : "DEPLOYED (use a test entitlement to try DRAFT ones)";

  let products = (input.products ?? []).map((p) => ({ productId: p.productId, quantity: p.quantity ?? 1 }));
  let licenseModelId = input.licenseModelId ?? null;
  let partNumberId: string | null = null;
  if (input.partNumberId && products.length > 0) {
    problems.push({ field: f("partNumberId"), message: "give either products or a part number, not both" });
  } else if (input.partNumberId) {
    const pn = await findPartNumber(trx, input.partNumberId);
    if (!pn) problems.push({ field: f("partNumberId"), message: `part number '${input.partNumberId}' does not exist` });
    else {
      partNumberId = pn.id;
      products = [{ productId: pn.product_id, quantity: pn.quantity }];
      if (pn.license_model_id) {
        if (licenseModelId && licenseModelId !== pn.license_model_id) {
          problems.push({
            field: f("licenseModelId"),
            message: `part number '${pn.part_id}' is sold with another license model`,
          });
        }
        licenseModelId = pn.license_model_id;
      }
    }
  } else if (products.length === 0) {
    problems.push({ field: f("products"), message: "choose a product or a part number" });
  }
  if (rules.kind === "BULK" && products.length > 1) {
    problems.push({ field: f("products"), message: "a bulk entitlement holds exactly one product" });
  }
  const seen = new Set<string>();
  products.forEach((p, i) => {
    if (seen.has(p.productId)) problems.push({ field: f(`products[${i}].productId`), message: "is listed twice" });
    seen.add(p.productId);
    if (!Number.isInteger(p.quantity) || p.quantity < 1)
      problems.push({ field: f(`products[${i}].quantity`), message: "must be a whole number of at least 1" });
  });

  const productRows = await productsByIds(trx, [...seen]);
  const details = await productDetailsMany(trx, [...seen]);
  products.forEach((p, i) => {
    const row = productRows.get(p.productId);
    const at = input.partNumberId ? f("partNumberId") : f(`products[${i}].productId`);
    if (!row) {
      problems.push({ field: at, message: `product '${p.productId}' does not exist` });
      return;
    }
    const label = `product '${row.name} ${row.version}'`;
    if (!allowedStates.includes(row.state))
      problems.push({ field: at, message: `${label} is ${row.state}; it must be ${stateWord}` });
    if (rules.kind === "BULK" && row.type === "MAINTENANCE") {
      problems.push({
        field: at,
        message: `${label} is a maintenance product; a bulk entitlement takes products and suites only`,
      });
    }
  });

  const alternates = input.alternateLicenseModelIds ?? [];
  if (alternates.length > 2)
    problems.push({ field: f("alternateLicenseModelIds"), message: "at most two alternate license models" });
  const modelIds = [...new Set([licenseModelId, ...alternates].filter((x): x is string => !!x))];
  const models = await licenseModelsByIds(trx, modelIds);
  const checkModel = (id: string, at: string) => {
    const m = models.get(id);
    if (!m) {
      problems.push({ field: at, message: `license model '${id}' does not exist` });
      return;
    }
    if (!allowedStates.includes(m.state))
      problems.push({ field: at, message: `license model '${m.name}' is ${m.state}; it must be ${stateWord}` });
    for (const p of products) {
      const allowed = details.get(p.productId)?.licenseModelIds ?? [];
      const prod = productRows.get(p.productId);
      if (prod && allowed.length > 0 && !allowed.includes(id)) {
        problems.push({
          field: at,
          message: `license model '${m.name}' is not allowed for product '${prod.name} ${prod.version}'`,
        });
      }
    }
  };
  if (licenseModelId) checkModel(licenseModelId, f("licenseModelId"));
  alternates.forEach((id, i) => {
    const at = f(`alternateLicenseModelIds[${i}]`);
    if (id === licenseModelId) problems.push({ field: at, message: "is already the main license model" });
    else if (alternates.indexOf(id) !== i) problems.push({ field: at, message: "is listed twice" });
    else checkModel(id, at);
  });

  let attributes: Record<string, string> = {};
  const given = input.licenseModelAttributes ?? {};
  const mainModel = licenseModelId ? models.get(licenseModelId) : undefined;
  if (mainModel) {
    const defs = parseAttributes(mainModel.attributes);
    problems.push(...entitlementAttributeProblems(defs, given, f("licenseModelAttributes")));
    attributes = entitlementAttributeValues(defs, given);
  } else if (Object.keys(given).length > 0) {
    problems.push({ field: f("licenseModelAttributes"), message: "choose a license model before giving its attributes" });
  }

  const terms = termsOf(input);
  problems.push(...termsProblems(terms, rules.field));
  const copies = input.numberOfCopies ?? 1;
  if (!Number.isInteger(copies) || copies < 1 || copies > LIMITS.copiesMax) {
    problems.push({ field: f("numberOfCopies"), message: "must be a whole number from 1 to 1,000,000,000" });
  }
  if (problems.length) return { config: null, problems };
  return {
    problems,
    config: {
      products,
      row: {
        part_number_id: partNumberId,
        license_model_id: licenseModelId,
        alt_license_model1_id: alternates[0] ?? null,
        alt_license_model2_id: alternates[1] ?? null,
        license_model_attributes: JSON.stringify(attributes),
        start_date_option: terms.startDateOption,
        start_date: terms.startDate ?? null,
        is_permanent: terms.isPermanent ? 1 : 0,
        term_count: terms.term?.count ?? null,
        term_unit: terms.term?.unit ?? null,
        expiration_date: terms.expirationDate ?? null,
        version_date_option: terms.versionDateOption ?? null,
        version_date: terms.versionDate ?? null,
        number_of_copies: copies,
        line_item_type: input.type ?? null,
        order_id: input.orderId ?? null,
        order_line_number: input.orderLineNumber ?? null,
        description: input.description ?? null,
      },
    },
  };
}

/** Stores a line item (or bulk configuration) and its products. */
export async function insertLineItem(
  trx: Trx,
  args: {
    entitlementPk: string;
    role: "LINE_ITEM" | "BULK_CONFIG";
    position: number;
    state: string;
    activationId: string | null;
    idGenerated: boolean;
    config: ResolvedConfig;
    parentLineItemId?: string | null;
    now: string;
  },
): Promise<string> {
  const id = newId();
  await trx
    .insertInto("line_items")
    .values({
      id,
      entitlement_id: args.entitlementPk,
      role: args.role,
      position: args.position,
      activation_id: args.activationId,
      id_generated: args.idGenerated ? 1 : 0,
      state: args.state,
      ...args.config.row,
      fulfilled_count: 0,
      overdraft_count: 0,
      parent_line_item_id: args.parentLineItemId ?? null,
      created_at: args.now,
      updated_at: args.now,
    })
    .execute();
  await replaceLineItemProducts(trx, id, args.config.products);
  return id;
}

export async function replaceLineItemProducts(trx: Trx, lineItemId: string, products: { productId: string; quantity: number }[]) {
  await trx.deleteFrom("line_item_products").where("line_item_id", "=", lineItemId).execute();
  if (products.length === 0) return;
  await trx
    .insertInto("line_item_products")
    .values(products.map((p, i) => ({ line_item_id: lineItemId, product_id: p.productId, quantity: p.quantity, position: i })))
    .execute();
}
