import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Entitlement } from "../../../../common/src/api/entitlements.js";
import { KEY_LIMITS, LIMITS } from "../../../../common/src/limits.js";
import type { RequestContext } from "../../actor.js";
import { entitlementBatchCreator } from "../../commands/entitlementBatchCreator.js";
import type { EntitlementCreateInput } from "../../commands/entitlementCreator.js";
import { entitlementDeleter } from "../../commands/entitlementDeleter.js";
import { entitlementStateChanger } from "../../commands/entitlementStateChanger.js";
import { entitlementUpdater } from "../../commands/entitlementUpdater.js";
import { keyBatchLoader } from "../../commands/keyBatchLoader.js";
import { keyGenerator } from "../../commands/keyGenerator.js";
import { keyImportStarter, type UploadedKeyFile } from "../../commands/keyImportStarter.js";
import { keyRemover } from "../../commands/keyRemover.js";
import { bulkProductConfigurer } from "../../commands/lineItemCommands.js";
import {
  countEntitlements,
  type EntitlementFilter,
  findEntitlementRecord,
  listEntitlements,
} from "../../db/repos/entitlements.js";
import { findKeyByCanon, keyCounts, keysAtPage } from "../../db/repos/keys.js";
import { canonicalKey } from "../../domain/keyFormat.js";
import { ChunkWriter, completeStoredFile, createStoredFile, deleteStoredFile } from "../../jobs/fileStore.js";
import { bulkForKeys } from "../../keys/bulkAccess.js";
import type { AppDeps } from "../../plugins/types.js";
import { scopeEntitlements } from "../../policies/entitlements.js";
import { presentEntitlementRecord } from "../../presenters/entitlements.js";
import type { Decoded } from "../codec.js";

import {
  batchStatus,
  capItems,
  entitlementPk,
  failure,
  type Handler,
  headerOf,
  notSupported,
  productConfigOf,
  reasonOf,
  refuseUnsupported,
  SOAP_BATCH_SIZE_MAX,
  SOAP_DELETE_KEY_CAP,
  SoapFailure,
  statusOf,
} from "./support.js";

/** FNO's createBulkEntitlementDataType as the create command's input; refused fields say so. */
async function bulkCreateInput(deps: AppDeps, b: Decoded): Promise<EntitlementCreateInput> {
  refuseUnsupported(b);
  const id = b.entitlementId;
  return {
    kind: "BULK",
    ...(id.autoGenerate === true || !id.id ? {} : { entitlementId: id.id }),
    ...headerOf(b),
    ...(b.autoDeploy !== undefined ? { autoDeploy: b.autoDeploy } : {}),
    product: (await productConfigOf(deps, b, b.entitledProducts?.entitledProduct ?? [])) ?? null,
  };
}

/**
 * updateBulkEntitlement, per item: header fields through the entitlement update, product fields
 * through Add Product's patch, each atomic with its autoDeploy. An item changing both is refused
 * for now (the two commands are two transactions, and an item must succeed or fail whole).
 */
const updateBulkEntitlement: Handler = async (deps, ctx, req) => {
  const items = capItems(req.bulkEntitlement as Decoded[], "bulk entitlements");
  const failed: Decoded[] = [];
  for (const b of items) {
    try {
      refuseUnsupported(b);
      const pk = await entitlementPk(deps, b.entitlementIdentifier);
      const updated = b.updatedEntitledProducts;
      if (updated && updated.opType !== "REPLACE")
        notSupported(`updatedEntitledProducts with opType ${updated.opType} (REPLACE is)`);
      // The base version also takes a plain entitledProducts list: a replacement, as opType REPLACE.
      const config = await productConfigOf(deps, b, updated?.entitledProducts ?? b.entitledProducts?.entitledProduct ?? []);
      const header = {
        ...headerOf(b),
        ...(b.entitlementId?.id && b.entitlementId.autoGenerate !== true ? { entitlementId: b.entitlementId.id } : {}),
      };
      if (b.entitlementId?.autoGenerate === true)
        notSupported("entitlementId/autoGenerate on update (Regenerate IDs in the portal is)");
      const autoDeploy = b.autoDeploy !== undefined ? { autoDeploy: b.autoDeploy } : {};
      if (config && Object.keys(header).length)
        throw new SoapFailure(
          "Changing header fields and product fields in one item is not supported yet by Licensor: send them as two items.",
        );
      if (config) await bulkProductConfigurer(deps.db, ctx, pk, config, "patch", autoDeploy);
      else if (Object.keys(header).length || b.autoDeploy)
        await entitlementUpdater(deps.db, ctx, pk, { ...header, ...autoDeploy });
      else throw new SoapFailure("The item changes nothing.");
    } catch (err) {
      failed.push({ bulkEntitlement: b, reason: reasonOf(err) });
    }
  }
  return {
    statusInfo: batchStatus(items.length - failed.length, failed.length, "updates"),
    ...(failed.length ? { failedData: { failedBulkEntitlement: failed } } : {}),
  };
};

