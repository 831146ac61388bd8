import type { RequestContext } from "../../actor.js";
import { entitlementEmailer } from "../../commands/entitlementEmailer.js";
import { loadVisibleEntitlement } from "../../commands/entitlementSupport.js";
import { accountEntitlementsMerger } from "../../commands/lifecycle/accountEntitlementsMerger.js";
import { bulkEntitlementSplitter } from "../../commands/lifecycle/bulkEntitlementSplitter.js";
import { entitlementTransferrer } from "../../commands/lifecycle/entitlementTransferrer.js";
import { lineItemRenewer } from "../../commands/lifecycle/lineItemRenewer.js";
import { lineItemSplitter } from "../../commands/lifecycle/lineItemSplitter.js";
import { lineItemUpgrader } from "../../commands/lifecycle/lineItemUpgrader.js";
import { lineItemUpseller } from "../../commands/lifecycle/lineItemUpseller.js";
import { matchingBulkEntitlements } from "../../commands/lifecycle/matchingBulkEntitlements.js";
import { eventsOf } from "../../db/repos/entitlements.js";
import { findActivationTarget, findLineItemTarget } from "../../db/repos/fulfillments.js";
import { findUserByEmail } from "../../db/repos/users.js";
import type { AppDeps } from "../../plugins/types.js";
import type { Decoded } from "../codec.js";
import {
  accountIdOf,
  attributesOf,
  batchStatus,
  capItems,
  entitlementIdent,
  entitlementPk,
  failure,
  type Handler,
  licenseModelId,
  notSupported,
  productId,
  reasonOf,
  SoapFailure,
} from "./support.js";

/** statusInfo of a batch: SUCCESS, PARTIAL_FAILURE or FAILURE, with how many failed as the reason. */
/** A split's target contact (`userIdentifierType`): Licensor's user id, or the user of that email. */
async function contactOf(deps: AppDeps, user: Decoded): Promise<string> {
  if (user.uniqueId) return user.uniqueId;
  const email = user.userName ?? user.primaryKeys?.emailAddress;
  const found = email ? await findUserByEmail(deps.db, email) : undefined;
  if (!found) throw new SoapFailure(`targetContact: no user '${email ?? ""}' (give uniqueId, userName or emailAddress).`);
  return found.id;
}

/**
 * splitBulkEntitlement, per item atomically (the REST split): numberOfWRKs unredeemed keys, the
 * oldest, move to the target account in targetTierName, into matchingBulkEntIdentifier or a new
 * bulk entitlement. The answer names the source and the bulk entitlement that received the keys.
 */
const splitBulkEntitlement: Handler = async (deps, ctx, req) => {
  const items = capItems(req.bulkEntitlementList.bulkEntitlementInfo as Decoded[], "bulk entitlements");
  const ok: Decoded[] = [];
  const failed: Decoded[] = [];
  for (const item of items) {
    try {
      const pk = await entitlementPk(deps, item.bulkEntIdentifier, "bulkEntIdentifier");
      if (item.matchingLineItemIdentifier)
        notSupported("matchingLineItemIdentifier (keys are split into a bulk entitlement: matchingBulkEntIdentifier)");
      if (item.numberOfWRKs < 1) throw new SoapFailure("numberOfWRKs must be at least 1.");
      const target = item.targetAccountUnit ?? item.targetOrganizationUnit;
      const r = await bulkEntitlementSplitter(deps.db, ctx, pk, {
        targetAccountId: accountIdOf(target, item.targetAccountUnit ? "targetAccountUnit" : "targetOrganizationUnit"),
        tier: item.targetTierName,
        count: item.numberOfWRKs,
        ...(item.matchingBulkEntIdentifier
          ? { targetEntitlementId: await entitlementPk(deps, item.matchingBulkEntIdentifier, "matchingBulkEntIdentifier") }
          : {}),
        ...(item.targetContact ? { contactUserId: await contactOf(deps, item.targetContact) } : {}),
      });
      ok.push({ bulkEntIdentifier: entitlementIdent(r.source.row), newBulkEntIdentifier: entitlementIdent(r.entitlement.row) });
    } catch (err) {
      failed.push({ bulkEntitlementInfo: item, reason: reasonOf(err) });
    }
  }
  return {
    statusInfo: batchStatus(items.length - failed.length, failed.length, "splits"),
    ...(ok.length ? { responseData: { splitBulkEntitlement: ok } } : {}),
    ...(failed.length ? { failedData: { failedBulkEntitlement: failed } } : {}),
  };
};

