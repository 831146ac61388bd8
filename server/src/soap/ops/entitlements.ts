import type { Entitlement, LineItem } from "../../../../common/src/api/entitlements.js";
import { STATE_TYPES, type StateType } from "../../../../common/src/enums.js";
import type { RequestContext } from "../../actor.js";
import { type EntitlementCreateInput, entitlementCreator, type LineItemInput } from "../../commands/entitlementCreator.js";
import { entitlementRecord, loadVisibleEntitlement } from "../../commands/entitlementSupport.js";
import { entitlementUpdater } from "../../commands/entitlementUpdater.js";
import { lineItemAdder, lineItemRemover, lineItemStateChanger, lineItemUpdater } from "../../commands/lineItemCommands.js";
import {
  countEntitlements,
  type EntitlementFilter,
  findEntitlementByEntitlementId,
  lineItemsOf,
  listEntitlements,
} from "../../db/repos/entitlements.js";
import {
  countLineItems,
  entitlementRecordsMany,
  findLineItemByAnyId,
  type LineItemFilter,
  listLineItems,
} from "../../db/repos/lineItemSearch.js";
import { likePattern } from "../../domain/filters.js";
import { AppError } from "../../errors.js";
import type { AppDeps } from "../../plugins/types.js";
import { scopeEntitlements } from "../../policies/entitlements.js";
import { presentEntitlementRecord } from "../../presenters/entitlements.js";
import type { Decoded } from "../codec.js";
import {
  accountIdent,
  attributeList,
  batchStatus,
  capItems,
  dateQuery,
  dateTimeQuery,
  entitlementPk,
  type Handler,
  headerOf,
  notSupported,
  pageArgsOf,
  productConfigOf,
  reasonOf,
  refuseUnsupported,
  rowsAtPage,
  SoapFailure,
  textAttributesOf,
  textQuery,
} from "./support.js";

// ---- Requests: FNO's data types as the commands' inputs ----

/** Runs `f`, prefixing a refusal's reason with where it is (`lineItems[2]`). */
async function at<T>(where: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw new SoapFailure(`${where}: ${reasonOf(err)}`);
  }
}

/** A createEntitlementLineItemDataType as a line item of the create and add commands. */
async function lineItemInput(deps: AppDeps, li: Decoded): Promise<LineItemInput> {
  refuseUnsupported(li);
  if (li.lineItemAttributes?.attribute?.length) notSupported("lineItemAttributes (line items have no custom attributes)");
  const config = (await productConfigOf(deps, li, li.entitledProducts?.entitledProduct ?? [])) ?? {};
  const id = li.activationId;
  return {
    ...config,
    ...(li.startDate !== undefined ? { startDate: li.startDate } : {}),
    ...(li.lineItemType !== undefined ? { type: li.lineItemType } : {}),
    ...(li.description !== undefined ? { description: li.description } : {}),
    ...(li.orderId !== undefined ? { orderId: li.orderId } : {}),
    ...(li.orderLineNumber !== undefined ? { orderLineNumber: li.orderLineNumber } : {}),
    ...(id.autoGenerate === true || !id.id ? {} : { activationId: id.id }),
  };
}

async function lineItemInputs(deps: AppDeps, items: Decoded[] | undefined): Promise<LineItemInput[]> {
  const out: LineItemInput[] = [];
  for (const [i, li] of capItems(items ?? [], "line items").entries())
    out.push(await at(`lineItems[${i + 1}]`, () => lineItemInput(deps, li)));
  return out;
}

/** Fields of FNO's simple-entitlement types Licensor has no place for yet: the item is refused, naming them. */
function refuseSimpleUnsupported(s: Decoded) {
  if (s.emailTemplateVariation !== undefined) notSupported("emailTemplateVariation (one email template per message kind)");
  if (s.maintenanceLineItems?.length) notSupported("maintenanceLineItems");
}

/** A createSimpleEntitlementDataType as the create command's input. */
async function simpleCreateInput(deps: AppDeps, s: Decoded): Promise<EntitlementCreateInput> {
  refuseSimpleUnsupported(s);
  const id = s.entitlementId;
  const attributes = textAttributesOf(s.entitlementAttributes);
  return {
    kind: "SIMPLE",
    ...(id.autoGenerate === true || !id.id ? {} : { entitlementId: id.id }),
    ...headerOf(s),
    ...(Object.keys(attributes).length ? { customAttributes: attributes } : {}),
    ...(s.autoDeploy !== undefined ? { autoDeploy: s.autoDeploy } : {}),
    lineItems: await lineItemInputs(deps, s.lineItems),
  };
}

