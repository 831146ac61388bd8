import type { ActivateBody, HostId, OfflineActivateBody } from "../../../common/src/api/fulfillments.js";
import {
  type ActivationItem,
  activationStateProblem,
  copiesProblem,
  extraActivationProblem,
  hostCountProblem,
  resolveAttributes,
  resolveCount,
  resolveDates,
  windowStart,
} from "../../../common/src/rules/fulfillments.js";
import { today } from "../../../common/src/rules/terms.js";
import { ActivationRequestError, readActivationRequest } from "../../../verifier/src/index.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isUniqueViolation, violationOf } from "../db/constraints.js";
import {
  type ActivationTarget,
  activeHostOf,
  type FulfillmentRecord,
  findActivationTarget,
  findFulfillmentByNonce,
  findFulfillmentByPk,
  isBulkEntitlementId,
  ownerAccountIds,
  productOfLineItem,
  supportActionsSince,
} from "../db/repos/fulfillments.js";
import type { Db, Trx } from "../db/schema.js";
import { normalizeHosts } from "../domain/hosts.js";
import { errors } from "../errors.js";
import type { SecretConfig } from "../licensing/secret.js";
import { authorize, can } from "../policies/index.js";
import { parseAttributes, parsePolicies } from "../presenters/licenseModels.js";
import { newId } from "../util.js";
import { emitFulfillment } from "./domainEvents.js";
import { auditedFulfillment, callerKey, issueLicense } from "./fulfillmentIssue.js";

export type ActivateInput = ActivateBody;

export interface ActivationOutcome {
  record: FulfillmentRecord;
  availableCount: number;
  /** False when an offline request already uploaded by this caller gave back its fulfillment. */
  created: boolean;
  /** The license email queued with it, if any. */
  emailMessageId: string | null;
}

/** Copies left on a line item after a change: none while it or its entitlement is closed. */
export function availableOf(li: { state: string; number_of_copies: number; fulfilled_count: number }, entitlementState: string) {
  if (["INACTIVE", "OBSOLETE"].includes(li.state) || ["INACTIVE", "OBSOLETE"].includes(entitlementState)) return 0;
  return Math.max(0, li.number_of_copies - li.fulfilled_count);
}

export function activationItem(t: ActivationTarget): ActivationItem {
  return {
    kind: t.kind,
    entitlementState: t.entitlement_state,
    state: t.state,
    activationId: t.activation_id ?? "",
    licenseModelId: t.license_model_id,
    startDateOption: t.start_date_option,
    startDate: t.start_date,
    isPermanent: t.is_permanent === 1,
    termCount: t.term_count,
    termUnit: t.term_unit,
    expirationDate: t.expiration_date,
    versionDateOption: t.version_date_option,
    versionDate: t.version_date,
    numberOfCopies: t.number_of_copies,
    fulfilledCount: t.fulfilled_count,
  };
}

/** Thrown inside the transaction when a host's unique index refuses the license; worded after the rollback. */
class HostTaken extends Error {
  constructor(
    readonly lineItemPk: string,
    readonly hosts: HostId[],
    readonly activationId: string,
  ) {
    super("host already licensed");
  }
}

/**
 * Activates a line item (PRODUCT.md §4, issue 14): checks the states, hosts, count, dates and
 * attributes, takes the copies with one conditional UPDATE (never below zero, whoever activates at
 * the same moment), writes a start date back at the first activation, signs the license with the
 * active key and stores it with its hosts (a host holding an active license of the line item is
 * refused by the database), audited — all in one transaction.
 */
export async function fulfillmentActivator(
  db: Db,
  ctx: RequestContext,
  config: SecretConfig,
  input: ActivateInput,
  offline: { nonce: string } | null = null,
): Promise<ActivationOutcome> {
  try {
    return await db.transaction().execute((trx) => activate(trx, ctx, config, input, offline));
  } catch (err) {
    if (err instanceof HostTaken) throw await hostTakenError(db, err);
    const v = violationOf(err);
    if (v?.kind === "unique" && (v.table === "fulfillment_hosts" || v.constraint === "fulfillment_hosts_one_active"))
      throw errors.hostLicensed(`A host in this request already holds an active license for line item ${input.activationId}.`);
    if (offline && isUniqueViolation(err) && (v?.columns.includes("request_nonce") || v?.constraint?.includes("nonce"))) {
      // The same file uploaded twice at once: the other upload made the license.
      const existing = await findFulfillmentByNonce(db, offline.nonce);
      if (existing) return sameRequest(db, ctx, existing);
    }
    throw err;
  }
}