/** getMatchingBulkEnts: per item, the target account's DEPLOYED bulk entitlements of the same configuration. */
const getMatchingBulkEnts: Handler = async (deps, ctx, req) => {
  const items = capItems(req.bulkEntList.bulkEntInfo as Decoded[], "bulk entitlements");
  const matches: Decoded[] = [];
  const failed: Decoded[] = [];
  for (const item of items) {
    try {
      const pk = await entitlementPk(deps, item.bulkEntIdentifier, "bulkEntIdentifier");
      const unit = item.targetAccountUnit ?? item.targetOrganizationUnit;
      const accountId = accountIdOf(unit, item.targetAccountUnit ? "targetAccountUnit" : "targetOrganizationUnit");
      for (const m of await matchingBulkEntitlements(deps.db, ctx, pk, accountId))
        matches.push({ matchingBulkEntIdentifier: entitlementIdent(m.row) });
    } catch (err) {
      failed.push({ bulkEntInfo: item, reason: reasonOf(err) });
    }
  }
  return {
    statusInfo: batchStatus(items.length - failed.length, failed.length, "searches"),
    ...(matches.length ? { responseData: { matchingBulkEnt: matches } } : {}),
    ...(failed.length ? { failedData: { failedBulkEnt: failed } } : {}),
  };
};

/**
 * transferEntitlement, per item atomically (the REST transfer): a new entitlement for accountTo
 * with the line items, the source OBSOLETE. retainExistingIds is FNO's: absent means new IDs.
 * The answer maps each new activation ID to the one it was transferred from.
 */
const transferEntitlement: Handler = async (deps, ctx, req) => {
  const items = capItems(req.entitlementList.entitlementInfo as Decoded[], "entitlements");
  const ok: Decoded[] = [];
  const failed: Decoded[] = [];
  for (const item of items) {
    try {
      const pk = await entitlementPk(deps, item.entitlementIdentifier);
      if (item.returnActiveFulfillments === true)
        notSupported("returnActiveFulfillments (return the fulfillments first, then transfer)");
      const r = await entitlementTransferrer(deps.db, ctx, pk, {
        accountId: item.accountTo ?? item.organizationTo,
        keepIds: item.retainExistingIds === true,
      });
      const from = new Map(r.source.lineItems.map((i) => [i.id, i.activation_id]));
      const map = r.entitlement.lineItems
        .filter((i) => i.role === "LINE_ITEM" && i.activation_id)
        .map((i) => ({
          activationId: i.activation_id as string,
          ...(i.parent_line_item_id && from.get(i.parent_line_item_id)
            ? { transferredFromId: from.get(i.parent_line_item_id) }
            : {}),
        }));
      ok.push({ entitlementIdentifier: entitlementIdent(r.entitlement.row), lineItemIdentifierMap: map });
    } catch (err) {
      failed.push({ entitlementInfo: item, reason: reasonOf(err) });
    }
  }
  return {
    statusInfo: batchStatus(items.length - failed.length, failed.length, "transfers"),
    ...(ok.length ? { responseData: { transferredEntitlement: ok } } : {}),
    ...(failed.length ? { failedData: { failedEntitlement: failed } } : {}),
  };
};