/** The visible simple entitlement an entitlementIdentifierType names, or a refusal. */
async function simplePk(deps: AppDeps, ctx: RequestContext, ident: Decoded): Promise<string> {
  const { row } = await loadVisibleEntitlement(deps.db, ctx, await entitlementPk(deps, ident));
  if (row.kind !== "SIMPLE")
    throw new SoapFailure(
      `Entitlement '${row.entitlement_id}' is a bulk entitlement; it has no line items (its product is changed with updateBulkEntitlement).`,
    );
  return row.id;
}

/**
 * The line item an entitlementLineItemIdentifierType names: of entitlement `pk` (already checked
 * visible), or of any entitlement the caller may see (one it may not is "not found", as in the API).
 */
async function lineItemOf(
  deps: AppDeps,
  scope: { pk: string } | { ctx: RequestContext },
  ident: Decoded,
  field = "lineItemIdentifier",
) {
  const uniqueId = ident?.uniqueId as string | undefined;
  const activationId = ident?.primaryKeys?.activationId as string | undefined;
  if (!uniqueId && !activationId) notSupported(`${field} without uniqueId or primaryKeys`);
  const li = await findLineItemByAnyId(deps.db, { uniqueId, activationId });
  const inScope =
    li !== undefined &&
    ("pk" in scope
      ? li.entitlement_id === scope.pk
      : await loadVisibleEntitlement(deps.db, scope.ctx, li.entitlement_id).then(
          () => true,
          (err) => {
            if (err instanceof AppError) return false; // not visible: worded as unknown
            throw err;
          },
        ));
  if (!li || !inScope)
    throw new SoapFailure(`Line item '${uniqueId ?? activationId}' was not found${"pk" in scope ? " in this entitlement" : ""}.`);
  return li;
}

/** An updateLineItemDataType as the line item update's patch. */
async function lineItemPatch(deps: AppDeps, li: Decoded): Promise<LineItemInput> {
  refuseUnsupported(li);
  if (li.parentLineItem) notSupported("parentLineItem (lineage comes from renewLicense, upgradeLicense and upsellLicense)");
  if (li.lineItemAttributes?.attribute?.length) notSupported("lineItemAttributes (line items have no custom attributes)");
  if (li.activationId?.autoGenerate === true)
    notSupported("activationId/autoGenerate on update (Regenerate IDs in the portal is)");
  const updated = li.updatedEntitledProducts;
  if (updated && updated.opType !== "REPLACE") notSupported(`updatedEntitledProducts with opType ${updated.opType} (REPLACE is)`);
  const config = (await productConfigOf(deps, li, updated?.entitledProducts ?? li.entitledProducts?.entitledProduct ?? [])) ?? {};
  return {
    ...config,
    ...(li.startDate !== undefined ? { startDate: li.startDate } : {}),
    ...(li.description !== undefined ? { description: li.description } : {}),
    ...(li.orderId !== undefined ? { orderId: li.orderId } : {}),
    ...(li.orderLineNumber !== undefined ? { orderLineNumber: li.orderLineNumber } : {}),
    ...(li.activationId?.id ? { activationId: li.activationId.id } : {}),
  };
}

const entitlementIdent = (e: { id: string; entitlementId: string }) => ({
  uniqueId: e.id,
  primaryKeys: { entitlementId: e.entitlementId },
});
const lineItemIdent = (li: { id: string; activationId: string }) => ({
  uniqueId: li.id,
  primaryKeys: { activationId: li.activationId },
});

// ---- Writes ----

/**
 * createSimpleEntitlement: each entitlement with its line items created atomically on its own by
 * the create command (autoDeploy in the same transaction). opType CREATE_OR_IGNORE leaves an
 * existing entitlement of the same ID as it is and answers it as created.
 */
