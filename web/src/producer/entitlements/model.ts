import type { BulkProduct, Entitlement, LineItem, ProductConfig } from "../../../../common/src/api/entitlements";
import { attributeValueProblem } from "../../../../common/src/rules/catalog";
import { type MoveTarget, movesFrom } from "../../../../common/src/rules/entitlementStates";
import { type EntitlementKind, shipToEmailProblem } from "../../../../common/src/rules/entitlements";
import { type DurationUnit, isDay, type StartDateOption, TERM_COUNT_MAX } from "../../../../common/src/rules/terms";
import type { BulkProductInput, ChannelPartnerInput, EntitlementHeaderInput, LineItemInput } from "../../api/endpoints";
import { newRowKey } from "../../lib/diff";
import {
  type AttributeValueType,
  DURATION_UNITS,
  LIMITS,
  LINE_ITEM_TYPES,
  START_DATE_OPTIONS,
  STATE_TYPES,
  VERSION_DATE_OPTIONS,
} from "../../lib/enums";
import { orNull } from "../../lib/format";
import { humanize } from "../../lib/labels";
import { idChars } from "../../lib/validate";

/** Pages of the Entitlements menu. */
export const entitlementPath = (id: string) => `/entitlements/${encodeURIComponent(id)}`;
export const ENTITLEMENT_ROUTES = {
  list: "/entitlements",
  createSimple: "/entitlements/new/simple",
  createBulk: "/entitlements/new/bulk",
  createTestBulk: "/entitlements/new/test-bulk",
} as const;

export type Kind = EntitlementKind;

// ---------------------------------------------------------------------------------------------
// FNO wording for the enumerations

export const START_DATE_LABELS: Record<StartDateOption, string> = {
  DEFINE_NOW: "Specify now",
  DEFINE_AT_FIRST_ACTIVATION: "Specify at first activation",
  DEFINE_AT_EACH_ACTIVATION: "Specify at each activation",
  DEFINE_ACTDATE_AT_FIRST_ACTIVATION: "Use first activation date",
  DEFINE_ACTDATE_AT_EACH_ACTIVATION: "Use each activation date",
};

export const VERSION_DATE_LABELS: Record<(typeof VERSION_DATE_OPTIONS)[number], string> = {
  DEFINE_NOW: "Specify now",
  USE_START_DATE: "Use start date",
  USE_ACTIVATION_DATE: "Use activation date",
  DEFINE_VERSION_STARTDATE_LATER: "Specify version start date later",
  DEFINE_VERSION_DATE_LATER: "Specify version date later",
};

export const UNIT_LABELS: Record<DurationUnit, string> = { DAYS: "Days", WEEKS: "Weeks", MONTHS: "Months", YEARS: "Years" };

export const startDateOptions = START_DATE_OPTIONS.map((v) => ({ value: v, label: START_DATE_LABELS[v] }));
export const versionDateOptions = VERSION_DATE_OPTIONS.map((v) => ({ value: v, label: VERSION_DATE_LABELS[v] }));
export const unitOptions = DURATION_UNITS.map((v) => ({ value: v, label: UNIT_LABELS[v] }));
/** Line item / bulk entitlement type; "none" is the empty value. */
export const NO_TYPE = "NONE";
export const typeOptions = [{ value: NO_TYPE, label: "None" }, ...LINE_ITEM_TYPES.map((v) => ({ value: v, label: humanize(v) }))];

export const TEXT_OPERATOR_OPTIONS = [
  { value: "STARTS_WITH", label: "Starts with" },
  { value: "CONTAINS", label: "Contains" },
  { value: "ENDS_WITH", label: "Ends with" },
  { value: "EQUALS", label: "Equals" },
];
export const DATE_OPERATOR_OPTIONS = [
  { value: "BEFORE", label: "Before" },
  { value: "AFTER", label: "After" },
  { value: "ON", label: "On" },
];
export const STATE_OPTIONS = STATE_TYPES.map((s) => ({ value: s, label: humanize(s) }));

