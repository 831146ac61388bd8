import type { FieldProblem } from "../../../../common/src/errors.js";
import {
  entitlementOpProblem,
  type LifecycleOp,
  lineItemOpProblem,
  type PartnerEntry,
  type ProductLabel,
  type Refusal,
  relatedSourceProduct,
} from "../../../../common/src/rules/lifecycle.js";
import type { RequestContext } from "../../actor.js";
import { actorLabel } from "../../actor.js";
import { type EntitlementRecord, type LineItemFull, lineItemsOf, partnersOf } from "../../db/repos/entitlements.js";
import type { Settings } from "../../db/repos/settings.js";
import type { Db, EntitlementRow, Trx } from "../../db/schema.js";
import { generateId } from "../../domain/idTemplates.js";
import { errors } from "../../errors.js";
import { authorize } from "../../policies/index.js";
import { presentLineItem } from "../../presenters/entitlements.js";
import { bool, newId } from "../../util.js";
import { entitlementRecord, loadVisibleEntitlement } from "../entitlementSupport.js";
import { configInputOf } from "../lineItemCommands.js";
import { insertLineItem, type ProductConfigInput, resolveConfig } from "../lineItemConfig.js";

/** Shared steps of the lifecycle commands (renew, upgrade, upsell, transfers, merge). Each command owns its transaction. */

export type Permission = "entitlement.update" | "entitlement.changeState";

/**
 * The entitlement (404 if the caller may not see it), the permissions (403), the line item (404),
 * and the state rules of `op` for both (409 with the reason in words).
 */
export async function loadForOp(
  trx: Trx,
  ctx: RequestContext,
  pk: string,
  lineItemId: string,
  op: LifecycleOp,
  permissions: Permission[],
): Promise<{ row: EntitlementRow; item: LineItemFull }> {
  const { row, ref } = await loadVisibleEntitlement(trx, ctx, pk);
  for (const p of permissions) authorize(ctx.actor, p, ref);
  const items = (await lineItemsOf(trx, [pk])).get(pk) ?? [];
  const item = items.find((i) => i.id === lineItemId && i.role === "LINE_ITEM");
  if (!item) throw errors.notFound("Line item", lineItemId);
  const p =
    entitlementOpProblem(op, { entitlementId: row.entitlement_id, kind: row.kind, state: row.state }) ??
    lineItemOpProblem(op, { activationId: item.activation_id ?? "", state: item.state });
  if (p) throw errors.invalidState(p);
  return { row, item };
}

/** Throws a domain refusal as a 400 (input) or 409 (state). */
export function refuse(r: Refusal): never {
  if (r.status === "invalid") throw errors.validation(r.field, r.message);
  throw errors.invalidState(r.message, r.field);
}

export function isRefusal(x: object): x is Refusal {
  return "status" in x && "message" in x;
}

/**
 * Claims the entitlement for this transaction: a conditional update on the state we read, so a
 * concurrent state change either waits for us or makes us fail with a clear conflict.
 */
export async function claimEntitlement(trx: Trx, ctx: RequestContext, row: EntitlementRow, now: string, set: object = {}) {
  const res = await trx
    .updateTable("entitlements")
    .set({ ...set, updated_at: now, updated_by: ctx.actor.userId })
    .where("id", "=", row.id)
    .where("state", "=", row.state)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1)
    throw errors.conflict(`Entitlement ${row.entitlement_id} changed at the same time; reload and retry.`);
}

/**
 * Updates the line item only if it is still as we read it (state, copies) and its fulfilled count
 * fits under `fulfilledAtMost` — a concurrent activation or state change makes this a 409.
 */
export async function claimLineItem(
  trx: Trx,
  item: LineItemFull,
  now: string,
  set: { state?: string; number_of_copies?: number; activation_id?: string },
  fulfilledAtMost: number,
) {
  const res = await trx
    .updateTable("line_items")
    .set({ ...set, updated_at: now })
    .where("id", "=", item.id)
    .where("state", "=", item.state)
    .where("number_of_copies", "=", item.number_of_copies)
    .where("fulfilled_count", "<=", fulfilledAtMost)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1)
    throw errors.conflict(
      `Line item ${item.activation_id} changed at the same time (a state change or an activation); reload and retry.`,
    );
}

/** The account must exist and be able to hold entitlements (not the producer's own). */
export async function targetAccount(trx: Trx, accountId: string, field = "accountId"): Promise<{ id: string; name: string }> {
  const acc = await trx.selectFrom("accounts").select(["id", "name", "type"]).where("id", "=", accountId).executeTakeFirst();
  if (!acc) throw errors.validation(field, `account '${accountId}' does not exist`);
  if (acc.type === "PUBLISHER")
    throw errors.validation(field, "the producer's own account cannot hold entitlements; choose a customer or partner account");
  return { id: acc.id, name: acc.name };
}