const createBulkEntitlement: Handler = async (deps, ctx, req) => {
  const items = capItems(req.bulkEntitlement as Decoded[], "bulk entitlements");
  const failed: { index: number; reason: string }[] = [];
  const inputs: { index: number; input: EntitlementCreateInput }[] = [];
  for (const [index, b] of items.entries()) {
    try {
      inputs.push({ index, input: await bulkCreateInput(deps, b) });
    } catch (err) {
      failed.push({ index, reason: reasonOf(err) });
    }
  }
  const created: { index: number; id: string; entitlementId: string }[] = [];
  if (inputs.length) {
    // The REST batch's own use case: each entitlement atomic on its own, a reason per refusal.
    const r = await entitlementBatchCreator(
      deps.db,
      ctx,
      inputs.map((i) => i.input),
    );
    for (const d of r.responseData)
      created.push({ index: (inputs[d.recordRefNo - 1] as { index: number }).index, id: d.id, entitlementId: d.entitlementId });
    for (const f of r.failedData)
      failed.push({ index: (inputs[f.recordRefNo - 1] as { index: number }).index, reason: f.reason });
  }
  failed.sort((a, b) => a.index - b.index);
  created.sort((a, b) => a.index - b.index);
  return {
    statusInfo: batchStatus(created.length, failed.length, "bulk entitlements"),
    ...(failed.length
      ? { failedData: { failedBulkEntitlement: failed.map((f) => ({ bulkEntitlement: items[f.index], reason: f.reason })) } }
      : {}),
    ...(created.length
      ? {
          responseData: {
            createdBulkEntitlement: created.map((c) => ({
              recordRefNo: String(c.index + 1),
              uniqueId: c.id,
              bulkEntitlementId: c.entitlementId,
            })),
          },
        }
      : {}),
  };
};

/** FNO's SimpleQueryType/DateQueryType criteria as the entitlement list's filter (bulk only, the caller's scope). */
function bulkFilter(ctx: RequestContext, c: Decoded): EntitlementFilter {
  const f: EntitlementFilter = { onlyAccountIds: scopeEntitlements(ctx.actor), kind: "BULK" };
  const text = (q: Decoded) => ({ op: q.searchType, value: q.value });
  const date = (q: Decoded) => {
    const day = q.value as string;
    const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    if (q.searchType === "BEFORE") return { op: "BEFORE" as const, from: null, to: `${day}T00:00:00.000Z` };
    if (q.searchType === "AFTER") return { op: "AFTER" as const, from: `${next}T00:00:00.000Z`, to: null };
    return { op: "ON" as const, from: `${day}T00:00:00.000Z`, to: `${next}T00:00:00.000Z` };
  };
  const supported = new Set([
    "entitlementId",
    "description",
    "productName",
    "shipToEmail",
    "state",
    "createdOn",
    "lastModifiedDate",
    "createdUserId",
  ]);
  for (const k of Object.keys(c)) if (!supported.has(k)) notSupported(`The search criterion ${k}`);
  if (c.entitlementId) f.entitlementId = text(c.entitlementId);
  if (c.description) f.description = text(c.description);
  if (c.productName) f.productName = text(c.productName);
  if (c.shipToEmail) f.shipToEmail = text(c.shipToEmail);
  if (c.createdUserId) f.createdBy = text(c.createdUserId);
  if (c.createdOn) f.createdAt = date(c.createdOn);
  if (c.lastModifiedDate) f.updatedAt = date(c.lastModifiedDate);
  if (c.state) {
    if (c.state.searchType !== "EQUALS") notSupported(`state with searchType ${c.state.searchType} (EQUALS is)`);
    f.states = [c.state.value];
  }
  return f;
}