const createSimpleEntitlement: Handler = async (deps, ctx, req) => {
  const items = capItems(req.simpleEntitlement as Decoded[], "simple entitlements");
  const created: { index: number; e: Entitlement }[] = [];
  const failed: { index: number; reason: string }[] = [];
  for (const [index, s] of items.entries()) {
    try {
      const input = await simpleCreateInput(deps, s);
      const existing =
        req.opType && input.entitlementId ? await findEntitlementByEntitlementId(deps.db, input.entitlementId) : undefined;
      if (existing) {
        if (req.opType !== "CREATE_OR_IGNORE")
          notSupported(
            `opType ${req.opType} of an existing entitlement (updateSimpleEntitlement and createEntitlementLineItem are)`,
          );
        await loadVisibleEntitlement(deps.db, ctx, existing.id);
        created.push({ index, e: presentEntitlementRecord(await entitlementRecord(deps.db, existing.id)) });
        continue;
      }
      created.push({ index, e: presentEntitlementRecord(await entitlementCreator(deps.db, ctx, input)) });
    } catch (err) {
      failed.push({ index, reason: reasonOf(err) });
    }
  }
  return {
    statusInfo: batchStatus(created.length, failed.length, "simple entitlements"),
    ...(failed.length
      ? { failedData: { failedSimpleEntitlement: failed.map((f) => ({ simpleEntitlement: items[f.index], reason: f.reason })) } }
      : {}),
    ...(created.length
      ? {
          responseData: {
            createdSimpleEntitlement: created.map(({ index, e }) => ({
              recordRefNo: String(index + 1),
              uniqueId: e.id,
              entitlementId: e.entitlementId,
              lineItemUniqueIds: e.lineItems.map((li) => li.id),
              lineItemIdentifiers: e.lineItems.map(lineItemIdent),
            })),
          },
        }
      : {}),
  };
};

/** updateSimpleEntitlement: each item's header through the entitlement update (autoDeploy in its transaction). */
const updateSimpleEntitlement: Handler = async (deps, ctx, req) => {
  const items = capItems(req.simpleEntitlement as Decoded[], "simple entitlements");
  const failed: Decoded[] = [];
  for (const s of items) {
    try {
      refuseSimpleUnsupported(s);
      if (s.entitlementId?.autoGenerate === true)
        notSupported("entitlementId/autoGenerate on update (Regenerate IDs in the portal is)");
      const pk = await simplePk(deps, ctx, s.entitlementIdentifier);
      const attributes = s.entitlementAttributes ? textAttributesOf(s.entitlementAttributes) : undefined;
      const patch = {
        ...headerOf(s),
        ...(s.entitlementId?.id ? { entitlementId: s.entitlementId.id } : {}),
        ...(attributes ? { customAttributes: attributes } : {}),
      };
      if (!Object.keys(patch).length && !s.autoDeploy) throw new SoapFailure("The item changes nothing.");
      await entitlementUpdater(deps.db, ctx, pk, {
        ...patch,
        ...(s.autoDeploy !== undefined ? { autoDeploy: s.autoDeploy } : {}),
      });
    } catch (err) {
      failed.push({ simpleEntitlement: s, reason: reasonOf(err) });
    }
  }
  return {
    statusInfo: batchStatus(items.length - failed.length, failed.length, "updates"),
    ...(failed.length ? { failedData: { failedSimpleEntitlement: failed } } : {}),
  };
};

/**
 * createEntitlementLineItem: each item's line items added to its entitlement in one transaction by
 * the add command. opType CREATE_OR_IGNORE skips line items whose activation ID the entitlement
 * already has (answered as added).
 */
const createEntitlementLineItem: Handler = async (deps, ctx, req) => {
  const items = capItems(req.lineItem as Decoded[], "lineItem items");
  const added: Decoded[] = [];
  const failed: Decoded[] = [];
  for (const item of items) {
    try {
      if (item.maintenanceLineItems?.length) notSupported("maintenanceLineItems");
      if (item.autoDeploy === true)
        notSupported(
          "autoDeploy when adding line items (deploy them with setLineItemState, or a DRAFT entitlement with setEntitlementState)",
        );
      const pk = await simplePk(deps, ctx, item.entitlementIdentifier);
      const before = (await lineItemsOf(deps.db, [pk])).get(pk) ?? [];
      const known = new Map(before.map((li) => [li.activation_id, li.id]));
      const inputs = await lineItemInputs(deps, item.lineItems);
      if (!inputs.length) throw new SoapFailure("The item names no lineItems.");
      const kept: string[] = [];
      const fresh = inputs.filter((li) => {
        const id = li.activationId != null ? known.get(li.activationId) : undefined;
        if (id === undefined || !req.opType) return true;
        if (req.opType !== "CREATE_OR_IGNORE")
          notSupported(`opType ${req.opType} of an existing line item (updateEntitlementLineItem is)`);
        kept.push(id);
        return false;
      });
      const record = fresh.length ? await lineItemAdder(deps.db, ctx, pk, fresh) : await entitlementRecord(deps.db, pk);
      const e = presentEntitlementRecord(record);
      const wasThere = new Set(before.map((li) => li.id));
      const mine = e.lineItems.filter((li) => !wasThere.has(li.id) || kept.includes(li.id));
      added.push({
        entitlementIdentifier: entitlementIdent(e),
        lineItemUniqueIds: mine.map((li) => li.id),
        lineItemIdentifiers: mine.map(lineItemIdent),
      });
    } catch (err) {
      failed.push({ lineItem: item, reason: reasonOf(err) });
    }
  }
  return {
    statusInfo: batchStatus(added.length, failed.length, "lineItem items"),
    ...(failed.length ? { failedData: { failedLineItemData: failed } } : {}),
    ...(added.length ? { responseData: { addedLineItems: added } } : {}),
  };
};