/** One list of getStateChangeHistory: each entitlement (seen by the caller, of that kind) with its history. */
async function historyOf(deps: AppDeps, ctx: RequestContext, idents: Decoded[], kind: "SIMPLE" | "BULK") {
  const out: Decoded[] = [];
  for (const ident of idents) {
    const { row } = await loadVisibleEntitlement(deps.db, ctx, await entitlementPk(deps, ident));
    if (row.kind !== kind)
      throw new SoapFailure(
        `Entitlement '${row.entitlement_id}' is ${row.kind === "BULK" ? "a bulk" : "a simple"} entitlement: list it in ${
          row.kind === "BULK" ? "bulkEntitlementList" : "simpleEntitlementList"
        }.`,
      );
    const events = await eventsOf(deps.db, row.id);
    out.push({
      entitlementIdentifier: entitlementIdent(row),
      stateChangeRecord: events.map((e) => ({
        eventName: e.event,
        eventDate: e.at,
        userId: e.user_label ?? e.user_id ?? "system",
        ...(e.description ? { description: e.description } : {}),
      })),
    });
  }
  return out;
}

/** getStateChangeHistory of entitlements (the history the portal shows); the catalog's lists are refused. */
const getStateChangeHistory: Handler = async (deps, ctx, req) => {
  for (const list of ["featureList", "featureBundleList", "productList", "licenseModelList"])
    if (req[list]) notSupported(`getStateChangeHistory of ${list} (entitlements' histories are)`);
  const simple = req.simpleEntitlementList?.entitlementIdentifier as Decoded[] | undefined;
  const bulk = req.bulkEntitlementList?.entitlementIdentifier as Decoded[] | undefined;
  if (!simple && !bulk) return failure("Give simpleEntitlementList or bulkEntitlementList.");
  capItems([...(simple ?? []), ...(bulk ?? [])], "entitlements");
  const responseData: Decoded = {};
  if (simple) responseData.simpleEntitlementList = { entitlement: await historyOf(deps, ctx, simple, "SIMPLE") };
  if (bulk) responseData.bulkEntitlementList = { entitlement: await historyOf(deps, ctx, bulk, "BULK") };
  return { statusInfo: { status: "SUCCESS" }, responseData };
};

/**
 * emailEntitlement: the entitlement certificate, queued in the outbox, to its ship-to list (unless
 * ignoreExistingEmailList) and emailIdList. Addresses are always checked (validateEmailAddresses is
 * Licensor's only behaviour); the template's language is the producer's (locale is read, not used).
 */
const emailEntitlement: Handler = async (deps, ctx, req) => {
  if (req.ccEmailIdList?.emailId?.length || req.bccEmailIdList?.emailId?.length)
    notSupported("ccEmailIdList and bccEmailIdList (list every recipient in emailIdList)");
  const pk = await entitlementPk(deps, req.entitlementIdentifier);
  await entitlementEmailer(deps.db, ctx, pk, {
    to: req.emailIdList?.emailId ?? [],
    onlyThese: req.ignoreExistingEmailList === true,
  });
  return { statusInfo: { status: "SUCCESS" } };
};

/** The line item an `entitlementLineItemIdentifierType` names: uniqueId (Licensor's id) or primaryKeys/activationId. */
async function lineItemOf(deps: AppDeps, ident: Decoded, field: string) {
  const found = ident?.uniqueId
    ? await findLineItemTarget(deps.db, ident.uniqueId)
    : ident?.primaryKeys
      ? await findActivationTarget(deps.db, ident.primaryKeys.activationId)
      : notSupported(`${field} without uniqueId or primaryKeys`);
  if (!found || found.role !== "LINE_ITEM")
    throw new SoapFailure(`${field}: line item '${ident.uniqueId ?? ident.primaryKeys.activationId}' was not found.`);
  return found;
}
const lineItemIdent = (li: { id: string; activation_id: string | null }) => ({
  uniqueId: li.id,
  ...(li.activation_id ? { primaryKeys: { activationId: li.activation_id } } : {}),
});

/**
 * splitLineItem, per item atomically (the REST split): numberOfCopies available copies move to the
 * target account in targetTierName, into the entitlement of matchingLineItemIdentifier or a new
 * entitlement. The answer names the line item that received them and its entitlement.
 */
