import { LIMITS } from "../../../../common/src/limits.js";
import type { RequestContext } from "../../actor.js";
import type { ProductConfigInput } from "../../commands/lineItemConfig.js";
import type { Page, PageRequest } from "../../db/paging.js";
import { findEntitlement, findEntitlementByEntitlementId } from "../../db/repos/entitlements.js";
import { findLicenseModelByName } from "../../db/repos/licenseModels.js";
import { findPartNumberByPartId } from "../../db/repos/partNumbers.js";
import { findProductByNameVersion } from "../../db/repos/products.js";
import { type DateFilter, FilterError, parseDateFilter, type TextFilter } from "../../domain/filters.js";
import { AppError } from "../../errors.js";
import type { AppDeps } from "../../plugins/types.js";
import type { Decoded } from "../codec.js";

/**
 * Items one request may carry in its batch (bulk entitlements, key sets, state changes, deletions).
 * FNO documents 25; Licensor accepts more, as each item is its own transaction anyway.
 */
export const SOAP_ITEM_CAP = 100;
/** Web register keys one deleteWebRegKey request may name (each deleted on its own). */
export const SOAP_DELETE_KEY_CAP = 1000;
/** The largest batchSize of the paged queries. */
export const SOAP_BATCH_SIZE_MAX = 1000;

export type Status = "SUCCESS" | "PARTIAL_FAILURE" | "FAILURE";
/** An operation: the decoded request in, the response out; `version` is the one asked (base, v1…v4). */
export type Handler = (deps: AppDeps, ctx: RequestContext, req: Decoded, version: string) => Promise<Decoded>;

/** A business refusal: the operation answers statusInfo FAILURE with this reason. */
export class SoapFailure extends Error {}

export const statusOf = (ok: number, failed: number): Status =>
  failed === 0 ? "SUCCESS" : ok === 0 ? "FAILURE" : "PARTIAL_FAILURE";
/** A batch's status, with a reason counting the items of `what` that failed (FNO's per-item batches). */
export const batchStatus = (ok: number, failed: number, what: string) => ({
  status: statusOf(ok, failed),
  ...(failed ? { reason: `${failed} of ${ok + failed} ${what} failed.` } : {}),
});
export const failure = (reason: string) => ({ statusInfo: { status: "FAILURE", reason } });

/** The reason a command's refusal gives, its field problems included. */
export function reasonOf(err: unknown): string {
  if (err instanceof SoapFailure) return err.message;
  if (err instanceof AppError) return err.message;
  throw err;
}

export function capItems<T>(items: T[], what: string, cap = SOAP_ITEM_CAP): T[] {
  if (items.length > cap) throw new SoapFailure(`At most ${cap} ${what} per request (this one has ${items.length}).`);
  return items;
}

export function notSupported(field: string): never {
  throw new SoapFailure(`${field} is not supported yet by Licensor.`);
}

/** The entitlement an `entitlementIdentifierType` names: uniqueId (Licensor's id) or primaryKeys/entitlementId. */
export async function entitlementPk(deps: AppDeps, ident: Decoded, field = "entitlementIdentifier"): Promise<string> {
  const row = ident?.uniqueId
    ? await findEntitlement(deps.db, ident.uniqueId)
    : ident?.primaryKeys
      ? await findEntitlementByEntitlementId(deps.db, ident.primaryKeys.entitlementId)
      : notSupported(`${field} without uniqueId or primaryKeys`);
  if (!row) throw new SoapFailure(`Entitlement '${ident.uniqueId ?? ident.primaryKeys.entitlementId}' was not found.`);
  return row.id;
}

export async function productId(deps: AppDeps, ident: Decoded, field: string): Promise<string> {
  if (ident.uniqueId) return ident.uniqueId;
  const pk = ident.primaryKeys;
  if (!pk) throw new SoapFailure(`${field}: give uniqueId or primaryKeys (name and version).`);
  const p = await findProductByNameVersion(deps.db, pk.name, pk.version);
  if (!p) throw new SoapFailure(`${field}: product '${pk.name}' version '${pk.version}' does not exist.`);
  return p.id;
}

export async function licenseModelId(deps: AppDeps, ident: Decoded, field: string): Promise<string> {
  if (ident.uniqueId) return ident.uniqueId;
  if (!ident.primaryKeys) throw new SoapFailure(`${field}: give uniqueId or primaryKeys (name).`);
  const m = await findLicenseModelByName(deps.db, ident.primaryKeys.name);
  if (!m) throw new SoapFailure(`${field}: license model '${ident.primaryKeys.name}' does not exist.`);
  return m.id;
}

/** Fields of FNO's bulk data types that Licensor does not take yet: the item is refused, naming the field. */
export function refuseUnsupported(b: Decoded) {
  if (b.policyAttributes) notSupported("policyAttributes (policies come from the license model)");
  if (b.FNPTimeZoneValue) notSupported("FNPTimeZoneValue");
  if (b.versionDateAttributes?.duration) notSupported("versionDateAttributes/duration");
}