async function hostTakenError(db: Db, e: HostTaken) {
  const held = await activeHostOf(
    db,
    e.lineItemPk,
    e.hosts.map((h) => ({ type: h.type, normalized: h.id })),
  );
  return errors.hostLicensed(
    held
      ? `Host ${held.host_type} ${held.normalized} already holds an active license for line item ${e.activationId} (${held.fulfillment_id}); return or rehost that one first.`
      : `A host in this request already holds an active license for line item ${e.activationId}.`,
  );
}

async function activate(
  trx: Trx,
  ctx: RequestContext,
  config: SecretConfig,
  input: ActivateInput,
  offline: { nonce: string } | null,
): Promise<ActivationOutcome> {
  const target = await findActivationTarget(trx, input.activationId);
  if (!target) {
    if (await isBulkEntitlementId(trx, input.activationId))
      throw errors.validation(
        "activationId",
        `'${input.activationId}' is a bulk entitlement's ID: no license is ever generated from it; redeem one of its keys and activate the line item it gives.`,
      );
    throw errors.notFound("Activation ID", input.activationId);
  }
  const ref = { ownerAccountIds: await ownerAccountIds(trx, target.entitlement_pk) };
  if (!can(ctx.actor, "fulfillment.read", ref)) throw errors.notFound("Activation ID", input.activationId);
  authorize(ctx.actor, "fulfillment.activate", ref);
  const override = input.overridePolicy === true;
  const reason = input.reason?.trim() || null;
  if (override) {
    if (!can(ctx.actor, "fulfillment.overridePolicy"))
      throw errors.forbidden("Only producer admins and operations may override a license model's policy.");
    if (!reason) throw errors.validation("reason", "is required to override the policy: say why (it is audited)");
  }
  const item = activationItem(target);
  const stateProblem = activationStateProblem(item);
  if (stateProblem) throw errors.invalidState(stateProblem, "activationId");
  const modelType = target.lm_type as string;

  const normalized = normalizeHosts(input.hosts);
  if ("problems" in normalized) throw errors.validationMany(normalized.problems);
  const hosts = normalized.hosts;
  const hostProblem = hostCountProblem(modelType, hosts.length);
  if (hostProblem) throw errors.validation("hosts", hostProblem);
  const count = resolveCount(modelType, hosts.length, input.count);
  if (typeof count !== "number") throw errors.validation(count.field, count.message);
  const attrs = resolveAttributes(parseAttributes(target.lm_attributes ?? "[]"), input.attributes);
  if ("problems" in attrs) throw errors.validationMany(attrs.problems);
  const day = today();
  const dates = resolveDates(item, { startDate: input.startDate, versionDate: input.versionDate }, day);
  if ("field" in dates) {
    if (dates.closed) throw errors.invalidState(dates.message, dates.field);
    throw errors.validation(dates.field, dates.message);
  }
  let start = dates.start;
  let startWritten: string | null = null;
  if (dates.writeBack) {
    // The first activation sets the line item's start date; a concurrent first activation may have won.
    const r = await trx
      .updateTable("line_items")
      .set({ start_date: dates.writeBack })
      .where("id", "=", target.id)
      .where("start_date", "is", null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) {
      const now = await trx.selectFrom("line_items").select("start_date").where("id", "=", target.id).executeTakeFirstOrThrow();
      if (input.startDate !== undefined && input.startDate !== now.start_date)
        throw errors.validation("startDate", `must be absent or ${now.start_date}: it was set at the first activation`);
      const again = resolveDates({ ...item, startDate: now.start_date }, { versionDate: input.versionDate }, day);
      if ("field" in again) throw errors.validation(again.field, again.message);
      start = again.start;
      Object.assign(dates, again);
    } else startWritten = dates.writeBack;
  }

  // The copies: one conditional UPDATE, so concurrent activations never take more than there are.
  const took = await trx
    .updateTable("line_items")
    .set((eb) => ({ fulfilled_count: eb("fulfilled_count", "+", count) }))
    .where("id", "=", target.id)
    .where((eb) => eb(eb("fulfilled_count", "+", count), "<=", eb.ref("number_of_copies")))
    .where("state", "in", ["DEPLOYED", "TEST"])
    .executeTakeFirst();
  // Only when the copies ran out: the rest may be taken as extra activations (never on the plain path).
  const extra = Number(took.numUpdatedRows) === 0 ? await takeExtra(trx, ctx, target, count, override) : null;

  const product = await productOfLineItem(trx, target.id);
  if (!product) throw errors.invalidState(`Line item ${target.activation_id} names no product.`, "activationId");
  const shipToEmail = input.shipToEmail ?? target.entitlement_ship_to_email;
  let issued: Awaited<ReturnType<typeof issueLicense>>;
  try {
    issued = await issueLicense(trx, ctx, config, {
      lineItemPk: target.id,
      entitlementPk: target.entitlement_pk,
      entitlementId: target.entitlement_public_id,
      activationId: target.activation_id as string,
      product: { name: product.name, version: product.version },
      features: product.features,
      licenseModel: {
        id: target.license_model_id as string,
        name: target.lm_name as string,
        type: modelType,
        technology: target.lm_technology as string,
      },
      hosts,
      count,
      overdraft: extra?.copies ?? 0,
      start,
      expiry: dates.expiry,
      versionDate: dates.versionDate,
      attributes: attrs.values,
      type: "MASTER",
      source: offline ? "OFFLINE_REQUEST" : "ONLINE",
      parentId: null,
      reason,
      overridden: extra?.overridden ?? false,
      nonce: offline?.nonce ?? null,
      shipToEmail,
      shipToAddress: input.shipToAddress ?? target.entitlement_ship_to_address,
      // FNO sends the license to the ship-to list; `sendEmail: false` keeps it to the download.
      sendEmail: input.sendEmail ?? Boolean(shipToEmail),
    });
  } catch (err) {
    const v = violationOf(err);
    if (v?.kind === "unique" && (v.table === "fulfillment_hosts" || v.constraint === "fulfillment_hosts_one_active"))
      throw new HostTaken(target.id, hosts, target.activation_id as string);
    throw err;
  }
  const row = issued.row;
  if (extra && extra.copies > 0) {
    // Counted against the policy's window by the next activation that runs short.
    await trx
      .insertInto("fulfillment_actions")
      .values({
        id: newId(),
        line_item_id: target.id,
        fulfillment_id: row.id,
        action: "EXTRA_ACTIVATION",
        at: row.fulfilled_at,
        overridden: extra.overridden ? 1 : 0,
        reason,
        copies: extra.copies,
      })
      .execute();
  }
  await recordAudit(trx, ctx, {
    action: "fulfillment.created",
    objectType: "fulfillment",
    objectId: row.fulfillment_id,
    after: { ...auditedFulfillment(row), ...(startWritten ? { lineItemStartDateSet: startWritten } : {}) },
  });
  await emitFulfillment(trx, ctx, "fulfillment.created", row.id);
  const li = await trx
    .selectFrom("line_items")
    .select(["state", "number_of_copies", "fulfilled_count"])
    .where("id", "=", target.id)
    .executeTakeFirstOrThrow();
  const record = (await findFulfillmentByPk(trx, row.id)) as FulfillmentRecord;
  return {
    record,
    availableCount: availableOf(li, target.entitlement_state),
    created: true,
    emailMessageId: issued.emailMessageId,
  };
}

