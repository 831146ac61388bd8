import type { ProductConfig } from "../../../common/src/api/entitlements.js";
import type { StateType } from "../../../common/src/enums.js";
import type { FieldProblem } from "../../../common/src/errors.js";
import {
  canAddLineItems,
  isEditable,
  LINE_ITEM_DELETABLE,
  lineItemMoveProblem,
} from "../../../common/src/rules/entitlementStates.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { EntitlementRecord } from "../db/repos/entitlements.js";
import { lineItemsOf } from "../db/repos/entitlements.js";
import { loadSettings } from "../db/repos/settings.js";
import type { Db, EntitlementRow, Trx } from "../db/schema.js";
import { specifiedIdProblem } from "../domain/ids.js";
import { generateId } from "../domain/idTemplates.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { presentLineItem } from "../presenters/entitlements.js";

import { nowIso } from "../util.js";
import { emitEntitlement, emitLineItems, emitRemovedLineItem } from "./domainEvents.js";
import { activationIdTaken, type LineItemInput } from "./entitlementCreator.js";
import { deployEntitlement } from "./entitlementStateChanger.js";
import {
  entitlementJson,
  entitlementRecord,
  loadVisibleEntitlement,
  recordEvent,
  retryOnIdCollision,
} from "./entitlementSupport.js";
import { insertLineItem, type ProductConfigInput, replaceLineItemProducts, resolveConfig } from "./lineItemConfig.js";

/** Fields a DEPLOYED item may still change when "allow editing of deployed entities" is on. */
const DATE_AND_DESCRIPTION = new Set(["startDate", "isPermanent", "term", "expirationDate", "versionDate", "description"]);

/** The stored configuration as input again, so a patch can be merged onto it and re-validated whole. */
export function configInputOf(c: ProductConfig, type: string | null): ProductConfigInput {
  return {
    ...(c.partNumberId
      ? { partNumberId: c.partNumberId }
      : { products: c.products.map((p) => ({ productId: p.productId, quantity: p.quantity })) }),
    licenseModelId: c.licenseModelId,
    alternateLicenseModelIds: c.alternateLicenseModelIds,
    licenseModelAttributes: c.licenseModelAttributes,
    startDateOption: c.startDateOption as ProductConfigInput["startDateOption"],
    startDate: c.startDate,
    isPermanent: c.isPermanent,
    term: c.term as ProductConfigInput["term"],
    expirationDate: c.expirationDate,
    versionDateOption: c.versionDateOption as ProductConfigInput["versionDateOption"],
    versionDate: c.versionDate,
    numberOfCopies: c.numberOfCopies,
    type: type as ProductConfigInput["type"],
    description: c.description,
    orderId: c.orderId,
    orderLineNumber: c.orderLineNumber,
  };
}

function changedKeys(patch: Record<string, unknown>, current: Record<string, unknown>): string[] {
  return Object.keys(patch).filter((k) => patch[k] !== undefined && JSON.stringify(patch[k]) !== JSON.stringify(current[k]));
}

async function editGuard(trx: Trx, what: string, state: StateType, changed: string[]) {
  const settings = await loadSettings(trx);
  const datesOnly = changed.every((k) => DATE_AND_DESCRIPTION.has(k));
  if (!isEditable(state, settings.allowEditDeployed, datesOnly ? "datesOrDescription" : "any")) {
    throw errors.invalidState(
      `${what} is ${state}; only DRAFT and TEST items can be edited${settings.allowEditDeployed ? " (DEPLOYED ones: dates and description only)" : ' (turn on "allow editing of deployed entities" to change dates of DEPLOYED ones)'}.`,
    );
  }
}

/**
 * "Add Product" on a bulk entitlement: sets (or, given a patch, changes) its one product
 * configuration. DRAFT and TEST freely; DEPLOYED dates and description only with the setting.
 */
export async function bulkProductConfigurer(
  db: Db,
  ctx: RequestContext,
  pk: string,
  input: ProductConfigInput,
  mode: "replace" | "patch",
  opts: { autoDeploy?: boolean } = {},
): Promise<EntitlementRecord> {
  await db.transaction().execute(async (trx) => {
    const { row, ref } = await loadVisibleEntitlement(trx, ctx, pk);
    authorize(ctx.actor, "entitlement.update", ref);
    await configureBulkProduct(trx, ctx, row, input, mode);
    // autoDeploy deploys right after the update (PRODUCT.md §3), in the same transaction: a
    // refused deploy (no license model yet…) takes the product change back with it.
    if (opts.autoDeploy && row.state === "DRAFT") {
      authorize(ctx.actor, "entitlement.changeState", ref);
      await deployEntitlement(trx, ctx, pk, "autoDeploy");
    }
  });
  return entitlementRecord(db, pk);
}