export async function partnerEntries(trx: Trx, pk: string): Promise<PartnerEntry[]> {
  return ((await partnersOf(trx, [pk])).get(pk) ?? []).map((p) => ({
    tier: p.tier,
    accountId: p.account_id,
    contactUserId: p.contact_user_id,
    currentOwner: bool(p.current_owner),
  }));
}

async function nextPosition(trx: Trx, pk: string): Promise<number> {
  const max = await trx
    .selectFrom("line_items")
    .select((eb) => eb.fn.max("position").as("p"))
    .where("entitlement_id", "=", pk)
    .executeTakeFirst();
  return Number(max?.p ?? -1) + 1;
}

/** The parent as editable input again (products or part number, model, attributes, dates, copies…). */
export function inputOf(item: LineItemFull): ProductConfigInput {
  const json = presentLineItem(item);
  return configInputOf(json, json.lineItemType);
}

/**
 * Adds a renewal, upgrade or upsell line item to the parent's entitlement: validates the
 * configuration against the catalog (DEPLOYED products and models unless TEST; a DEPLOYED item
 * needs a license model), generates its activation ID from the template and links it to the parent.
 */
export async function insertDerivedLineItem(
  trx: Trx,
  args: {
    row: EntitlementRow;
    parent: LineItemFull;
    input: ProductConfigInput;
    state: "DEPLOYED" | "TEST";
    settings: Settings;
    now: string;
    fieldOf?: (field: string) => string;
  },
): Promise<{ id: string; activationId: string }> {
  const r = await resolveConfig(trx, args.input, { kind: "SIMPLE", test: args.state === "TEST", field: "lineItem" });
  const fieldOf = args.fieldOf ?? ((f: string) => f);
  const problems: FieldProblem[] = r.problems.map((p) => ({ ...p, field: fieldOf(p.field.replace(/^lineItem\./, "")) }));
  if (r.config && args.state === "DEPLOYED" && !r.config.row.license_model_id)
    problems.push({ field: fieldOf("licenseModelId"), message: "a DEPLOYED line item needs a license model" });
  if (!r.config || problems.length) throw errors.validationMany(problems);
  const activationId = generateId(args.settings.idTemplates.activation, { kind: "SIMPLE", orderId: args.row.order_id });
  const id = await insertLineItem(trx, {
    entitlementPk: args.row.id,
    role: "LINE_ITEM",
    position: await nextPosition(trx, args.row.id),
    state: args.state,
    activationId,
    idGenerated: true,
    config: r.config,
    parentLineItemId: args.parent.id,
    now: args.now,
  });
  return { id, activationId };
}

/**
 * A new simple entitlement for `targetAccountId` holding copies of `items` (all columns as they
 * are, fulfilled count 0, `parent_line_item_id` = the source item), with the source's header
 * (ship-to cleared: it named the old owner) and its partners with the target as End Customer and
 * current owner. Used by both transfers.
 */
export async function insertTransferredEntitlement(
  trx: Trx,
  ctx: RequestContext,
  a: {
    source: EntitlementRow;
    partners: PartnerEntry[];
    entitlementId: string;
    idGenerated: boolean;
    items: { item: LineItemFull; activationId: string; idGenerated: boolean; copies: number }[];
    now: string;
  },
): Promise<{ pk: string; lineItemIds: string[] }> {
  const pk = newId();
  await trx
    .insertInto("entitlements")
    .values({
      id: pk,
      entitlement_id: a.entitlementId,
      id_generated: a.idGenerated ? 1 : 0,
      kind: "SIMPLE",
      state: a.source.state,
      description: a.source.description,
      ship_to_email: null,
      ship_to_address: null,
      order_id: a.source.order_id,
      order_line_number: a.source.order_line_number,
      allow_portal_login: a.source.allow_portal_login,
      custom_attributes: a.source.custom_attributes,
      parent_bulk_id: a.source.parent_bulk_id,
      created_by: ctx.actor.userId,
      created_by_label: actorLabel(ctx.actor),
      created_at: a.now,
      updated_by: ctx.actor.userId,
      updated_at: a.now,
    })
    .execute();
  if (a.partners.length) {
    await trx
      .insertInto("entitlement_partners")
      .values(
        a.partners.map((p) => ({
          entitlement_id: pk,
          tier: p.tier,
          account_id: p.accountId,
          contact_user_id: p.contactUserId,
          current_owner: p.currentOwner ? 1 : 0,
        })),
      )
      .execute();
  }
  const lineItemIds: string[] = [];
  for (const [position, m] of a.items.entries()) {
    const {
      id: _id,
      entitlement_id: _e,
      products,
      part_id: _pn,
      license_model_name: _lm,
      created_at: _c,
      updated_at: _u,
      ...columns
    } = m.item;
    const id = newId();
    await trx
      .insertInto("line_items")
      .values({
        ...columns,
        id,
        entitlement_id: pk,
        position,
        activation_id: m.activationId,
        id_generated: m.idGenerated ? 1 : 0,
        number_of_copies: m.copies,
        fulfilled_count: 0,
        overdraft_count: 0,
        parent_line_item_id: m.item.id,
        created_at: a.now,
        updated_at: a.now,
      })
      .execute();
    if (products.length) {
      await trx
        .insertInto("line_item_products")
        .values(products.map((p, i) => ({ line_item_id: id, product_id: p.product_id, quantity: p.quantity, position: i })))
        .execute();
    }
    lineItemIds.push(id);
  }
  return { pk, lineItemIds };
}