/**
 * The copies ran out (the plain conditional UPDATE took no row): take what is left, and the missing
 * copies as extra activations when the license model's policy leaves them over its window (or a
 * producer admin/operations overrides it). The line item row is taken first, as support actions
 * do, so concurrent activations count the window's extra activations one after the other; then
 * one conditional UPDATE moves the counters. With no extra activations allowed and no override,
 * it refuses as before, without taking the row.
 */
async function takeExtra(
  trx: Trx,
  ctx: RequestContext,
  target: ActivationTarget,
  count: number,
  override: boolean,
): Promise<{ copies: number; overridden: boolean }> {
  const policies = parsePolicies(target.lm_policies ?? "{}");
  const allowed = policies.allowedExtraActivations;
  if (allowed !== 0 || override) {
    await trx
      .updateTable("line_items")
      .set((eb) => ({ fulfilled_count: eb.ref("fulfilled_count") }))
      .where("id", "=", target.id)
      .execute();
  }
  const now = await trx
    .selectFrom("line_items")
    .select(["state", "number_of_copies", "fulfilled_count", "overdraft_count"])
    .where("id", "=", target.id)
    .executeTakeFirstOrThrow();
  if (!["DEPLOYED", "TEST"].includes(now.state))
    throw errors.invalidState(
      `Line item ${target.activation_id} is ${now.state}: no license can be generated from it.`,
      "activationId",
    );
  const available = Math.max(0, now.number_of_copies - now.fulfilled_count);
  if (allowed === 0 && !override) throw errors.notEnoughCopies(copiesProblem(available, now.number_of_copies, count));
  const missing = Math.max(0, count - available);
  let overridden = false;
  if (missing > 0) {
    const used = (await supportActionsSince(trx, target.id, windowStart(new Date(), policies.window))).EXTRA_ACTIVATION;
    const problem = extraActivationProblem(available, now.number_of_copies, count, used?.copies ?? 0, allowed, policies.window);
    if (problem && !override)
      throw errors.notEnoughCopies(
        can(ctx.actor, "fulfillment.overridePolicy")
          ? `${problem} A producer admin or operations user may override the policy with a reason.`
          : problem,
      );
    overridden = problem !== null;
  }
  const took = await trx
    .updateTable("line_items")
    .set((eb) => ({
      fulfilled_count: eb("fulfilled_count", "+", count - missing),
      overdraft_count: eb("overdraft_count", "+", missing),
    }))
    .where("id", "=", target.id)
    .where("fulfilled_count", "=", now.fulfilled_count)
    .where("overdraft_count", "=", now.overdraft_count)
    .where("state", "in", ["DEPLOYED", "TEST"])
    .executeTakeFirst();
  if (Number(took.numUpdatedRows) === 0)
    throw errors.conflict(`Line item ${target.activation_id} changed during this activation; try again.`);
  return { copies: missing, overridden };
}