const splitLineItem: Handler = async (deps, ctx, req) => {
  const items = capItems(req.lineItemList.lineItemInfo as Decoded[], "line items");
  const ok: Decoded[] = [];
  const failed: Decoded[] = [];
  for (const item of items) {
    try {
      const li = await lineItemOf(deps, item.lineItemIdentifier, "lineItemIdentifier");
      if (item.numberOfCopies < 1) throw new SoapFailure("numberOfCopies must be at least 1.");
      const target = item.targetAccountUnit ?? item.targetOrganizationUnit;
      const matching = item.matchingLineItemIdentifier
        ? await lineItemOf(deps, item.matchingLineItemIdentifier, "matchingLineItemIdentifier")
        : undefined;
      const r = await lineItemSplitter(deps.db, ctx, li.entitlement_pk, li.id, {
        targetAccountId: accountIdOf(target, item.targetAccountUnit ? "targetAccountUnit" : "targetOrganizationUnit"),
        tier: item.targetTierName,
        count: item.numberOfCopies,
        ...(matching ? { targetEntitlementId: matching.entitlement_pk } : {}),
        ...(item.targetContact ? { contactUserId: await contactOf(deps, item.targetContact) } : {}),
      });
      const received = r.entitlement.lineItems.find((i) => i.id === r.lineItemId);
      ok.push({
        lineItemIdentifier: received ? lineItemIdent(received) : { uniqueId: r.lineItemId },
        entitlementIdentifier: entitlementIdent(r.entitlement.row),
      });
    } catch (err) {
      failed.push({ lineItemInfo: item, reason: reasonOf(err) });
    }
  }
  return {
    statusInfo: batchStatus(items.length - failed.length, failed.length, "splits"),
    ...(ok.length ? { responseData: { splitLineItem: ok } } : {}),
    ...(failed.length ? { failedData: { failedLineItem: failed } } : {}),
  };
};

/**
 * mergeEntitlements (the REST merge): every entitlement of accountFrom (organizationFrom before v3)
 * moves to accountTo, tiers and current owners unchanged. Licensor moves no users: mergeUsers true
 * is refused by name; mergeEntitlements false leaves nothing to do.
 */
const mergeEntitlements: Handler = async (deps, ctx, req) => {
  if (req.mergeUsers === true) notSupported("mergeUsers (users stay in their accounts; add them to the other account)");
  if (req.mergeEntitlements === false)
    return failure("mergeEntitlements is false and mergeUsers is not supported: nothing to merge.");
  await accountEntitlementsMerger(deps.db, ctx, req.accountFrom ?? req.organizationFrom, {
    intoAccountId: req.accountTo ?? req.organizationTo,
  });
  return { statusInfo: { status: "SUCCESS" } };
};

/** renewParameters Licensor's renewal does not take (it keeps the parent's configuration): refused by name. */
const RENEW_FIXED = [
  "isPermanent",
  "startDateOption",
  "versionDate",
  "versionDateAttributes",
  "description",
  "orderId",
  "orderLineNumber",
  "licenseModel",
  "alternateLicenseModel1",
  "alternateLicenseModel2",
  "licenseModelAttributes",
  "policyAttributes",
  "FNPTimeZoneValue",
  "lineItemAttributes",
];

/**
 * renewLicense, per entitlementData (the REST renewal): a RENEWAL line item, child of the parent
 * line item, with its term or expiration date, start date and copies; the parent is kept and may
 * still be activated. One renewLineItemData per entitlementData, so each item is atomic (send
 * several entitlementData to renew several line items).
 */