/**
 * The product configuration a create or update item gives (products, part number, license models,
 * attributes, dates, copies, type) as the commands take it; undefined when it gives none.
 */
export async function productConfigOf(
  deps: AppDeps,
  b: Decoded,
  entitledProducts: Decoded[],
): Promise<ProductConfigInput | undefined> {
  const products: { productId: string; quantity?: number }[] = [];
  if (b.product) products.push({ productId: await productId(deps, b.product, "product") });
  for (const [i, ep] of entitledProducts.entries()) {
    if (!ep.product) throw new SoapFailure(`entitledProduct[${i + 1}]: the product is required.`);
    products.push({ productId: await productId(deps, ep.product, `entitledProduct[${i + 1}]/product`), quantity: ep.quantity });
  }
  let partNumberId: string | undefined;
  if (b.partNumber) {
    if (b.partNumber.uniqueId) partNumberId = b.partNumber.uniqueId;
    else if (b.partNumber.primaryKeys) {
      const pn = await findPartNumberByPartId(deps.db, b.partNumber.primaryKeys.partId);
      if (!pn) throw new SoapFailure(`partNumber: part number '${b.partNumber.primaryKeys.partId}' does not exist.`);
      partNumberId = pn.id;
    } else throw new SoapFailure("partNumber: give uniqueId or primaryKeys (partId).");
  }
  const alternates: string[] = [];
  if (b.alternateLicenseModel1) alternates.push(await licenseModelId(deps, b.alternateLicenseModel1, "alternateLicenseModel1"));
  if (b.alternateLicenseModel2) alternates.push(await licenseModelId(deps, b.alternateLicenseModel2, "alternateLicenseModel2"));
  const attributes = attributesOf(b.licenseModelAttributes);
  const config: ProductConfigInput = {
    ...(products.length ? { products } : {}),
    ...(partNumberId !== undefined ? { partNumberId } : {}),
    ...(b.licenseModel ? { licenseModelId: await licenseModelId(deps, b.licenseModel, "licenseModel") } : {}),
    ...(alternates.length ? { alternateLicenseModelIds: alternates } : {}),
    ...(Object.keys(attributes).length ? { licenseModelAttributes: attributes } : {}),
    ...(b.startDateOption !== undefined ? { startDateOption: b.startDateOption } : {}),
    ...(b.isPermanent !== undefined ? { isPermanent: b.isPermanent } : {}),
    ...(b.term ? { term: { count: b.term.numDuration, unit: b.term.durationUnit } } : {}),
    ...(b.expirationDate !== undefined ? { expirationDate: b.expirationDate } : {}),
    ...(b.versionDate !== undefined ? { versionDate: b.versionDate } : {}),
    ...(b.versionDateAttributes ? { versionDateOption: b.versionDateAttributes.versionOption } : {}),
    ...(b.numberOfCopies !== undefined ? { numberOfCopies: b.numberOfCopies } : {}),
    ...(b.bulkEntitlementType !== undefined ? { type: b.bulkEntitlementType } : {}),
  };
  return Object.keys(config).length ? config : undefined;
}

/** The header fields of a create or update item, as the commands take them. */
export function headerOf(b: Decoded) {
  const partners = [];
  for (const [i, p] of (b.channelPartners?.channelPartner ?? []).entries()) {
    if (p.contact) notSupported(`channelPartners/channelPartner[${i + 1}]/contact`);
    // accountUnit (v3+) or organizationUnit (before); keyed by id (v4) or name (v1–v3), both read as Licensor's account ID.
    const unit = p.accountUnit ?? p.organizationUnit;
    const accountId = unit.primaryKeys?.id ?? unit.primaryKeys?.name ?? unit.uniqueId;
    if (!accountId) throw new SoapFailure(`channelPartner[${i + 1}]/accountUnit: give uniqueId or primaryKeys/id.`);
    partners.push({ tier: p.tierName, accountId, ...(p.currentOwner !== undefined ? { currentOwner: p.currentOwner } : {}) });
  }
  return {
    ...(b.soldTo !== undefined ? { soldTo: b.soldTo } : {}),
    ...(b.shipToEmail !== undefined ? { shipToEmail: b.shipToEmail } : {}),
    ...(b.shipToAddress !== undefined ? { shipToAddress: b.shipToAddress } : {}),
    ...(b.orderId !== undefined ? { orderId: b.orderId } : {}),
    ...(b.orderLineNumber !== undefined ? { orderLineNumber: b.orderLineNumber } : {}),
    ...(b.description !== undefined ? { description: b.description } : {}),
    ...(b.allowPortalLogin !== undefined ? { allowPortalLogin: b.allowPortalLogin } : {}),
    ...(partners.length ? { channelPartners: partners } : {}),
  };
}