export const EVENT_LABELS: Record<string, string> = {
  EVENT_CREATED: "Created",
  EVENT_PROPERTY_CHANGED: "Property changed",
  EVENT_STATE_CHANGED: "State changed",
  EVENT_TRANSFERRED: "Transferred",
};

/** Each state an entitlement or line item can be moved to, worded as an action. */
export const MOVE_WORDS: Record<MoveTarget, { label: string; color: string; words: string }> = {
  DEPLOYED: { label: "Deploy", color: "green", words: "deployed" },
  INACTIVE: { label: "Inactive", color: "gray", words: "is now inactive" },
  OBSOLETE: { label: "Obsolete", color: "orange", words: "is now obsolete" },
};

/** The legal moves from `state` (common/src/rules/entitlementStates.ts), worded as actions. */
export const stateMoves = (state: string) => movesFrom(state).map((to) => ({ to, ...MOVE_WORDS[to] }));

// ---------------------------------------------------------------------------------------------
// Product configuration (the "Add Product" / "Add line item" wizard)

export interface AttributeRow {
  name: string;
  valueType: AttributeValueType;
  required: boolean;
  hasDefault: boolean;
  allowedValues: string[];
  value: string;
}

export interface PartChoice {
  id: string;
  partId: string;
  productId: string;
  productLabel: string;
  quantity: number;
  licenseModelId: string | null;
  licenseModelName: string | null;
}

export interface ConfigValues {
  source: "PRODUCT" | "PART";
  products: { key: string; productId: string; label: string; quantity: number | string }[];
  part: PartChoice | null;
  licenseModelId: string | null;
  alternateLicenseModelIds: string[];
  /** Names of the license models picked, for the summary. */
  modelNames: Record<string, string>;
  attributes: AttributeRow[];
  startDateOption: StartDateOption;
  startDate: string;
  expiration: "PERMANENT" | "TERM" | "DATE";
  termCount: number | string;
  termUnit: DurationUnit;
  expirationDate: string;
  versionDateOption: string | null;
  versionDate: string;
  numberOfCopies: number | string;
  /** Bulk entitlement type or line item type; NO_TYPE for none. */
  type: string;
  autoDeploy: boolean;
  activationMode: "AUTO" | "SPECIFY";
  activationId: string;
  /** Kept as they are (no input in the wizard) so an edit does not clear them. */
  description: string | null;
  orderId: string | null;
  orderLineNumber: string | null;
}