/** The product change itself, inside the caller's transaction. */
async function configureBulkProduct(
  trx: Trx,
  ctx: RequestContext,
  row: EntitlementRow,
  input: ProductConfigInput,
  mode: "replace" | "patch",
): Promise<void> {
  const pk = row.id;
  if (row.kind !== "BULK")
    throw errors.validation("product", "only bulk entitlements have a product configuration; add line items instead");
  const before = await entitlementJson(trx, pk);
  const current = before.product ? configInputOf(before.product, before.product.bulkEntitlementType) : null;
  if (mode === "patch" && !current)
    throw errors.invalidState("The bulk entitlement has no product yet; use Add Product (PUT) first.", "product");
  const merged: ProductConfigInput = mode === "patch" ? { ...current, ...input } : input;
  const changed = current
    ? changedKeys(merged as Record<string, unknown>, current as Record<string, unknown>)
    : Object.keys(merged);
  if (changed.length === 0) return;
  await editGuard(trx, `Entitlement ${row.entitlement_id}`, row.state as StateType, changed);
  const r = await resolveConfig(trx, merged, { kind: "BULK", test: row.state === "TEST", field: "product" });
  if (!r.config) throw errors.validationMany(r.problems);
  const now = nowIso();
  const existing = await trx
    .selectFrom("line_items")
    .select("id")
    .where("entitlement_id", "=", pk)
    .where("role", "=", "BULK_CONFIG")
    .executeTakeFirst();
  if (existing) {
    await trx
      .updateTable("line_items")
      .set({ ...r.config.row, updated_at: now })
      .where("id", "=", existing.id)
      .execute();
    await replaceLineItemProducts(trx, existing.id, r.config.products);
  } else {
    await insertLineItem(trx, {
      entitlementPk: pk,
      role: "BULK_CONFIG",
      position: 0,
      state: row.state === "TEST" ? "TEST" : "DRAFT",
      activationId: null,
      idGenerated: false,
      config: r.config,
      now,
    });
  }
  await trx.updateTable("entitlements").set({ updated_at: now, updated_by: ctx.actor.userId }).where("id", "=", pk).execute();
  const after = await entitlementJson(trx, pk);
  await recordEvent(
    trx,
    ctx,
    pk,
    "EVENT_PROPERTY_CHANGED",
    existing ? `Product configuration changed (${changed.join(", ")})` : "Product added",
  );
  await recordAudit(trx, ctx, {
    action: "entitlement.product_configured",
    objectType: "entitlement",
    objectId: pk,
    before: { product: before.product },
    after: { product: after.product },
  });
  // A bulk entitlement's product configuration is part of its payload (`product`).
  await emitEntitlement(trx, ctx, "entitlement.updated", pk, { changed: ["product"] });
}

/** Adds line items to a simple entitlement. On a DEPLOYED entitlement they start DRAFT and are deployed by hand. */
export async function lineItemAdder(
  db: Db,
  ctx: RequestContext,
  pk: string,
  inputs: LineItemInput[],
): Promise<EntitlementRecord> {
  const pre: FieldProblem[] = [];
  inputs.forEach((li, i) => {
    if (li.activationId != null) {
      const p = specifiedIdProblem(li.activationId);
      if (p) pre.push({ field: `lineItems[${i}].activationId`, message: p });
      const dup = inputs.findIndex((o) => o.activationId === li.activationId);
      if (dup !== i)
        pre.push({ field: `lineItems[${i}].activationId`, message: `is the same activation ID as line item ${dup + 1}` });
    }
  });
  if (pre.length) throw errors.validationMany(pre);
  const settings = await loadSettings(db);
  await retryOnIdCollision(() =>
    db.transaction().execute(async (trx) => {
      const { row, ref } = await loadVisibleEntitlement(trx, ctx, pk);
      authorize(ctx.actor, "entitlement.update", ref);
      if (row.kind !== "SIMPLE")
        throw errors.validation("lineItems", "a bulk entitlement has one product configuration, not line items");
      if (!canAddLineItems(row.state)) {
        throw errors.invalidState(
          `Entitlement ${row.entitlement_id} is ${row.state}; line items can be added while it is DRAFT, TEST or DEPLOYED.`,
        );
      }
      const problems: FieldProblem[] = [];
      const configs = [];
      for (const [i, li] of inputs.entries()) {
        const r = await resolveConfig(trx, li, { kind: "SIMPLE", test: row.state === "TEST", field: `lineItems[${i}]` });
        problems.push(...r.problems);
        if (li.activationId != null && (await activationIdTaken(trx, li.activationId))) {
          problems.push({
            field: `lineItems[${i}].activationId`,
            message: `activation ID '${li.activationId}' is already in use`,
          });
        }
        if (r.config) configs.push({ config: r.config, activationId: li.activationId ?? null });
      }
      if (problems.length) throw errors.validationMany(problems);
      const max = await trx
        .selectFrom("line_items")
        .select((eb) => eb.fn.max("position").as("p"))
        .where("entitlement_id", "=", pk)
        .executeTakeFirst();
      let position = Number(max?.p ?? -1) + 1;
      const now = nowIso();
      const added: string[] = [];
      for (const c of configs) {
        const activationId =
          c.activationId ?? generateId(settings.idTemplates.activation, { kind: "SIMPLE", orderId: row.order_id });
        await insertLineItem(trx, {
          entitlementPk: pk,
          role: "LINE_ITEM",
          position: position++,
          state: row.state === "TEST" ? "TEST" : "DRAFT",
          activationId,
          idGenerated: c.activationId == null,
          config: c.config,
          now,
        });
        added.push(activationId);
      }
      await trx.updateTable("entitlements").set({ updated_at: now, updated_by: ctx.actor.userId }).where("id", "=", pk).execute();
      await recordEvent(
        trx,
        ctx,
        pk,
        "EVENT_PROPERTY_CHANGED",
        `Line item${added.length > 1 ? "s" : ""} ${added.join(", ")} added`,
      );
      await recordAudit(trx, ctx, {
        action: "entitlement.line_items_added",
        objectType: "entitlement",
        objectId: pk,
        after: { activationIds: added },
      });
      await emitLineItems(trx, ctx, "line_item.created", pk, added);
    }),
  );
  return entitlementRecord(db, pk);
}