// Helpers of the entitlement queries and line-item operations (ops/entitlements.ts).

/** FNO's SimpleQueryType as a list filter's text filter. */
export const textQuery = (q: Decoded): TextFilter => ({ op: q.searchType, value: q.value });

/** FNO's DateQueryType (a day) as a list filter's date filter: BEFORE the day, AFTER it, ON it (UTC). */
export function dateQuery(q: Decoded): DateFilter {
  const day = q.value as string;
  const next = new Date(Date.parse(`${day.slice(0, 10)}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  if (q.searchType === "BEFORE") return { op: "BEFORE", from: null, to: `${day.slice(0, 10)}T00:00:00.000Z` };
  if (q.searchType === "AFTER") return { op: "AFTER", from: `${next}T00:00:00.000Z`, to: null };
  return { op: "ON", from: `${day.slice(0, 10)}T00:00:00.000Z`, to: `${next}T00:00:00.000Z` };
}

/** FNO's DateTimeQueryType: BEFORE or AFTER the instant, ON its (UTC) day. */
export function dateTimeQuery(field: string, q: Decoded): DateFilter {
  if (q.searchType === "ON") return dateQuery({ value: String(q.value).slice(0, 10), searchType: "ON" });
  try {
    return parseDateFilter(field, `${q.searchType}:${q.value}`);
  } catch (err) {
    if (err instanceof FilterError) throw new SoapFailure(`${field}: ${err.message}`);
    throw err;
  }
}

/** batchSize and pageNumber (1-based, default 1) checked. */
export function pageArgsOf(batchSize: number, pageNumber: number | undefined) {
  if (batchSize < 1 || batchSize > SOAP_BATCH_SIZE_MAX) throw new SoapFailure(`batchSize must be 1 to ${SOAP_BATCH_SIZE_MAX}.`);
  const page = pageNumber ?? 1;
  if (page < 1) throw new SoapFailure("pageNumber starts at 1.");
  return { batchSize, page };
}

/**
 * FNO's page `page` of `batchSize` rows of a keyset-paged list, reached by walking the keysets
 * (the lists page by cursor, FNO by number); empty past the end.
 */
export async function rowsAtPage<T>(
  list: (page: PageRequest) => Promise<Page<T>>,
  batchSize: number,
  page: number,
): Promise<T[]> {
  let cursor: string | undefined;
  let rows: T[] = [];
  for (let n = 1; n <= page; n++) {
    rows = [];
    while (rows.length < batchSize) {
      const chunk = await list({ limit: Math.min(batchSize - rows.length, LIMITS.pageSizeMax), cursor });
      rows.push(...chunk.items);
      cursor = chunk.nextCursor ?? undefined;
      if (!cursor) break;
    }
    if (!cursor && n < page) return [];
  }
  return rows;
}

/** An attributeDescriptorDataType as text attributes (a list's values joined by commas). */
export function textAttributesOf(d: Decoded): Record<string, string> {
  return Object.fromEntries(Object.entries(attributesOf(d)).map(([k, v]) => [k, String(v)]));
}

/** Text attributes as an attributeDescriptorDataType; none → absent. */
export function attributeList(attrs: Record<string, string>): Decoded {
  const list = Object.entries(attrs).map(([attributeName, stringValue]) => ({ attributeName, stringValue }));
  return list.length ? { attribute: list } : null;
}

/** An account as the version's account (v3+: accountPKType, `id` in v4, `name` in v3) or organization key. */
export const accountIdent = (accountId: string, version: string) => ({
  uniqueId: accountId,
  primaryKeys: version === "v4" ? { id: accountId } : { name: accountId },
});

/** An entitlement as FNO identifies it in answers: Licensor's id as uniqueId, and its entitlement ID. */
export const entitlementIdent = (row: { id: string; entitlement_id: string }) => ({
  uniqueId: row.id,
  primaryKeys: { entitlementId: row.entitlement_id },
});

/**
 * The account an `accountIdentifierType` (v3+) or `organizationIdentifierType` (before) names:
 * keyed by id (v4) or name (v1–v3), each read as Licensor's account ID, or its uniqueId.
 */
export function accountIdOf(unit: Decoded, field: string): string {
  const id = unit?.primaryKeys?.id ?? unit?.primaryKeys?.name ?? unit?.uniqueId;
  if (!id) throw new SoapFailure(`${field}: give uniqueId or primaryKeys.`);
  return id;
}

/** An `attributeDescriptorDataType` as the commands take license model attributes: name → value (arrays comma-joined). */
export function attributesOf(list: Decoded): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean> = {};
  for (const a of list?.attribute ?? []) {
    const v =
      a.stringValue ?? a.dateValue ?? a.booleanValue ?? a.integerValue ?? (a.arrayValue ? a.arrayValue.join(",") : undefined);
    if (v !== undefined) attributes[a.attributeName] = v;
  }
  return attributes;
}
