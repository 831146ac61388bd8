import type { HostId, RehostBody, RepairBody, ReturnBody } from "../../../common/src/api/fulfillments.js";
import type { EventType } from "../../../common/src/enums.js";
import {
  type AttributeValue,
  hostCountProblem,
  policyProblem,
  resolveAttributes,
  type SupportAction,
  supportStateProblem,
  windowStart,
} from "../../../common/src/rules/fulfillments.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { violationOf } from "../db/constraints.js";
import {
  activeHostOf,
  type FulfillmentRecord,
  findFulfillmentByPk,
  findLineItemTarget,
  supportActionsSince,
} from "../db/repos/fulfillments.js";
import type { Db, FulfillmentRow, Trx } from "../db/schema.js";
import { normalizeHosts } from "../domain/hosts.js";
import { errors } from "../errors.js";
import type { SecretConfig } from "../licensing/secret.js";
import { authorize, can } from "../policies/index.js";
import { parseAttributes, parsePolicies } from "../presenters/licenseModels.js";
import { newId } from "../util.js";
import { emitFulfillment } from "./domainEvents.js";
import { availableOf } from "./fulfillmentActivator.js";
import { auditedFulfillment, issueLicense } from "./fulfillmentIssue.js";
import { loadVisibleFulfillment } from "./fulfillmentReader.js";

export type SupportBody = ReturnBody | RehostBody | RepairBody;

export interface SupportOutcome {
  /** The fulfillment acted on, now RETURNED or OBSOLETE. */
  previous: FulfillmentRecord;
  /** The license issued in its place (rehost, repair, the rest of a partial return), or null. */
  issued: FulfillmentRecord | null;
  /** The email carrying the issued license, if one was queued. */
  emailMessageId: string | null;
  availableCount: number;
}

const AUDIT_ACTION: Record<SupportAction, string> = {
  RETURN: "fulfillment.returned",
  REHOST: "fulfillment.rehosted",
  REPAIR: "fulfillment.repaired",
};
const POLICY_KEY = { RETURN: "allowedReturns", REHOST: "allowedRehosts", REPAIR: "allowedRepairs" } as const;

class HostTaken extends Error {
  constructor(
    readonly lineItemPk: string,
    readonly hosts: HostId[],
  ) {
    super("host already licensed");
  }
}

/**
 * Return, rehost or repair a fulfillment (fno-notes §8): only an ACTIVE one, never while its line
 * item or entitlement is INACTIVE, within the license model's policy counted per line item over
 * its window (producer admins and operations may override it, with a reason). The line item row is
 * touched first, so concurrent support actions on one line item are counted one after the other.
 * The old fulfillment becomes RETURNED or OBSOLETE, its hosts free; a new license is signed where
 * one is due, with the old one as its parent; the action is recorded and audited in the same
 * transaction.
 */
export async function fulfillmentSupporter(
  db: Db,
  ctx: RequestContext,
  config: SecretConfig,
  fid: string,
  action: SupportAction,
  body: SupportBody,
): Promise<SupportOutcome> {
  try {
    return await db.transaction().execute((trx) => support(trx, ctx, config, fid, action, body));
  } catch (err) {
    if (err instanceof HostTaken) {
      const held = await activeHostOf(
        db,
        err.lineItemPk,
        err.hosts.map((h) => ({ type: h.type, normalized: h.id })),
      );
      throw errors.hostLicensed(
        held
          ? `Host ${held.host_type} ${held.normalized} already holds an active license for this line item (${held.fulfillment_id}).`
          : "A host in this request already holds an active license for this line item.",
      );
    }
    throw err;
  }
}