/** An offline request already uploaded: the same caller gets its fulfillment back; anyone else is refused. */
async function sameRequest(db: Db, ctx: RequestContext, existing: FulfillmentRecord): Promise<ActivationOutcome> {
  if (existing.fulfilled_by_user_id !== callerKey(ctx))
    throw errors.conflict(
      "This activation request file was already uploaded by someone else; write a new request on the machine.",
      "request",
    );
  const li = await db
    .selectFrom("line_items as li")
    .innerJoin("entitlements as e", "e.id", "li.entitlement_id")
    .select(["li.state", "li.number_of_copies", "li.fulfilled_count", "e.state as entitlement_state"])
    .where("li.id", "=", existing.line_item_id)
    .executeTakeFirstOrThrow();
  return { record: existing, availableCount: availableOf(li, li.entitlement_state), created: false, emailMessageId: null };
}

/**
 * An offline activation request file (docs/LICENSE-FORMAT.md §8) uploaded: read (a bad file is
 * refused naming the member), then activated like an online request. The same file uploaded again
 * by the same caller gives the same fulfillment (its nonce is unique), not a second license.
 */
export async function offlineActivator(
  db: Db,
  ctx: RequestContext,
  config: SecretConfig,
  body: OfflineActivateBody,
): Promise<ActivationOutcome> {
  let request: ReturnType<typeof readActivationRequest>;
  try {
    request = readActivationRequest(body.request);
  } catch (err) {
    if (err instanceof ActivationRequestError)
      throw errors.validation(`request.${err.field}`, err.message.replace(/^[^:]*: /, ""));
    throw err;
  }
  const existing = await findFulfillmentByNonce(db, request.nonce);
  if (existing) return sameRequest(db, ctx, existing);
  const { request: _file, ...rest } = body;
  return fulfillmentActivator(
    db,
    ctx,
    config,
    { ...rest, activationId: request.activationId, hosts: request.hosts },
    {
      nonce: request.nonce,
    },
  );
}
