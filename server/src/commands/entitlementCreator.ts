import type { EntitlementCreateBody, EntitlementUpdateBody, LineItemBody } from "../../../common/src/api/entitlements.js";
import type { FieldProblem } from "../../../common/src/errors.js";
import { normaliseShipToEmail, resolvePartners, shipToEmailProblem } from "../../../common/src/rules/entitlements.js";
import type { RequestContext } from "../actor.js";
import { actorLabel } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { EntitlementRecord } from "../db/repos/entitlements.js";
import { loadSettings } from "../db/repos/settings.js";
import type { Db, Trx } from "../db/schema.js";
import { specifiedIdProblem } from "../domain/ids.js";
import { generateId } from "../domain/idTemplates.js";
import { canonicalKey } from "../domain/keyFormat.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { newId, nowIso } from "../util.js";
import { emitEntitlement } from "./domainEvents.js";
import { deployEntitlement } from "./entitlementStateChanger.js";
import {
  entitlementJson,
  entitlementRecord,
  partnerProblems,
  recordEvent,
  replacePartners,
  retryOnIdCollision,
} from "./entitlementSupport.js";
import { insertLineItem, type ProductConfigInput, type ResolvedConfig, resolveConfig } from "./lineItemConfig.js";

/** The entitlement header (the Create a Bulk / Simple Entitlement page, top part): the PATCH body's fields. */
export type EntitlementHeaderInput = Omit<EntitlementUpdateBody, "autoDeploy">;

/** A line item as the body gives it, its type renamed as in every product configuration. */
export type LineItemInput = ProductConfigInput & Pick<LineItemBody, "activationId">;

/**
 * The create body (common/src/api/entitlements.ts) with its configurations as commands take them.
 * BULK: `product` may come later ("Add Product"); SIMPLE: `lineItems`. `test`: state TEST, DRAFT
 * catalog allowed, never changes state. `autoDeploy`: deploy right after creating.
 */
export type EntitlementCreateInput = Omit<EntitlementCreateBody, "product" | "lineItems"> & {
  product?: ProductConfigInput | null;
  lineItems?: LineItemInput[];
};

/** Problems with the header fields that need no database. */
export function headerProblems(input: EntitlementHeaderInput): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (input.entitlementId != null) {
    const p = specifiedIdProblem(input.entitlementId);
    if (p) out.push({ field: "entitlementId", message: p });
  }
  if (input.shipToEmail != null && input.shipToEmail.trim() !== "") {
    const p = shipToEmailProblem(input.shipToEmail);
    if (p) out.push({ field: "shipToEmail", message: p });
  }
  for (const [k, v] of Object.entries(input.customAttributes ?? {})) {
    if (k.trim() === "" || k.length > 128) out.push({ field: `customAttributes.${k}`, message: "names are 1 to 128 characters" });
    if (typeof v !== "string" || v.length > 4000)
      out.push({ field: `customAttributes.${k}`, message: "values are text up to 4000 characters" });
  }
  return out;
}

/**
 * Creates a simple or bulk entitlement (Entitlements > Create Simple / Create Bulk / Create Test
 * Bulk) in DRAFT or TEST, with its channel partners and line items or product configuration, in
 * one transaction; optionally deploys it. Generated IDs that collide are regenerated.
 */
export async function entitlementCreator(db: Db, ctx: RequestContext, input: EntitlementCreateInput): Promise<EntitlementRecord> {
  authorize(ctx.actor, "entitlement.create");
  const problems = headerProblems(input);
  if (input.kind === "BULK" && input.lineItems?.length)
    problems.push({ field: "lineItems", message: "a bulk entitlement has one product configuration (product), not line items" });
  if (input.kind === "SIMPLE" && input.product)
    problems.push({ field: "product", message: "a simple entitlement has line items, not a bulk product configuration" });
  (input.lineItems ?? []).forEach((li, i) => {
    if (li.activationId != null) {
      const p = specifiedIdProblem(li.activationId);
      if (p) problems.push({ field: `lineItems[${i}].activationId`, message: p });
      const dup = (input.lineItems ?? []).findIndex((o) => o.activationId === li.activationId);
      if (dup !== i)
        problems.push({ field: `lineItems[${i}].activationId`, message: `is the same activation ID as line item ${dup + 1}` });
    }
  });
  if (problems.length) throw errors.validationMany(problems);
  const settings = await loadSettings(db);
  const pk = await retryOnIdCollision(() =>
    db.transaction().execute(async (trx) => {
      const pk = await insertEntitlement(trx, ctx, input, settings.idTemplates);
      if (input.autoDeploy && !input.test) await deployEntitlement(trx, ctx, pk, "autoDeploy");
      return pk;
    }),
  );
  return entitlementRecord(db, pk);
}