const getBulkEntitlementCount: Handler = async (deps, ctx, req) => {
  const count = await countEntitlements(deps.db, bulkFilter(ctx, req.bulkEntitlementSearchCriteria));
  return { statusInfo: { status: "SUCCESS" }, count };
};

function pageArgs(batchSize: number, pageNumber: number | undefined) {
  if (batchSize < 1 || batchSize > SOAP_BATCH_SIZE_MAX) throw new SoapFailure(`batchSize must be 1 to ${SOAP_BATCH_SIZE_MAX}.`);
  const page = pageNumber ?? 1;
  if (page < 1) throw new SoapFailure("pageNumber starts at 1.");
  return { batchSize, page };
}

/** An entitlement as FNO's bulkEntitlementPropertiesType, every field it can fill. */
function bulkProperties(e: Entitlement, version: string): Record<string, Decoded> {
  const p = e.product;
  const product = p?.products[0];
  return {
    entitlementId: { uniqueId: e.id, primaryKeys: { entitlementId: e.entitlementId } },
    allowPortalLogin: e.allowPortalLogin,
    description: e.description,
    state: e.state,
    soldTo: e.soldTo ? { uniqueId: e.soldTo, primaryKeys: version === "v4" ? { id: e.soldTo } : { name: e.soldTo } } : null,
    soldToDisplayName: e.channelPartners.find((c) => c.accountId === e.soldTo)?.accountName ?? null,
    shipToEmail: e.shipToEmail,
    shipToAddress: e.shipToAddress,
    orderId: e.orderId,
    orderLineNumber: e.orderLineNumber,
    product: product ? { uniqueId: product.productId, primaryKeys: { name: product.name, version: product.version } } : null,
    partNumber: p?.partNumberId ? { uniqueId: p.partNumberId, ...(p.partId ? { primaryKeys: { partId: p.partId } } : {}) } : null,
    licenseModel: p?.licenseModelId
      ? { uniqueId: p.licenseModelId, ...(p.licenseModelName ? { primaryKeys: { name: p.licenseModelName } } : {}) }
      : null,
    startDateOption: p?.startDateOption ?? null,
    isPermanent: p?.isPermanent ?? null,
    term: p?.term ? { numDuration: p.term.count, durationUnit: p.term.unit } : null,
    expirationDate: p?.expirationDate ?? null,
    versionDate: p?.versionDate ?? null,
    versionDateAttributes: p?.versionDateOption ? { versionOption: p.versionDateOption } : null,
    numberOfCopies: p?.numberOfCopies ?? null,
    bulkEntitlementType: p?.bulkEntitlementType ?? null,
    createdUserId: e.createdBy,
    customAttributes: Object.keys(e.customAttributes).length
      ? { attribute: Object.entries(e.customAttributes).map(([attributeName, stringValue]) => ({ attributeName, stringValue })) }
      : null,
  };
}

const getBulkEntitlementPropertiesQuery: Handler = async (deps, ctx, req, version) => {
  const { batchSize, page } = pageArgs(req.batchSize, req.pageNumber);
  const filter = bulkFilter(ctx, req.bulkEntitlementSearchCriteria);
  // The list pages by keyset (newest first); FNO's page N is reached by walking the keysets.
  let cursor: string | undefined;
  let rows: { id: string }[] = [];
  for (let n = 1; n <= page; n++) {
    let taken = 0;
    rows = [];
    while (taken < batchSize) {
      const chunk = await listEntitlements(deps.db, filter, { limit: Math.min(batchSize - taken, LIMITS.pageSizeMax), cursor });
      rows.push(...chunk.items);
      taken += chunk.items.length;
      cursor = chunk.nextCursor ?? undefined;
      if (!cursor) break;
    }
    if (!cursor && n < page) return { statusInfo: { status: "SUCCESS" } };
  }
  const config = req.bulkEntitlementResponseConfig as Record<string, Decoded>;
  const wanted = new Set(
    Object.entries(config)
      .filter(([k, v]) => v === true && k !== "customAttributes")
      .map(([k]) => k),
  );
  const attributes = config.customAttributes
    ? new Set((config.customAttributes.attribute ?? []).map((a: Decoded) => a.attributeName as string))
    : null;
  const out: Record<string, Decoded>[] = [];
  for (const r of rows) {
    const record = await findEntitlementRecord(deps.db, r.id);
    if (!record) continue;
    const all = bulkProperties(presentEntitlementRecord(record), version);
    const item: Record<string, Decoded> = {};
    for (const k of wanted) if (all[k] !== null && all[k] !== undefined) item[k] = all[k];
    if (attributes && all.customAttributes) {
      const chosen = all.customAttributes.attribute.filter((a: Decoded) => attributes.has(a.attributeName));
      if (chosen.length) item.customAttributes = { attribute: chosen };
    }
    out.push(item);
  }
  return { statusInfo: { status: "SUCCESS" }, bulkEntitlement: out };
};