async function loadLineItem(trx: Trx, ctx: RequestContext, pk: string, lineItemId: string) {
  const { row, ref } = await loadVisibleEntitlement(trx, ctx, pk);
  const items = (await lineItemsOf(trx, [pk])).get(pk) ?? [];
  const item = items.find((i) => i.id === lineItemId && i.role === "LINE_ITEM");
  if (!item) throw errors.notFound("Line item", lineItemId);
  return { row, ref, item };
}

/** Edits a line item: DRAFT/TEST freely; DEPLOYED dates and description only with the setting. */
export async function lineItemUpdater(
  db: Db,
  ctx: RequestContext,
  pk: string,
  lineItemId: string,
  patch: LineItemInput,
): Promise<EntitlementRecord> {
  await db.transaction().execute(async (trx) => {
    const { ref, item } = await loadLineItem(trx, ctx, pk, lineItemId);
    authorize(ctx.actor, "entitlement.update", ref);
    const current = presentLineItem(item);
    const currentInput = { ...configInputOf(current, current.lineItemType), activationId: current.activationId };
    const changed = changedKeys(patch as Record<string, unknown>, currentInput as Record<string, unknown>);
    if (changed.length === 0) return;
    await editGuard(trx, `Line item ${item.activation_id}`, item.state as StateType, changed);
    if (patch.activationId != null && patch.activationId !== item.activation_id) {
      const p = specifiedIdProblem(patch.activationId);
      if (p) throw errors.validation("activationId", p);
      if (await activationIdTaken(trx, patch.activationId))
        throw errors.alreadyExists("activationId", `activation ID '${patch.activationId}' is already in use`);
    }
    const { activationId: _ignored, ...patchConfig } = patch;
    const merged: ProductConfigInput = { ...configInputOf(current, current.lineItemType), ...patchConfig };
    if (patch.partNumberId) delete merged.products;
    if (patch.products) delete merged.partNumberId;
    const r = await resolveConfig(trx, merged, { kind: "SIMPLE", test: item.state === "TEST", field: "lineItem" });
    if (!r.config) throw errors.validationMany(r.problems.map((p) => ({ ...p, field: p.field.replace(/^lineItem\./, "") })));
    if (r.config.row.number_of_copies < item.fulfilled_count) {
      throw errors.validation("numberOfCopies", `cannot go below the ${item.fulfilled_count} copies already fulfilled`);
    }
    const now = nowIso();
    await trx
      .updateTable("line_items")
      .set({
        ...r.config.row,
        activation_id: patch.activationId ?? item.activation_id,
        id_generated: patch.activationId != null && patch.activationId !== item.activation_id ? 0 : item.id_generated,
        updated_at: now,
      })
      .where("id", "=", lineItemId)
      .execute();
    await replaceLineItemProducts(trx, lineItemId, r.config.products);
    await trx.updateTable("entitlements").set({ updated_at: now, updated_by: ctx.actor.userId }).where("id", "=", pk).execute();
    await recordEvent(trx, ctx, pk, "EVENT_PROPERTY_CHANGED", `Line item ${item.activation_id}: changed ${changed.join(", ")}`);
    const after = (await lineItemsOf(trx, [pk])).get(pk)?.find((i) => i.id === lineItemId);
    await recordAudit(trx, ctx, {
      action: "entitlement.line_item_updated",
      objectType: "line_item",
      objectId: lineItemId,
      before: current as never,
      after: after ? (presentLineItem(after) as never) : null,
    });
    await emitLineItems(trx, ctx, "line_item.updated", pk, [lineItemId], { changed });
  });
  return entitlementRecord(db, pk);
}