const renewLicense: Handler = async (deps, ctx, req) => {
  const items = capItems((req.entitlementData ?? []) as Decoded[], "entitlementData items");
  if (items.length === 0) return failure("entitlementData: give at least one.");
  const created: Decoded[] = [];
  const failed: Decoded[] = [];
  for (const [i, e] of items.entries()) {
    try {
      const lines = e.renewLineItemData as Decoded[];
      if (lines.length > 1)
        throw new SoapFailure(
          "One renewLineItemData per entitlementData (each is renewed atomically): send one entitlementData per line item.",
        );
      const line = lines[0] as Decoded;
      const p = line.renewParameters;
      for (const f of RENEW_FIXED)
        if (p[f] !== undefined) notSupported(`renewParameters/${f} (a renewal keeps the parent's configuration)`);
      if (p.activationId?.id && p.activationId.autoGenerate !== true)
        notSupported("renewParameters/activationId/id (the renewal's activation ID is generated: autoGenerate)");
      if (line.allowActivationsOnParent === false) notSupported("allowActivationsOnParent false (the parent stays active)");
      if (line.autoDeploy === false) notSupported("autoDeploy false (a renewal is deployed with its entitlement)");
      const li = await lineItemOf(deps, line.parentLineItemIdentifier, "parentLineItemIdentifier");
      if (
        e.parentEntitlementIdentifier &&
        (await entitlementPk(deps, e.parentEntitlementIdentifier, "parentEntitlementIdentifier")) !== li.entitlement_pk
      )
        throw new SoapFailure("parentLineItemIdentifier is not a line item of parentEntitlementIdentifier.");
      const terms = p.expirationTerms;
      const r = await lineItemRenewer(deps.db, ctx, li.entitlement_pk, li.id, {
        ...(terms?.term ? { term: { count: terms.term.numDuration, unit: terms.term.durationUnit } } : {}),
        ...(terms?.expirationDate ? { expirationDate: terms.expirationDate } : {}),
        ...(p.startDate ? { startDate: p.startDate } : {}),
        ...(p.numberOfCopies !== undefined ? { numberOfCopies: p.numberOfCopies } : {}),
      });
      const renewal = r.entitlement.lineItems.find((x) => x.id === r.lineItemId);
      created.push({
        entitlementRecordRefNo: String(i + 1),
        parentEntitlementIdentifier: entitlementIdent(r.entitlement.row),
        renewedLineItem: [
          {
            lineItemRecordRefNo: "1",
            parentLineItemIdentifier: lineItemIdent(li),
            newLineItem: { uniqueId: r.lineItemId, activationId: renewal?.activation_id ?? "" },
          },
        ],
      });
    } catch (err) {
      failed.push({ entitlementData: e, reason: reasonOf(err) });
    }
  }
  return {
    statusInfo: batchStatus(items.length - failed.length, failed.length, "renewals"),
    ...(failed.length ? { failedData: { failedEntitlement: failed } } : {}),
    ...(created.length ? { responseData: { entitlementData: created } } : {}),
  };
};

/** lineItem fields an upgrade or upsell does not take (the new line item keeps the parent's): refused by name. */
const DERIVED_FIXED = [
  "description",
  "partNumber",
  "alternateLicenseModel1",
  "alternateLicenseModel2",
  "FNPTimeZoneValue",
  "policyAttributes",
  "orderId",
  "orderLineNumber",
  "startDate",
  "startDateOption",
  "isPermanent",
  "term",
  "expirationDate",
  "versionDate",
  "versionDateAttributes",
  "entitledProducts",
  "lineItemAttributes",
];

/**
 * upgradeLicense and upsellLicense, per entitlementData (the REST upgrade and upsell): a new UPGRADE
 * or UPSELL line item, child of parentLineItemIdentifier, for lineItem/product (upgrade: a product
 * related as "upgrade to", required; upsell: "upsell to", default the same products) with
 * lineItem/numberOfCopies, the parent's dates, and lineItem/licenseModel (+ attributes) or the
 * parent's. Upgrade: isFull upgrades all copies; allowActivationsOnParent true keeps a fully
 * upgraded parent active (Licensor retires it otherwise). One lineItemData per entitlementData.
 */