/** The body of a create, inside the caller's transaction (the batch API reuses it per item). */
export async function insertEntitlement(
  trx: Trx,
  ctx: RequestContext,
  input: EntitlementCreateInput,
  templates: Awaited<ReturnType<typeof loadSettings>>["idTemplates"],
): Promise<string> {
  const test = input.test === true;
  const problems: FieldProblem[] = [];
  const { partners, problems: partnerRuleProblems } = resolvePartners(input.kind, input.soldTo, input.channelPartners ?? []);
  problems.push(...partnerRuleProblems, ...(await partnerProblems(trx, partners, input.channelPartners?.length ?? 0)));

  if (input.entitlementId != null) {
    const taken = await trx
      .selectFrom("entitlements")
      .select("id")
      .where("entitlement_id", "=", input.entitlementId)
      .executeTakeFirst();
    if (taken) throw errors.alreadyExists("entitlementId", `An entitlement with ID '${input.entitlementId}' already exists.`);
  }
  const configs: { config: ResolvedConfig; activationId: string | null; generated: boolean }[] = [];
  let bulkConfig: ResolvedConfig | null = null;
  if (input.kind === "BULK" && input.product) {
    const r = await resolveConfig(trx, input.product, { kind: "BULK", test, field: "product" });
    problems.push(...r.problems);
    bulkConfig = r.config;
  }
  for (const [i, li] of (input.lineItems ?? []).entries()) {
    const r = await resolveConfig(trx, li, { kind: "SIMPLE", test, field: `lineItems[${i}]` });
    problems.push(...r.problems);
    if (li.activationId != null) {
      const taken = await activationIdTaken(trx, li.activationId);
      if (taken)
        problems.push({ field: `lineItems[${i}].activationId`, message: `activation ID '${li.activationId}' is already in use` });
    }
    if (r.config) configs.push({ config: r.config, activationId: li.activationId ?? null, generated: li.activationId == null });
  }
  if (problems.length) throw errors.validationMany(problems);

  const now = nowIso();
  const pk = newId();
  const idCtx = { kind: input.kind, orderId: input.orderId ?? null };
  const entitlementId = input.entitlementId ?? generateId(templates.entitlement, idCtx);
  await trx
    .insertInto("entitlements")
    .values({
      id: pk,
      entitlement_id: entitlementId,
      id_generated: input.entitlementId == null ? 1 : 0,
      kind: input.kind,
      state: test ? "TEST" : "DRAFT",
      description: input.description ?? null,
      ship_to_email: input.shipToEmail?.trim() ? normaliseShipToEmail(input.shipToEmail) : null,
      ship_to_address: input.shipToAddress ?? null,
      order_id: input.orderId ?? null,
      order_line_number: input.orderLineNumber ?? null,
      allow_portal_login: input.allowPortalLogin ? 1 : 0,
      custom_attributes: JSON.stringify(input.customAttributes ?? {}),
      parent_bulk_id: null,
      created_by: ctx.actor.userId,
      created_by_label: actorLabel(ctx.actor),
      created_at: now,
      updated_by: ctx.actor.userId,
      updated_at: now,
    })
    .execute();
  await replacePartners(trx, pk, partners);
  const itemState = test ? "TEST" : "DRAFT";
  if (bulkConfig) {
    await insertLineItem(trx, {
      entitlementPk: pk,
      role: "BULK_CONFIG",
      position: 0,
      state: itemState,
      activationId: null,
      idGenerated: false,
      config: bulkConfig,
      now,
    });
  }
  for (const [i, c] of configs.entries()) {
    await insertLineItem(trx, {
      entitlementPk: pk,
      role: "LINE_ITEM",
      position: i,
      state: itemState,
      activationId: c.activationId ?? generateId(templates.activation, idCtx),
      idGenerated: c.generated,
      config: c.config,
      now,
    });
  }
  await recordEvent(
    trx,
    ctx,
    pk,
    "EVENT_CREATED",
    `${test ? "Test " : ""}${input.kind === "BULK" ? "bulk" : "simple"} entitlement created`,
  );
  const json = await entitlementJson(trx, pk);
  await recordAudit(trx, ctx, { action: "entitlement.created", objectType: "entitlement", objectId: pk, after: json as never });
  // Its line items are in the entitlement's payload; line_item.created is for one added later.
  await emitEntitlement(trx, ctx, "entitlement.created", pk);
  return pk;
}

/** An activation ID is taken by any line item or any web register key (they share one namespace). */
export async function activationIdTaken(trx: Trx, activationId: string): Promise<boolean> {
  const row = await trx.selectFrom("line_items").select("id").where("activation_id", "=", activationId).executeTakeFirst();
  if (row) return true;
  // Keys compare by their canonical form (PRODUCT.md §3), so `abc-1` is taken by the key `ABC1`.
  const key = await trx
    .selectFrom("web_register_keys")
    .select("id")
    .where("key_canon", "=", canonicalKey(activationId))
    .executeTakeFirst();
  return key !== undefined;
}