/**
 * updateEntitlementLineItem: each line item changed atomically on its own by the line item update
 * (an item naming several line items may partly succeed; a failed one comes back alone in failedData).
 */
const updateEntitlementLineItem: Handler = async (deps, ctx, req) => {
  const groups = capItems(req.lineItemData as Decoded[], "lineItemData items");
  let ok = 0;
  const failed: Decoded[] = [];
  for (const g of groups) {
    let pk: string;
    try {
      if (g.maintenanceLineItemData?.length) notSupported("maintenanceLineItemData");
      if (g.autoDeploy === true) notSupported("autoDeploy when updating line items (setLineItemState deploys them)");
      if (!g.lineItemData?.length) throw new SoapFailure("The item names no lineItemData.");
      capItems(g.lineItemData as Decoded[], "line items");
      pk = await simplePk(deps, ctx, g.entitlementIdentifier);
    } catch (err) {
      failed.push({ failedData: g, reason: reasonOf(err) });
      continue;
    }
    for (const li of g.lineItemData as Decoded[]) {
      try {
        const row = await lineItemOf(deps, { pk }, li.lineItemIdentifier);
        const patch = await lineItemPatch(deps, li);
        if (!Object.keys(patch).length) throw new SoapFailure("The line item changes nothing.");
        await lineItemUpdater(deps.db, ctx, pk, row.id, patch);
        ok++;
      } catch (err) {
        failed.push({
          failedData: { entitlementIdentifier: g.entitlementIdentifier, lineItemData: [li] },
          reason: reasonOf(err),
        });
      }
    }
  }
  return {
    statusInfo: batchStatus(ok, failed.length, "line item updates"),
    ...(failed.length ? { failedData: { failedData: failed } } : {}),
  };
};

/** deleteEntitlementLineItem (removeEntitlementLineItemRequest): each line item removed on its own by the remove command. */
const deleteEntitlementLineItem: Handler = async (deps, ctx, req) => {
  const groups = capItems(req.lineItemData as Decoded[], "lineItemData items");
  let ok = 0;
  const failed: Decoded[] = [];
  for (const g of groups) {
    let pk: string;
    try {
      if (!g.lineItemIdentifier?.length) throw new SoapFailure("The item names no lineItemIdentifier.");
      capItems(g.lineItemIdentifier as Decoded[], "line items");
      pk = await simplePk(deps, ctx, g.entitlementIdentifier);
    } catch (err) {
      failed.push({ failedData: g, reason: reasonOf(err) });
      continue;
    }
    for (const ident of g.lineItemIdentifier as Decoded[]) {
      try {
        const row = await lineItemOf(deps, { pk }, ident);
        await lineItemRemover(deps.db, ctx, pk, row.id);
        ok++;
      } catch (err) {
        failed.push({
          failedData: { entitlementIdentifier: g.entitlementIdentifier, lineItemIdentifier: [ident] },
          reason: reasonOf(err),
        });
      }
    }
  }
  return {
    statusInfo: batchStatus(ok, failed.length, "line item removals"),
    ...(failed.length ? { failedData: { failedData: failed } } : {}),
  };
};

/** setLineItemState: each line item moved by the line item state change (FNO's state rules, in common/src/rules). */
const setLineItemState: Handler = async (deps, ctx, req) => {
  const items = capItems(req.lineItem as Decoded[], "line items");
  const failed: Decoded[] = [];
  for (const item of items) {
    try {
      if (item.includeChildItems === true) notSupported("includeChildItems (maintenance line items)");
      const row = await lineItemOf(deps, { ctx }, item.lineItemIdentifier);
      await lineItemStateChanger(deps.db, ctx, row.entitlement_id, row.id, item.stateToSet as StateType);
    } catch (err) {
      failed.push({ lineItem: item, reason: reasonOf(err) });
    }
  }
  return {
    statusInfo: batchStatus(items.length - failed.length, failed.length, "state changes"),
    ...(failed.length ? { failedData: { failedLineItem: failed } } : {}),
  };
};