/** What renew, upgrade and upsell result in: the entitlement as it is now and its new line item's id. */
export interface LifecycleResult {
  entitlement: EntitlementRecord;
  lineItemId: string;
}

export async function resultOf(db: Db, pk: string, lineItemId: string): Promise<LifecycleResult> {
  const entitlement = await entitlementRecord(db, pk);
  if (!entitlement.lineItems.some((li) => li.id === lineItemId && li.role === "LINE_ITEM"))
    throw errors.notFound("Line item", lineItemId);
  return { entitlement, lineItemId };
}

/** The target of an upgrade or upsell, with the line item's product it is related from. */
export interface RelatedTarget {
  target: ProductLabel;
  label: string;
  sourceProductId: string;
}

/**
 * Checks that `productId` exists and is related to one of the line item's products as
 * `kind` ("upgrade to" / "upsell to" in the product's relations); refuses in words otherwise.
 */
export async function relatedTarget(
  trx: Trx,
  kind: "UPGRADE" | "UPSELL",
  item: LineItemFull,
  productId: string,
): Promise<RelatedTarget> {
  const target = await trx
    .selectFrom("products")
    .select(["id", "name", "version"])
    .where("id", "=", productId)
    .executeTakeFirst();
  if (!target) throw errors.validation("productId", `product '${productId}' does not exist`);
  const itemProducts: ProductLabel[] = item.products.map((p) => ({ id: p.product_id, name: p.name, version: p.version }));
  const relations = itemProducts.length
    ? await trx
        .selectFrom("product_relations")
        .select(["product_id", "related_product_id", "kind"])
        .where(
          "product_id",
          "in",
          itemProducts.map((p) => p.id),
        )
        .execute()
    : [];
  const relatedIds = [...new Set(relations.map((r) => r.related_product_id))];
  const labels = new Map<string, ProductLabel>(
    (relatedIds.length
      ? await trx.selectFrom("products").select(["id", "name", "version"]).where("id", "in", relatedIds).execute()
      : []
    ).map((p) => [p.id, p]),
  );
  const r = relatedSourceProduct(
    kind,
    itemProducts,
    relations.map((x) => ({ productId: x.product_id, relatedProductId: x.related_product_id, kind: x.kind })),
    target,
    labels,
  );
  if (isRefusal(r)) refuse(r);
  return { target, label: `'${target.name} ${target.version}'`, sourceProductId: r.sourceProductId };
}

/**
 * The parent's configuration moved to the target product: products = the target (with the
 * quantity of the product it is related from), no part number, the parent's license model unless
 * another is given (alternates the target does not allow are dropped), same dates.
 */
export async function targetConfig(
  trx: Trx,
  item: LineItemFull,
  related: RelatedTarget,
  override: {
    licenseModelId?: string | null | undefined;
    licenseModelAttributes?: Record<string, string | number | boolean> | undefined;
  },
): Promise<ProductConfigInput> {
  const base = inputOf(item);
  const allowed = (
    await trx
      .selectFrom("product_license_models")
      .select("license_model_id")
      .where("product_id", "=", related.target.id)
      .execute()
  ).map((r) => r.license_model_id);
  const modelChanged = override.licenseModelId != null && override.licenseModelId !== base.licenseModelId;
  const quantity = item.products.find((p) => p.product_id === related.sourceProductId)?.quantity ?? 1;
  return {
    ...base,
    partNumberId: null,
    products: [{ productId: related.target.id, quantity }],
    licenseModelId: modelChanged ? override.licenseModelId : base.licenseModelId,
    alternateLicenseModelIds: modelChanged
      ? []
      : (base.alternateLicenseModelIds ?? []).filter((id) => allowed.length === 0 || allowed.includes(id)),
    licenseModelAttributes: modelChanged
      ? (override.licenseModelAttributes ?? {})
      : { ...base.licenseModelAttributes, ...override.licenseModelAttributes },
  };
}