/** Removes a line item that is DRAFT, TEST or OBSOLETE and has no fulfillments. */
export async function lineItemRemover(db: Db, ctx: RequestContext, pk: string, lineItemId: string): Promise<EntitlementRecord> {
  await db.transaction().execute(async (trx) => {
    const { ref, item } = await loadLineItem(trx, ctx, pk, lineItemId);
    authorize(ctx.actor, "entitlement.update", ref);
    if (!LINE_ITEM_DELETABLE.includes(item.state as StateType)) {
      throw errors.invalidState(
        `Line item ${item.activation_id} is ${item.state}; only DRAFT, TEST or OBSOLETE line items can be removed.`,
      );
    }
    if (item.fulfilled_count > 0)
      throw errors.invalidState(`Line item ${item.activation_id} has fulfillments; return them first.`);
    const children = await trx
      .selectFrom("line_items")
      .select("id")
      .where("parent_line_item_id", "=", lineItemId)
      .executeTakeFirst();
    if (children)
      throw errors.inUse(
        `Line item ${item.activation_id} is the parent of other line items (renewals, upgrades); it is kept for their lineage.`,
      );
    await trx.deleteFrom("line_items").where("id", "=", lineItemId).execute();
    await trx
      .updateTable("entitlements")
      .set({ updated_at: nowIso(), updated_by: ctx.actor.userId })
      .where("id", "=", pk)
      .execute();
    await recordEvent(trx, ctx, pk, "EVENT_PROPERTY_CHANGED", `Line item ${item.activation_id} removed`);
    await recordAudit(trx, ctx, {
      action: "entitlement.line_item_removed",
      objectType: "line_item",
      objectId: lineItemId,
      before: presentLineItem(item) as never,
    });
    await emitRemovedLineItem(trx, ctx, pk, item);
  });
  return entitlementRecord(db, pk);
}

/** Change State of one line item, within the entitlement's state (a DRAFT item on a DEPLOYED entitlement is deployed this way). */
export async function lineItemStateChanger(
  db: Db,
  ctx: RequestContext,
  pk: string,
  lineItemId: string,
  to: StateType,
): Promise<EntitlementRecord> {
  await db.transaction().execute(async (trx) => {
    const { row, ref, item } = await loadLineItem(trx, ctx, pk, lineItemId);
    authorize(ctx.actor, "entitlement.changeState", ref);
    const settings = await loadSettings(trx);
    const from = item.state as StateType;
    const p = lineItemMoveProblem(item.activation_id ?? "", row.state as StateType, from, to, {
      fulfilled: item.fulfilled_count,
      allowUsedToInactiveObsolete: settings.allowUsedItemsInactiveObsolete,
    });
    if (p) throw errors.invalidState(p);
    if (to === "DEPLOYED" && from === "DRAFT") {
      const missing: string[] = [];
      if (!item.license_model_id) missing.push("it has no license model");
      const lm = item.license_model_id
        ? await trx
            .selectFrom("license_models")
            .select(["name", "state"])
            .where("id", "=", item.license_model_id)
            .executeTakeFirst()
        : undefined;
      if (lm && lm.state !== "DEPLOYED") missing.push(`license model '${lm.name}' is ${lm.state}`);
      const prods = await trx
        .selectFrom("line_item_products as lp")
        .innerJoin("products as pr", "pr.id", "lp.product_id")
        .select(["pr.name", "pr.version", "pr.state"])
        .where("lp.line_item_id", "=", lineItemId)
        .execute();
      for (const pr of prods.filter((x) => x.state !== "DEPLOYED"))
        missing.push(`product '${pr.name} ${pr.version}' is ${pr.state}`);
      if (missing.length) throw errors.invalidState(`Line item ${item.activation_id} cannot be deployed: ${missing.join("; ")}.`);
    }
    const now = nowIso();
    const res = await trx
      .updateTable("line_items")
      .set({ state: to, updated_at: now })
      .where("id", "=", lineItemId)
      .where("state", "=", from)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1)
      throw errors.conflict(`Line item ${item.activation_id} changed state at the same time; reload and retry.`);
    await recordEvent(trx, ctx, pk, "EVENT_STATE_CHANGED", `Line item ${item.activation_id}: ${from} → ${to}`);
    await recordAudit(trx, ctx, {
      action: "entitlement.line_item_state_changed",
      objectType: "line_item",
      objectId: lineItemId,
      before: { state: from },
      after: { state: to },
    });
    await emitLineItems(trx, ctx, "line_item.state_changed", pk, [lineItemId], { previousState: from });
  });
  return entitlementRecord(db, pk);
}