function derivedLineItem(kind: "UPGRADE" | "UPSELL"): Handler {
  const op = kind === "UPGRADE" ? "upgradeLicense" : "upsellLicense";
  return async (deps, ctx, req) => {
    const items = capItems((req.entitlementData ?? []) as Decoded[], "entitlementData items");
    if (items.length === 0) return failure("entitlementData: give at least one.");
    const created: Decoded[] = [];
    const failed: Decoded[] = [];
    for (const [i, e] of items.entries()) {
      try {
        const lines = e.lineItemData as Decoded[];
        if (lines.length > 1)
          throw new SoapFailure(
            "One lineItemData per entitlementData (each is applied atomically): send one entitlementData per line item.",
          );
        const line = lines[0] as Decoded;
        const l = line.lineItem;
        for (const f of DERIVED_FIXED)
          if (l[f] !== undefined) notSupported(`lineItem/${f} (the new line item keeps the parent's)`);
        if (l.activationId?.id && l.activationId.autoGenerate !== true)
          notSupported("lineItem/activationId/id (the new line item's activation ID is generated: autoGenerate)");
        if (l.lineItemType !== undefined && l.lineItemType !== kind)
          throw new SoapFailure(`lineItem/lineItemType is ${l.lineItemType}; ${op} makes ${kind} line items.`);
        if (line.autoDeploy === false) notSupported(`autoDeploy false (the new line item is deployed with its entitlement)`);
        const li = await lineItemOf(deps, line.parentLineItemIdentifier, "parentLineItemIdentifier");
        if (
          e.parentEntitlementIdentifier &&
          (await entitlementPk(deps, e.parentEntitlementIdentifier, "parentEntitlementIdentifier")) !== li.entitlement_pk
        )
          throw new SoapFailure("parentLineItemIdentifier is not a line item of parentEntitlementIdentifier.");
        const attributes = attributesOf(l.licenseModelAttributes);
        const model = {
          ...(l.licenseModel ? { licenseModelId: await licenseModelId(deps, l.licenseModel, "lineItem/licenseModel") } : {}),
          ...(Object.keys(attributes).length ? { licenseModelAttributes: attributes } : {}),
        };
        const product = l.product ? await productId(deps, l.product, "lineItem/product") : undefined;
        let r: Awaited<ReturnType<typeof lineItemUpgrader>>;
        if (kind === "UPGRADE") {
          if (!product) throw new SoapFailure("lineItem/product: the product upgraded to is required.");
          r = await lineItemUpgrader(deps.db, ctx, li.entitlement_pk, li.id, {
            productId: product,
            ...(line.isFull === true ? {} : { count: l.numberOfCopies }),
            ...(line.allowActivationsOnParent !== undefined ? { retireParent: !line.allowActivationsOnParent } : {}),
            ...model,
          });
        } else {
          if (line.allowActivationsOnParent === false)
            notSupported("allowActivationsOnParent false (an upsell keeps the parent)");
          r = await lineItemUpseller(deps.db, ctx, li.entitlement_pk, li.id, {
            additionalCopies: l.numberOfCopies,
            ...(product ? { productId: product } : {}),
            ...model,
          });
        }
        const made = r.entitlement.lineItems.find((x) => x.id === r.lineItemId);
        created.push({
          entitlementRecordRefNo: String(i + 1),
          parentEntitlementIdentifier: entitlementIdent(r.entitlement.row),
          createdLineItemData: [
            {
              lineItemRecordRefNo: "1",
              parentLineItemIdentifier: lineItemIdent(li),
              newLineItem: { uniqueId: r.lineItemId, activationId: made?.activation_id ?? "" },
            },
          ],
        });
      } catch (err) {
        failed.push({ entitlementData: e, reason: reasonOf(err) });
      }
    }
    return {
      statusInfo: batchStatus(items.length - failed.length, failed.length, kind === "UPGRADE" ? "upgrades" : "upsells"),
      ...(failed.length ? { failedData: { failedEntitlement: failed } } : {}),
      ...(created.length ? { responseData: { entitlementData: created } } : {}),
    };
  };
}

/** The lifecycle operations (types in ../types/lifecycle.ts). */
export const LIFECYCLE_HANDLERS: Record<string, Handler> = {
  splitBulkEntitlement,
  getMatchingBulkEnts,
  transferEntitlement,
  getStateChangeHistory,
  emailEntitlement,
  splitLineItem,
  mergeEntitlements,
  renewLicense,
  upgradeLicense: derivedLineItem("UPGRADE"),
  upsellLicense: derivedLineItem("UPSELL"),
};