/** Today as YYYY-MM-DD in the user's calendar. */
export function todayDay(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

export function emptyConfig(): ConfigValues {
  return {
    source: "PRODUCT",
    products: [],
    part: null,
    licenseModelId: null,
    alternateLicenseModelIds: [],
    modelNames: {},
    attributes: [],
    startDateOption: "DEFINE_NOW",
    startDate: todayDay(),
    expiration: "PERMANENT",
    termCount: 1,
    termUnit: "YEARS",
    expirationDate: "",
    versionDateOption: null,
    versionDate: "",
    numberOfCopies: 1,
    type: NO_TYPE,
    autoDeploy: false,
    activationMode: "AUTO",
    activationId: "",
    description: null,
    orderId: null,
    orderLineNumber: null,
  };
}

/** A stored configuration (bulk product or line item) as wizard values. */
export function configFromJson(c: ProductConfig, type: string | null, activationId?: string): ConfigValues {
  const part: PartChoice | null = c.partNumberId
    ? {
        id: c.partNumberId,
        partId: c.partId ?? c.partNumberId,
        productId: c.products[0]?.productId ?? "",
        productLabel: c.products[0] ? `${c.products[0].name} ${c.products[0].version}` : "",
        quantity: c.products[0]?.quantity ?? 1,
        licenseModelId: null,
        licenseModelName: null,
      }
    : null;
  const modelNames: Record<string, string> = {};
  if (c.licenseModelId) modelNames[c.licenseModelId] = c.licenseModelName ?? c.licenseModelId;
  return {
    ...emptyConfig(),
    source: part ? "PART" : "PRODUCT",
    products: part
      ? []
      : c.products.map((p) => ({
          key: newRowKey(),
          productId: p.productId,
          label: `${p.name} ${p.version}`,
          quantity: p.quantity,
        })),
    part,
    licenseModelId: c.licenseModelId,
    alternateLicenseModelIds: c.alternateLicenseModelIds,
    modelNames,
    // Definitions come when the wizard loads the model; until then the stored values are kept as text.
    attributes: Object.entries(c.licenseModelAttributes).map(([name, value]) => ({
      name,
      valueType: "STRING" as AttributeValueType,
      required: false,
      hasDefault: false,
      allowedValues: [],
      value,
    })),
    startDateOption: c.startDateOption as StartDateOption,
    startDate: c.startDate ?? (c.startDateOption === "DEFINE_NOW" ? todayDay() : ""),
    expiration: c.isPermanent ? "PERMANENT" : c.term ? "TERM" : "DATE",
    termCount: c.term?.count ?? 1,
    termUnit: (c.term?.unit as DurationUnit) ?? "YEARS",
    expirationDate: c.expirationDate ?? "",
    versionDateOption: c.versionDateOption,
    versionDate: c.versionDate ?? "",
    numberOfCopies: c.numberOfCopies,
    type: type ?? NO_TYPE,
    activationMode: activationId ? "SPECIFY" : "AUTO",
    activationId: activationId ?? "",
    description: c.description,
    orderId: c.orderId,
    orderLineNumber: c.orderLineNumber,
  };
}

function attributeBody(rows: AttributeRow[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const a of rows) {
    if (a.value === "") continue;
    out[a.name] = a.value;
  }
  return out;
}

/** The fields every configuration body carries, complete so a PATCH also clears what was unset. */
function commonBody(v: ConfigValues) {
  const startNow = v.startDateOption === "DEFINE_NOW";
  return {
    licenseModelId: v.source === "PART" && v.part?.licenseModelId ? v.part.licenseModelId : v.licenseModelId,
    alternateLicenseModelIds: v.alternateLicenseModelIds,
    licenseModelAttributes: attributeBody(v.attributes),
    startDateOption: v.startDateOption as LineItemInput["startDateOption"],
    startDate: startNow ? orNull(v.startDate) : null,
    isPermanent: v.expiration === "PERMANENT",
    term:
      v.expiration === "TERM"
        ? { count: Number(v.termCount), unit: v.termUnit as NonNullable<LineItemInput["term"]>["unit"] }
        : null,
    expirationDate: v.expiration === "DATE" ? orNull(v.expirationDate) : null,
    versionDateOption: v.versionDateOption as LineItemInput["versionDateOption"],
    versionDate: v.versionDateOption === "DEFINE_NOW" ? orNull(v.versionDate) : null,
    numberOfCopies: Number(v.numberOfCopies),
    description: v.description,
    orderId: v.orderId,
    orderLineNumber: v.orderLineNumber,
  };
}

const productsBody = (v: ConfigValues) => v.products.map((p) => ({ productId: p.productId, quantity: Number(p.quantity) }));

/**
 * The bulk configuration body. Both `products` and `partNumberId` are always sent (one of them
 * empty) so that PATCH /product, which merges onto the stored configuration, switches cleanly.
 */
export function bulkProductBody(v: ConfigValues): BulkProductInput {
  return {
    ...(v.source === "PART" && v.part
      ? { partNumberId: v.part.id, products: [] }
      : { products: productsBody(v), partNumberId: null }),
    ...commonBody(v),
    bulkEntitlementType: v.type === NO_TYPE ? null : (v.type as BulkProductInput["bulkEntitlementType"]),
  };
}

/**
 * A line item body. With a part number `products` is left out: PATCH /line-items/:id drops the
 * stored products only when `partNumberId` is given, and drops the part number when `products` is.
 */
export function lineItemBody(v: ConfigValues, mode: "create" | "edit"): LineItemInput {
  const body: LineItemInput = {
    ...(v.source === "PART" && v.part ? { partNumberId: v.part.id } : { products: productsBody(v), partNumberId: null }),
    ...commonBody(v),
    lineItemType: v.type === NO_TYPE ? null : (v.type as LineItemInput["lineItemType"]),
  };
  if (v.activationMode === "SPECIFY" && v.activationId.trim()) body.activationId = v.activationId.trim();
  else if (mode === "create") delete body.activationId;
  return body;
}

/** Which wizard step holds each input (for showing a problem on the step where it can be fixed). */
export function stepOf(path: string): number {
  if (path === "products" || path === "part" || path === "source") return 0;
  if (path.startsWith("products.")) return 1;
  if (path === "licenseModelId" || path === "alternateLicenseModelIds" || path.startsWith("attributes.")) return 2;
  return 3;
}

/** Client-side checks of the wizard, on the server's rules (common/src/rules/terms.ts) worded for the form. */
export function configProblems(v: ConfigValues, kind: Kind): Record<string, string> {
  const out: Record<string, string> = {};
  if (v.source === "PART") {
    if (!v.part) out.part = "Choose a part number";
  } else if (v.products.length === 0) out.products = kind === "BULK" ? "Choose a product" : "Choose at least one product";
  else if (kind === "BULK" && v.products.length > 1) out.products = "A bulk entitlement holds exactly one product";
  if (v.source === "PRODUCT")
    v.products.forEach((p, i) => {
      const n = Number(p.quantity);
      if (p.quantity === "" || !Number.isInteger(n) || n < 1)
        out[`products.${i}.quantity`] = "Must be a whole number of at least 1";
    });
  v.attributes.forEach((a, i) => {
    const at = `attributes.${i}.value`;
    if (a.value === "") {
      if (a.required && !a.hasDefault) out[at] = `${a.name} is required by the license model`;
      return;
    }
    // The server's value rule (common/src/rules/catalog.ts), worded for the form.
    if (a.valueType === "NUMBER" && attributeValueProblem("NUMBER", a.value)) out[at] = "Must be a number";
    if (a.valueType === "DATE" && attributeValueProblem("DATE", a.value)) out[at] = "Must be a date (YYYY-MM-DD)";
  });
  if (v.startDateOption === "DEFINE_NOW") {
    if (!v.startDate) out.startDate = "Start date is required when the start date is specified now";
    else if (!isDay(v.startDate)) out.startDate = "Must be a date (YYYY-MM-DD)";
  }
  if (v.expiration === "TERM") {
    const n = Number(v.termCount);
    if (v.termCount === "" || !Number.isInteger(n) || n < 1 || n > TERM_COUNT_MAX)
      out.termCount = `Must be a whole number from 1 to ${TERM_COUNT_MAX}`;
  }
  if (v.expiration === "DATE") {
    if (!v.expirationDate) out.expirationDate = "Expiration date is required";
    else if (!isDay(v.expirationDate)) out.expirationDate = "Must be a date (YYYY-MM-DD)";
    else if (v.startDateOption === "DEFINE_NOW" && v.startDate && v.expirationDate <= v.startDate)
      out.expirationDate = `Must be after the start date ${v.startDate}`;
  }
  if (v.versionDateOption === "DEFINE_NOW") {
    if (!v.versionDate) out.versionDate = "Version date is required when it is specified now";
    else if (!isDay(v.versionDate)) out.versionDate = "Must be a date (YYYY-MM-DD)";
  }
  const copies = Number(v.numberOfCopies);
  if (v.numberOfCopies === "" || !Number.isInteger(copies) || copies < 1 || copies > LIMITS.copiesMax)
    out.numberOfCopies = `Must be a whole number from 1 to ${LIMITS.copiesMax.toLocaleString("en-US")}`;
  if (kind === "SIMPLE" && v.activationMode === "SPECIFY") {
    const id = v.activationId;
    if (!id.trim()) out.activationId = "Activation ID is required when you specify it";
    else if (id.length > LIMITS.idMax) out.activationId = `Must be at most ${LIMITS.idMax} characters`;
    else if (id !== id.trim()) out.activationId = "Must not start or end with spaces";
    else {
      const p = idChars(id);
      if (p) out.activationId = p;
    }
  }
  return out;
}

/**
 * A server problem about a configuration field (the part after `product.` or `lineItems[i].`)
 * → the wizard input that shows it.
 */
export function configFieldPath(field: string, v: ConfigValues): string {
  const f = field.replace(/\[(\d+)\]/g, ".$1");
  if (f === "partNumberId") return "part";
  if (f === "products" || /^products\.\d+\.productId$/.test(f)) return v.source === "PART" ? "part" : "products";
  if (/^products\.\d+\.quantity$/.test(f)) return f;
  if (f.startsWith("alternateLicenseModelIds")) return "alternateLicenseModelIds";
  if (f.startsWith("licenseModelAttributes.")) {
    const name = f.slice("licenseModelAttributes.".length);
    const i = v.attributes.findIndex((a) => a.name === name);
    return i >= 0 ? `attributes.${i}.value` : "licenseModelId";
  }
  if (f === "licenseModelAttributes") return "licenseModelId";
  if (f === "term" || f.startsWith("term.") || f === "isPermanent")
    return v.expiration === "TERM" ? "termCount" : v.expiration === "DATE" ? "expirationDate" : "expiration";
  if (f === "expirationDate") return v.expiration === "DATE" ? "expirationDate" : "expiration";
  if (f === "startDate") return v.startDateOption === "DEFINE_NOW" ? "startDate" : "startDateOption";
  if (f === "versionDate") return v.versionDateOption === "DEFINE_NOW" ? "versionDate" : "versionDateOption";
  if (f === "lineItemType" || f === "bulkEntitlementType") return "type";
  return f;
}

/** Readable names of wizard inputs, for problems listed outside the wizard. */
export const CONFIG_FIELD_NAMES: Record<string, string> = {
  part: "Part number",
  products: "Product",
  licenseModelId: "License model",
  alternateLicenseModelIds: "Alternate license models",
  startDateOption: "Start date",
  startDate: "Start date",
  expiration: "Expiration",
  termCount: "Term",
  expirationDate: "Expiration date",
  versionDateOption: "Version date",
  versionDate: "Version date",
  numberOfCopies: "Number of copies",
  type: "Type",
  activationId: "Activation ID",
};

export function configFieldName(path: string, v: ConfigValues): string {
  const q = /^products\.(\d+)\.quantity$/.exec(path);
  if (q) return `Quantity of ${v.products[Number(q[1])]?.label ?? "product"}`;
  const a = /^attributes\.(\d+)\.value$/.exec(path);
  if (a) return v.attributes[Number(a[1])]?.name ?? "Attribute";
  return CONFIG_FIELD_NAMES[path] ?? path;
}

// ---------------------------------------------------------------------------------------------
// Header (the top of Create Simple / Create Bulk and the entitlement page)

export interface PartnerRow {
  key: string;
  tier: string | null;
  accountId: string | null;
  accountName: string;
  contactUserId: string | null;
  currentOwner: boolean;
}

export interface AttributeKV {
  key: string;
  name: string;
  value: string;
}

export interface HeaderValues {
  idMode: "AUTO" | "SPECIFY";
  entitlementId: string;
  description: string;
  shipToEmail: string;
  shipToAddress: string;
  orderId: string;
  orderLineNumber: string;
  soldTo: string | null;
  soldToName: string;
  channelPartners: PartnerRow[];
  allowPortalLogin: boolean;
  customAttributes: AttributeKV[];
}

export const partnerRow = (p?: Partial<PartnerRow>): PartnerRow => ({
  key: newRowKey(),
  tier: p?.tier ?? null,
  accountId: p?.accountId ?? null,
  accountName: p?.accountName ?? "",
  contactUserId: p?.contactUserId ?? null,
  currentOwner: p?.currentOwner ?? false,
});

export const attributeKV = (name = "", value = ""): AttributeKV => ({ key: newRowKey(), name, value });

export function emptyHeader(): HeaderValues {
  return {
    idMode: "AUTO",
    entitlementId: "",
    description: "",
    shipToEmail: "",
    shipToAddress: "",
    orderId: "",
    orderLineNumber: "",
    soldTo: null,
    soldToName: "",
    channelPartners: [],
    allowPortalLogin: false,
    customAttributes: [],
  };
}

export function headerFromEntitlement(e: Entitlement): HeaderValues {
  const sold = e.channelPartners.find((p) => p.accountId === e.soldTo);
  return {
    idMode: "SPECIFY",
    entitlementId: e.entitlementId,
    description: e.description ?? "",
    shipToEmail: e.shipToEmail ?? "",
    shipToAddress: e.shipToAddress ?? "",
    orderId: e.orderId ?? "",
    orderLineNumber: e.orderLineNumber ?? "",
    soldTo: e.soldTo,
    soldToName: sold?.accountName ?? "",
    channelPartners: e.channelPartners.map((p) =>
      partnerRow({
        tier: p.tier,
        accountId: p.accountId,
        accountName: p.accountName,
        contactUserId: p.contactUserId,
        currentOwner: p.currentOwner,
      }),
    ),
    allowPortalLogin: e.allowPortalLogin,
    customAttributes: Object.entries(e.customAttributes).map(([k, v]) => attributeKV(k, v)),
  };
}

export function partnersBody(rows: PartnerRow[]): ChannelPartnerInput[] {
  return rows
    .filter((r) => r.tier && r.accountId)
    .map((r) => ({
      tier: r.tier as string,
      accountId: r.accountId as string,
      contactUserId: r.contactUserId,
      currentOwner: r.currentOwner,
    }));
}

export function headerBody(v: HeaderValues): EntitlementHeaderInput {
  return {
    ...(v.idMode === "SPECIFY" ? { entitlementId: v.entitlementId.trim() } : {}),
    description: orNull(v.description),
    shipToEmail: orNull(v.shipToEmail),
    shipToAddress: orNull(v.shipToAddress),
    orderId: orNull(v.orderId),
    orderLineNumber: orNull(v.orderLineNumber),
    soldTo: v.soldTo,
    channelPartners: partnersBody(v.channelPartners),
    allowPortalLogin: v.allowPortalLogin,
    customAttributes: Object.fromEntries(v.customAttributes.filter((a) => a.name.trim()).map((a) => [a.name.trim(), a.value])),
  };
}

/** The server's ship-to rule (common/src/rules/entitlements.ts) for the form, where empty means no address. */
export function shipToEmailFieldProblem(value: string): string | null {
  if (value.trim() === "") return null;
  const p = shipToEmailProblem(value);
  return p && p.charAt(0).toUpperCase() + p.slice(1);
}

export function entitlementIdProblem(v: HeaderValues): string | null {
  if (v.idMode !== "SPECIFY") return null;
  const id = v.entitlementId;
  if (!id.trim()) return "Entitlement ID is required when you specify it";
  if (id.length > LIMITS.idMax) return `Must be at most ${LIMITS.idMax} characters`;
  if (id !== id.trim()) return "Must not start or end with spaces";
  return idChars(id);
}

/** Product names of an entitlement, for lists. */
export function productNamesOf(e: Entitlement): string[] {
  const configs: ProductConfig[] = e.kind === "BULK" ? (e.product ? [e.product] : []) : e.lineItems;
  const names = new Set<string>();
  for (const c of configs) for (const p of c.products) names.add(`${p.name} ${p.version}`);
  return [...names];
}

export const isBulkProduct = (c: ProductConfig): c is BulkProduct => "bulkEntitlementType" in c;
export const isLineItem = (c: ProductConfig): c is LineItem => "activationId" in c;