/** A list of keys stored in the file store as a text key file (one key per line), for a keys.import job. */
async function storedKeyList(deps: AppDeps, keys: string[]): Promise<UploadedKeyFile> {
  const name = "soap-addWebRegKeyRequest.txt";
  const upload = await createStoredFile(deps.db, { kind: "upload", jobId: null, name });
  try {
    const out = new ChunkWriter(deps.db, upload);
    await pipeline(Readable.from([Buffer.from(`${keys.join("\n")}\n`, "utf8")]), out);
    await completeStoredFile(deps.db, upload, out.bytes);
  } catch (err) {
    await deleteStoredFile(deps.db, upload);
    throw err;
  }
  return { upload, fileName: name, format: "text", mode: "all" };
}

const createWebRegKey: Handler = async (deps, ctx, req) => {
  const items = capItems(req.webRegKeyData as Decoded[], "webRegKeyData items");
  const ok: Decoded[] = [];
  const failed: Decoded[] = [];
  for (const item of items) {
    try {
      const pk = await entitlementPk(deps, item.bulkEntitlement, "bulkEntitlement");
      const keys: string[] = item.webRegKeys.webRegKey ?? [];
      const generate = item.webRegKeys.autoGenerate === true;
      if (generate && keys.length) throw new SoapFailure("Give either webRegKey values or autoGenerate, not both.");
      if (generate) {
        const count = item.webRegKeys.numAutoGenerate ?? 1;
        if (count < 1) throw new SoapFailure("numAutoGenerate must be at least 1.");
        if (count > KEY_LIMITS.syncGenerateMax && !deps.jobs)
          throw new SoapFailure(
            `Generating more than ${KEY_LIMITS.syncGenerateMax} keys needs background jobs, which this process does not run.`,
          );
        // Above the synchronous limit the existing keys.generate job runs it: SUCCESS means scheduled, as in FNO.
        const r = await keyGenerator(deps, () => deps.jobs as NonNullable<AppDeps["jobs"]>, ctx, pk, { count });
        if ("report" in r && r.report.status !== "SUCCESS")
          throw new SoapFailure(`No key was generated: ${r.report.badLines[0]?.reason ?? "the load was refused"}.`);
        ok.push(item);
        continue;
      }
      if (keys.length === 0) throw new SoapFailure("webRegKeys holds no webRegKey and no autoGenerate.");
      if (keys.length > KEY_LIMITS.syncGenerateMax)
        throw new SoapFailure(`At most ${KEY_LIMITS.syncGenerateMax} keys per webRegKeyData item.`);
      const jobs = deps.jobs;
      if (req.processSync !== true && jobs) {
        // FNO's default is asynchronous: the keys become a stored key list that the existing
        // keys.import job loads (all or nothing); SUCCESS then means scheduled, as in FNO.
        await keyImportStarter(
          deps.db,
          () => jobs,
          ctx,
          pk,
          () => storedKeyList(deps, keys),
        );
        ok.push(item);
        continue;
      }
      const report = await keyBatchLoader(deps, ctx, pk, { keys, mode: "all" });
      if (report.status !== "SUCCESS") {
        const lines = report.badLines.slice(0, 20).map((l) => `'${l.key}' ${l.reason}`);
        throw new SoapFailure(
          `No key of this item was added: ${report.rejected} refused (${lines.join("; ")}${report.rejected > lines.length ? "; …" : ""}).`,
        );
      }
      ok.push(item);
    } catch (err) {
      failed.push({ webRegKeyData: item, reason: reasonOf(err) });
    }
  }
  return {
    statusInfo: batchStatus(ok.length, failed.length, "items"),
    ...(ok.length ? { responseData: { webRegKeyData: ok } } : {}),
    ...(failed.length ? { failedData: { failedWebRegKeyData: failed } } : {}),
  };
};