// ---- Queries ----

/** Criteria of a query Licensor cannot answer yet: the whole request is refused, naming them. */
function refuseCriteria(c: Decoded, supported: Set<string>) {
  const unknown = Object.keys(c).filter((k) => !supported.has(k));
  if (unknown.length) notSupported(`The search criteria ${unknown.join(", ")}`);
}

/** A StateQueryType as the states it matches (its operator applied to the state names). */
function statesOf(q: Decoded): StateType[] {
  const pattern = likePattern(textQuery(q));
  const re = new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]]/g, "\\$&").replace(/%/g, ".*")}$`, "i");
  const states = STATE_TYPES.filter((s) => re.test(s));
  return states.length ? states : (["\u0000none"] as unknown as StateType[]);
}

const ENTITLEMENT_CRITERIA = new Set([
  "entitlementId",
  "entDescription",
  "productName",
  "isBulk",
  "shipToEmail",
  "createdOn",
  "lastModifiedDate",
  "state",
  "createdUserId",
  "accountUnitName",
  "organizationUnitName",
]);

/** FNO's searchEntitlementDataType as the entitlement list's filter, in the caller's scope. */
function entitlementFilter(ctx: RequestContext, c: Decoded): EntitlementFilter {
  refuseCriteria(c, ENTITLEMENT_CRITERIA);
  const f: EntitlementFilter = { onlyAccountIds: scopeEntitlements(ctx.actor) };
  if (c.entitlementId) f.entitlementId = textQuery(c.entitlementId);
  if (c.entDescription) f.description = textQuery(c.entDescription);
  if (c.productName) f.productName = textQuery(c.productName);
  if (c.isBulk !== undefined) f.kind = c.isBulk ? "BULK" : "SIMPLE";
  if (c.shipToEmail) f.shipToEmail = textQuery(c.shipToEmail);
  if (c.createdOn) f.createdAt = dateQuery(c.createdOn);
  if (c.lastModifiedDate) f.updatedAt = dateQuery(c.lastModifiedDate);
  if (c.state) f.states = statesOf(c.state);
  if (c.createdUserId) f.createdBy = textQuery(c.createdUserId);
  const unit = c.accountUnitName ?? c.organizationUnitName;
  if (unit) {
    f.accountName = textQuery(unit);
    if (unit.partnerTier) f.tier = unit.partnerTier;
  }
  return f;
}

const ACTIVATABLE_CRITERIA = new Set([
  "entitlementId",
  "activationId",
  "productName",
  "productVersion",
  "partNumber",
  "startDate",
  "isPermanent",
  "expirationDate",
  "versionDate",
  "orderId",
  "orderLineNumber",
  "withNoOrderId",
  "restrictToItemsWithCount",
  "fulfilledAmount",
  "soldTo",
  "activatableItemType",
  "allowPortalLogin",
  "accountUnitName",
  "organizationUnitName",
  "lineItemParentLineItemId",
  "createdOnDateTime",
  "lastModifiedDateTime",
]);

/** FNO's searchActivatableItemDataType as the line item search's filter, in the caller's scope. */
function lineItemFilter(ctx: RequestContext, c: Decoded): LineItemFilter {
  refuseCriteria(c, ACTIVATABLE_CRITERIA);
  if (c.activatableItemType === "WEBREGKEY")
    notSupported("activatableItemType WEBREGKEY (web register keys are read with getWebRegKeysQuery)");
  const unit = c.accountUnitName ?? c.organizationUnitName;
  return {
    onlyAccountIds: scopeEntitlements(ctx.actor),
    entitlementId: c.entitlementId ? textQuery(c.entitlementId) : undefined,
    activationId: c.activationId ? textQuery(c.activationId) : undefined,
    productName: c.productName ? textQuery(c.productName) : undefined,
    productVersion: c.productVersion ? textQuery(c.productVersion) : undefined,
    partId: c.partNumber ? textQuery(c.partNumber) : undefined,
    startDate: c.startDate ? dateQuery(c.startDate) : undefined,
    isPermanent: c.isPermanent,
    expirationDate: c.expirationDate ? dateQuery(c.expirationDate) : undefined,
    versionDate: c.versionDate ? dateQuery(c.versionDate) : undefined,
    orderId: c.orderId ? textQuery(c.orderId) : undefined,
    orderLineNumber: c.orderLineNumber ? textQuery(c.orderLineNumber) : undefined,
    withNoOrderId: c.withNoOrderId,
    withCount: c.restrictToItemsWithCount,
    fulfilled: c.fulfilledAmount ? { op: c.fulfilledAmount.searchType, value: c.fulfilledAmount.value } : undefined,
    soldTo: c.soldTo ? textQuery(c.soldTo) : undefined,
    allowPortalLogin: c.allowPortalLogin,
    accountName: unit ? textQuery(unit) : undefined,
    tier: unit?.partnerTier,
    parentActivationId: c.lineItemParentLineItemId ? textQuery(c.lineItemParentLineItemId) : undefined,
    createdAt: c.createdOnDateTime ? dateTimeQuery("createdOnDateTime", c.createdOnDateTime) : undefined,
    updatedAt: c.lastModifiedDateTime ? dateTimeQuery("lastModifiedDateTime", c.lastModifiedDateTime) : undefined,
  };
}

// ---- Responses: Licensor's entitlement JSON as FNO's data types ----

const productIdent = (p: { productId: string; name: string; version: string }) => ({
  uniqueId: p.productId,
  primaryKeys: { name: p.name, version: p.version },
});

/** The product configuration's fields FNO's line-item and bulk types share. */
function configFields(c: Entitlement["lineItems"][number] | NonNullable<Entitlement["product"]>) {
  const single = c.products.length === 1 && c.products[0]?.quantity === 1 ? c.products[0] : undefined;
  return {
    product: single ? productIdent(single) : null,
    partNumber: c.partNumberId ? { uniqueId: c.partNumberId, ...(c.partId ? { primaryKeys: { partId: c.partId } } : {}) } : null,
    licenseModel: c.licenseModelId
      ? { uniqueId: c.licenseModelId, ...(c.licenseModelName ? { primaryKeys: { name: c.licenseModelName } } : {}) }
      : null,
    alternateLicenseModel1: c.alternateLicenseModelIds[0] ? { uniqueId: c.alternateLicenseModelIds[0] } : null,
    alternateLicenseModel2: c.alternateLicenseModelIds[1] ? { uniqueId: c.alternateLicenseModelIds[1] } : null,
    licenseModelAttributes: attributeList(c.licenseModelAttributes),
    orderId: c.orderId,
    orderLineNumber: c.orderLineNumber,
    numberOfCopies: c.numberOfCopies,
    startDate: c.startDate,
    startDateOption: c.startDateOption,
    isPermanent: c.isPermanent,
    term: c.term ? { numDuration: c.term.count, durationUnit: c.term.unit } : null,
    expirationDate: c.expirationDate,
    versionDate: c.versionDate,
    versionDateAttributes: c.versionDateOption ? { versionOption: c.versionDateOption } : null,
    entitledProducts:
      c.products.length && !single
        ? { entitledProduct: c.products.map((p) => ({ product: productIdent(p), quantity: p.quantity })) }
        : null,
  };
}

/** A line item as FNO's entitlementLineItemDataType (fields of later versions are left out by the codec). */
function lineItemData(li: LineItem): Decoded {
  return {
    activationId: { id: li.activationId },
    description: li.description,
    ...configFields(li),
    lineItemType: li.lineItemType,
    numberOfRemainingCopies: li.availableCount,
    fulfilledCount: li.fulfilledCount,
    state: li.state,
    parentLineItem: li.parentLineItemId ? { uniqueId: li.parentLineItemId } : null,
    createdOnDateTime: li.createdAt,
    lastModifiedDateTime: li.updatedAt,
  };
}

/** Channel partners as FNO's channelPartnerDataListType (accountUnit from v3, organizationUnit before). */
function partnersData(e: Entitlement, version: string): Decoded {
  if (!e.channelPartners.length) return null;
  const unit = version === "v3" || version === "v4" ? "accountUnit" : "organizationUnit";
  return {
    channelPartner: e.channelPartners.map((p) => ({
      tierName: p.tier,
      [unit]: accountIdent(p.accountId, version),
      ...(p.contactUserId
        ? { contact: { uniqueId: p.contactUserId, ...(p.contactEmail ? { userName: p.contactEmail } : {}) } }
        : {}),
      currentOwner: p.currentOwner,
    })),
  };
}

const soldToName = (e: Entitlement) => e.channelPartners.find((p) => p.accountId === e.soldTo)?.accountName ?? null;

/** An entitlement as FNO's entitlementDataType: a simpleEntitlement or a bulkEntitlement. */
function entitlementData(e: Entitlement, version: string): Decoded {
  const common = {
    entitlementId: { id: e.entitlementId },
    description: e.description,
    soldTo: e.soldTo ?? "",
    shipToEmail: e.shipToEmail,
    shipToAddress: e.shipToAddress,
    state: e.state,
    createdUserId: e.createdBy,
    channelPartners: partnersData(e, version),
    allowPortalLogin: e.allowPortalLogin,
  };
  if (e.kind === "SIMPLE")
    return {
      simpleEntitlement: {
        ...common,
        lastModifiedDateTime: e.updatedAt,
        soldToName: soldToName(e),
        lineItems: e.lineItems.map(lineItemData),
        entitlementAttributes: attributeList(e.customAttributes),
      },
    };
  return {
    bulkEntitlement: {
      ...common,
      ...(e.product ? configFields(e.product) : {}),
      orderId: e.orderId,
      orderLineNumber: e.orderLineNumber,
      bulkEntitlementType: e.product?.bulkEntitlementType ?? null,
    },
  };
}

/** The entitlements of rows, whole, as the API presents them (three reads per page). */
async function entitlementsOf(deps: AppDeps, ids: string[]): Promise<Map<string, Entitlement>> {
  const records = await entitlementRecordsMany(deps.db, ids);
  return new Map([...records].map(([id, r]) => [id, presentEntitlementRecord(r)]));
}

const getEntitlementsQuery: Handler = async (deps, ctx, req, version) => {
  const { batchSize, page } = pageArgsOf(req.batchSize, req.pageNumber);
  const filter = entitlementFilter(ctx, req.entitlementSearchCriteria);
  const rows = await rowsAtPage((p) => listEntitlements(deps.db, filter, p), batchSize, page);
  const all = await entitlementsOf(
    deps,
    rows.map((r) => r.id),
  );
  return {
    statusInfo: { status: "SUCCESS" },
    entitlement: rows.flatMap((r) => {
      const e = all.get(r.id);
      return e ? [entitlementData(e, version)] : [];
    }),
  };
};

const getEntitlementCount: Handler = async (deps, ctx, req) => {
  const count = await countEntitlements(deps.db, entitlementFilter(ctx, req.queryParams));
  return { statusInfo: { status: "SUCCESS" }, count };
};

/** The line items at FNO's page of a line item search, each with its entitlement. */
async function lineItemsAtPage(deps: AppDeps, filter: LineItemFilter, batchSize: number, page: number) {
  const rows = await rowsAtPage((p) => listLineItems(deps.db, filter, p), batchSize, page);
  const all = await entitlementsOf(
    deps,
    rows.map((r) => r.entitlement_id),
  );
  return rows.flatMap((r) => {
    const e = all.get(r.entitlement_id);
    const li = e?.lineItems.find((x) => x.id === r.id);
    return e && li ? [{ e, li }] : [];
  });
}

const getActivatableItemsQuery: Handler = async (deps, ctx, req, version) => {
  const { batchSize, page } = pageArgsOf(req.batchSize, req.pageNumber);
  const found = await lineItemsAtPage(deps, lineItemFilter(ctx, req.activatableItemSearchCriteria), batchSize, page);
  return {
    statusInfo: { status: "SUCCESS" },
    activatableItem: found.map(({ e, li }) => ({
      activatableItemType: "LINEITEM",
      entitlementId: e.entitlementId,
      soldTo: e.soldTo ?? "",
      shipToEmail: e.shipToEmail,
      shipToAddress: e.shipToAddress,
      entitlementState: e.state,
      activatableItemData: lineItemData(li),
      channelPartners: partnersData(e, version),
      entitlementAttributes: attributeList(e.customAttributes),
    })),
  };
};

const getActivatableItemCount: Handler = async (deps, ctx, req) => {
  const filter = lineItemFilter(ctx, req.queryParams);
  // Ready to activate: DEPLOYED on a DEPLOYED entitlement, with copies left (as availableCount says).
  const count = await countLineItems(deps.db, req.restrictToItemsReadyToActivate ? { ...filter, readyToActivate: true } : filter);
  return { statusInfo: { status: "SUCCESS" }, count };
};

/** getExactAvailableCount: the copies of one line item that can still be activated (the API's availableCount). */
const getExactAvailableCount: Handler = async (deps, ctx, req) => {
  if (!req.activationId) throw new SoapFailure("activationId is required: name the line item.");
  const row = await lineItemOf(deps, { ctx }, req.activationId, "activationId");
  const e = presentEntitlementRecord(await entitlementRecord(deps.db, row.entitlement_id));
  const li = e.lineItems.find((x) => x.id === row.id);
  if (!li) throw new SoapFailure("The line item was not found.");
  return { statusInfo: { status: "SUCCESS" }, count: li.availableCount };
};

/** A line item as FNO's entitlementLineItemPropertiesType, every field Licensor can fill. */
function lineItemProperties(e: Entitlement, li: LineItem, version: string): Record<string, Decoded> {
  const c = configFields(li);
  return {
    activationId: lineItemIdent(li),
    description: li.description,
    state: li.state,
    activatableItemType: "LINEITEM",
    orderId: li.orderId,
    orderLineNumber: li.orderLineNumber,
    entitlementId: entitlementIdent(e),
    soldTo: e.soldTo ? accountIdent(e.soldTo, version) : null,
    soldToDisplayName: soldToName(e),
    entitlementState: e.state,
    entitlementDescription: e.description,
    allowPortalLogin: e.allowPortalLogin,
    shipToEmail: e.shipToEmail,
    shipToAddress: e.shipToAddress,
    product: c.product ?? (li.products[0] ? productIdent(li.products[0]) : null),
    partNumber: c.partNumber,
    licenseModel: c.licenseModel,
    alternateLicenseModel1: c.alternateLicenseModel1,
    alternateLicenseModel2: c.alternateLicenseModel2,
    lineItemSupportAction: li.lineItemType,
    parentLineItem: li.parentLineItemId ? { uniqueId: li.parentLineItemId } : null,
    startDate: li.startDate,
    startDateOption: li.startDateOption,
    isPermanent: li.isPermanent,
    term: c.term,
    expirationDate: li.expirationDate,
    versionDate: li.versionDate,
    versionDateAttributes: c.versionDateAttributes,
    numberOfCopies: li.numberOfCopies,
    fulfilledAmount: li.fulfilledCount,
    numberOfRemainingCopies: li.availableCount,
    entitledProducts: c.entitledProducts,
    channelPartners: partnersData(e, version),
    createdOnDateTime: li.createdAt,
    lastModifiedDateTime: li.updatedAt,
  };
}

/** Response-config flags that select fields of another name, or more than one. */
const FLAG_FIELDS: Record<string, string[]> = {
  product: ["product", "entitledProducts"],
  licenseModel: ["licenseModel", "alternateLicenseModel1", "alternateLicenseModel2"],
};

/** getEntitlementLineItemPropertiesQuery: a page of line items, only the fields the response config asks for. */
const getEntitlementLineItemPropertiesQuery: Handler = async (deps, ctx, req, version) => {
  const { batchSize, page } = pageArgsOf(req.batchSize, req.pageNumber);
  const found = await lineItemsAtPage(deps, lineItemFilter(ctx, req.queryParams), batchSize, page);
  const config = req.entitlementLineItemResponseConfig as Record<string, Decoded>;
  const wanted = new Set(
    Object.entries(config)
      .filter(([k, v]) => v === true && k !== "customAttributes")
      .flatMap(([k]) => FLAG_FIELDS[k] ?? [k]),
  );
  return {
    statusInfo: { status: "SUCCESS" },
    entitlementLineItem: found.map(({ e, li }) => {
      const all = lineItemProperties(e, li, version);
      const item: Record<string, Decoded> = {};
      for (const k of wanted) if (all[k] !== null && all[k] !== undefined) item[k] = all[k];
      return item;
    }),
  };
};

/** The simple entitlement, line item and entitlement query operations (types in ../types/entitlements.ts). */
export const ENTITLEMENTS_HANDLERS: Record<string, Handler> = {
  createSimpleEntitlement,
  updateSimpleEntitlement,
  createEntitlementLineItem,
  updateEntitlementLineItem,
  deleteEntitlementLineItem,
  setLineItemState,
  getEntitlementsQuery,
  getEntitlementCount,
  getActivatableItemsQuery,
  getActivatableItemCount,
  getExactAvailableCount,
  getEntitlementLineItemPropertiesQuery,
};