async function support(
  trx: Trx,
  ctx: RequestContext,
  config: SecretConfig,
  fid: string,
  action: SupportAction,
  body: SupportBody,
): Promise<SupportOutcome> {
  const { record, ref } = await loadVisibleFulfillment(trx, ctx, fid);
  authorize(ctx.actor, "fulfillment.support", ref);
  const override = body.overridePolicy === true;
  const reason = body.reason?.trim() || null;
  if (override) {
    if (!can(ctx.actor, "fulfillment.overridePolicy"))
      throw errors.forbidden("Only producer admins and operations may override a license model's policy.");
    if (!reason) throw errors.validation("reason", "is required to override the policy: say why (it is audited)");
  }

  // Serialize support actions on this line item: the first write takes its row.
  await trx
    .updateTable("line_items")
    .set((eb) => ({ fulfilled_count: eb.ref("fulfilled_count") }))
    .where("id", "=", record.line_item_id)
    .execute();
  const li = await findLineItemTarget(trx, record.line_item_id);
  if (!li) throw errors.notFound("Fulfillment", fid);
  const current = (await findFulfillmentByPk(trx, record.id)) as FulfillmentRecord;
  const stateProblem = supportStateProblem(
    action,
    { state: current.state, fulfillmentId: current.fulfillment_id },
    { state: li.state, entitlementState: li.entitlement_state, activationId: li.activation_id ?? "" },
  );
  if (stateProblem) throw errors.invalidState(stateProblem);

  // Validate the body before counting against the policy.
  const modelType = current.license_model_type;
  let returned = 0;
  let rest = 0;
  let hosts: HostId[] = JSON.parse(current.hosts);
  let attributes: Record<string, AttributeValue> = JSON.parse(current.attributes);
  if (action === "RETURN") {
    const b = body as ReturnBody;
    returned = b.count ?? current.count;
    if (returned > current.count)
      throw errors.validation("count", `must be at most ${current.count}, the copies of fulfillment ${current.fulfillment_id}`);
    rest = current.count - returned;
    if (rest > 0 && modelType === "NODE_LOCKED_UNCOUNTED")
      throw errors.validation(
        "count",
        "a NODE_LOCKED_UNCOUNTED license holds one copy per host: return all of it (or rehost it to fewer hosts)",
      );
  } else if (action === "REHOST") {
    const n = normalizeHosts((body as RehostBody).hosts);
    if ("problems" in n) throw errors.validationMany(n.problems);
    hosts = n.hosts;
    const p = hostCountProblem(modelType, hosts.length);
    if (p) throw errors.validation("hosts", p);
    if (modelType === "NODE_LOCKED_UNCOUNTED" && hosts.length !== current.count)
      throw errors.validation(
        "hosts",
        `must list ${current.count} host${current.count === 1 ? "" : "s"}: a NODE_LOCKED_UNCOUNTED license holds one copy per host`,
      );
  } else {
    const given = (body as RepairBody).attributes;
    const r = resolveAttributes(parseAttributes(li.lm_attributes ?? "[]"), { ...attributes, ...given });
    if ("problems" in r) {
      // Attributes the license model no longer defines are dropped on repair rather than refused.
      const defs = parseAttributes(li.lm_attributes ?? "[]").filter((d) => d.time === "FULFILLMENT");
      const kept = Object.fromEntries(Object.entries(attributes).filter(([k]) => defs.some((d) => d.name === k)));
      const again = resolveAttributes(parseAttributes(li.lm_attributes ?? "[]"), { ...kept, ...given });
      if ("problems" in again) throw errors.validationMany(again.problems);
      attributes = again.values;
    } else attributes = r.values;
  }

  // The policy, counted per line item over its window ending now.
  const policies = parsePolicies(li.lm_policies ?? "{}");
  const used = (await supportActionsSince(trx, li.id, windowStart(new Date(), policies.window)))[action];
  const limit = policyProblem(action, used?.used ?? 0, policies[POLICY_KEY[action]], policies.window, used?.oldestAt ?? null);
  if (limit && !override) {
    throw errors.policyLimit(
      can(ctx.actor, "fulfillment.overridePolicy")
        ? `${limit} A producer admin or operations user may override the policy with a reason.`
        : limit,
    );
  }
  const overridden = limit !== null && override;

  // The old license: RETURNED or OBSOLETE, its hosts free.
  const now = new Date().toISOString();
  const done = await trx
    .updateTable("fulfillments")
    .set({ state: action === "RETURN" ? "RETURNED" : "OBSOLETE", updated_at: now })
    .where("id", "=", current.id)
    .where("state", "=", "ACTIVE")
    .executeTakeFirst();
  if (Number(done.numUpdatedRows) === 0) throw errors.invalidState(`Fulfillment ${fid} is no longer ACTIVE.`);
  await trx.updateTable("fulfillment_hosts").set({ active: 0 }).where("fulfillment_id", "=", current.id).execute();
  // A return gives back the line item's extra activations first (its overdraft counter), then copies.
  const overdraftBack = Math.min(returned, li.overdraft_count);
  if (returned > 0) {
    await trx
      .updateTable("line_items")
      .set((eb) => ({
        fulfilled_count: eb("fulfilled_count", "-", returned - overdraftBack),
        overdraft_count: eb("overdraft_count", "-", overdraftBack),
      }))
      .where("id", "=", li.id)
      .execute();
  }

  let issued: FulfillmentRow | null = null;
  let emailMessageId: string | null = null;
  if (action !== "RETURN" || rest > 0) {
    try {
      ({ row: issued, emailMessageId } = await issueLicense(trx, ctx, config, {
        lineItemPk: current.line_item_id,
        entitlementPk: current.entitlement_pk,
        entitlementId: current.entitlement_id,
        activationId: current.activation_id,
        product: { name: current.product_name, version: current.product_version },
        features: JSON.parse(current.features),
        licenseModel: {
          id: current.license_model_id,
          name: current.license_model_name,
          type: current.license_model_type,
          technology: current.technology,
        },
        hosts,
        count: action === "RETURN" ? rest : current.count,
        // The returned copies leave the license's extra activations first.
        overdraft: action === "RETURN" ? Math.max(0, current.overdraft_count - returned) : current.overdraft_count,
        start: current.start_date,
        expiry: current.expiration_date,
        versionDate: current.version_date,
        attributes,
        type: action === "RETURN" ? "MASTER" : action,
        source: current.source,
        parentId: current.id,
        reason,
        overridden,
        nonce: null,
        shipToEmail: current.ship_to_email,
        shipToAddress: current.ship_to_address,
        sendEmail: "sendEmail" in body && body.sendEmail !== undefined ? body.sendEmail : current.send_email === 1,
      }));
    } catch (err) {
      const v = violationOf(err);
      if (v?.kind === "unique" && (v.table === "fulfillment_hosts" || v.constraint === "fulfillment_hosts_one_active"))
        throw new HostTaken(li.id, hosts);
      throw err;
    }
  }
  await trx
    .insertInto("fulfillment_actions")
    .values({
      id: newId(),
      line_item_id: li.id,
      fulfillment_id: current.id,
      action,
      at: now,
      overridden: overridden ? 1 : 0,
      reason,
    })
    .execute();
  const previous = (await findFulfillmentByPk(trx, current.id)) as FulfillmentRecord;
  await recordAudit(trx, ctx, {
    action: AUDIT_ACTION[action],
    objectType: "fulfillment",
    objectId: current.fulfillment_id,
    before: auditedFulfillment(current),
    after: {
      ...auditedFulfillment(previous),
      returnedCount: returned,
      ...(overdraftBack > 0 ? { extraActivationsReturned: overdraftBack } : {}),
      issued: issued ? auditedFulfillment(issued) : null,
      reason,
      policyOverridden: overridden,
    },
  });
  if (issued) {
    await recordAudit(trx, ctx, {
      action: "fulfillment.created",
      objectType: "fulfillment",
      objectId: issued.fulfillment_id,
      after: auditedFulfillment(issued),
    });
  }
  // The action on the license (its new state), then the license it issued in its place, if any.
  await emitFulfillment(trx, ctx, AUDIT_ACTION[action] as EventType, current.id, {
    returnedCount: returned,
    issuedFulfillmentId: issued ? issued.fulfillment_id : null,
    reason,
  });
  if (issued) await emitFulfillment(trx, ctx, "fulfillment.created", issued.id, { parentFulfillmentId: current.fulfillment_id });
  const after = await trx
    .selectFrom("line_items")
    .select(["state", "number_of_copies", "fulfilled_count"])
    .where("id", "=", li.id)
    .executeTakeFirstOrThrow();
  return {
    previous,
    issued: issued ? ((await findFulfillmentByPk(trx, issued.id)) as FulfillmentRecord) : null,
    availableCount: availableOf(after, li.entitlement_state),
    emailMessageId,
  };
}