const getWebRegKeyCount: Handler = async (deps, ctx, req) => {
  try {
    const pk = await entitlementPk(deps, req.bulkEntitlementIdentifier, "bulkEntitlementIdentifier");
    await bulkForKeys(deps.db, ctx, pk, "keys.read");
    const c = (await keyCounts(deps.db, pk)) ?? { total: 0, redeemed: 0 };
    return { statusInfo: { status: "SUCCESS" }, responseData: { totalCount: c.total, redeemedCount: c.redeemed } };
  } catch (err) {
    return failure(reasonOf(err));
  }
};

const getWebRegKeysQuery: Handler = async (deps, ctx, req) => {
  try {
    const { batchSize, page } = pageArgs(req.batchSize, req.pageNumber);
    const pk = await entitlementPk(deps, req.bulkEntitlementIdentifier, "bulkEntitlementIdentifier");
    await bulkForKeys(deps.db, ctx, pk, "keys.read");
    const rows = await keysAtPage(deps.db, pk, page, batchSize);
    // webRegKeys may not be empty in the schema: no keys, no webRegKeys.
    return {
      statusInfo: { status: "SUCCESS" },
      responseData: rows.length ? { webRegKeys: { webRegKey: rows.map((r) => r.key) } } : {},
    };
  } catch (err) {
    return failure(reasonOf(err));
  }
};

const setEntitlementState: Handler = async (deps, ctx, req) => {
  const items = capItems(req.entitlement as Decoded[], "entitlements");
  const failed: Decoded[] = [];
  for (const item of items) {
    try {
      const pk = await entitlementPk(deps, item.entitlementIdentifier);
      await entitlementStateChanger(deps.db, ctx, pk, item.stateToSet);
    } catch (err) {
      failed.push({ entitlement: item, reason: reasonOf(err) });
    }
  }
  return {
    statusInfo: batchStatus(items.length - failed.length, failed.length, "state changes"),
    ...(failed.length ? { failedData: { failedEntitlement: failed } } : {}),
  };
};

const deleteWebRegKey: Handler = async (deps, ctx, req) => {
  const keys = capItems((req.webRegKeyList.webRegKey ?? []) as string[], "web register keys", SOAP_DELETE_KEY_CAP);
  if (keys.length === 0) return failure("webRegKeyList names no webRegKey.");
  const failed: Decoded[] = [];
  for (const key of keys) {
    try {
      const row = await findKeyByCanon(deps.db, canonicalKey(key));
      if (!row) throw new SoapFailure(`'${key}' is not a web register key.`);
      // Each key on its own (FNO answers per key); the REST use case checks access and the state.
      const jobs = () => deps.jobs as NonNullable<AppDeps["jobs"]>;
      await keyRemover(deps.db, jobs, ctx, row.bulk_id, { keys: [key] });
    } catch (err) {
      const reason = reasonOf(err);
      // A key of an entitlement the caller may not see is worded as unknown: keys are secrets.
      failed.push({
        webRegKey: key,
        reason: reason.startsWith("Bulk entitlement") ? `'${key}' is not a web register key.` : reason,
      });
    }
  }
  return {
    statusInfo: {
      status: statusOf(keys.length - failed.length, failed.length),
      ...(failed.length ? { reason: `${failed.length} of ${keys.length} keys were not deleted.` } : {}),
    },
    ...(failed.length ? { failedData: { failedWebRegKey: failed } } : {}),
  };
};

const deleteEntitlement: Handler = async (deps, ctx, req) => {
  const items = capItems(req.entitlement as Decoded[], "entitlements");
  const failed: Decoded[] = [];
  for (const item of items) {
    try {
      await entitlementDeleter(deps.db, ctx, await entitlementPk(deps, item.entitlementIdentifier));
    } catch (err) {
      failed.push({ entitlementIdentifier: item.entitlementIdentifier, reason: reasonOf(err) });
    }
  }
  return {
    statusInfo: batchStatus(items.length - failed.length, failed.length, "deletions"),
    ...(failed.length ? { failedData: { failedEntitlement: failed } } : {}),
  };
};

/** The bulk entitlement and web register key operations. */
export const BULK_HANDLERS: Record<string, Handler> = {
  updateBulkEntitlement,
  createBulkEntitlement,
  getBulkEntitlementCount,
  getBulkEntitlementPropertiesQuery,
  createWebRegKey,
  getWebRegKeyCount,
  getWebRegKeysQuery,
  setEntitlementState,
  deleteWebRegKey,
  deleteEntitlement,
};
