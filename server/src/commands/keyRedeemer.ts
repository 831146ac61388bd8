import type { RedeemBody } from "../../../common/src/api/redemptions.js";
import { TIER_END_CUSTOMER } from "../../../common/src/enums.js";
import type { EmailTemplate } from "../../../common/src/rules/emailTemplates.js";
import { isKeyRedeemable } from "../../../common/src/rules/keys.js";
import { actorLabel, isProducerStaff, type RequestContext } from "../actor.js";
import { auditRows } from "../audit.js";
import { isUniqueViolation } from "../db/constraints.js";
import type { SyncRunner } from "../db/groupCommit.js";
import { recentTemplate } from "../db/repos/email.js";
import type { EntitlementRecord, LineItemFull, PartnerRow } from "../db/repos/entitlements.js";
import { eventRows as domainEventRows } from "../db/repos/events.js";
import { REDEEMED_SHARDS } from "../db/repos/keys.js";
import {
  type RedemptionSnapshot,
  type RedemptionWrites,
  redemptionSnapshot,
  redemptionSnapshotIn,
  type WithClaim,
  writeRedemption,
  writeRedemptionIn,
} from "../db/repos/redemption.js";
import { recentSettings } from "../db/repos/settings.js";
import type { Db, EntitlementRow, Trx } from "../db/schema.js";
import { generateId, type IdTemplate } from "../domain/idTemplates.js";
import { canonicalKey, checkTypedKey, DEFAULT_KEY_FORMAT, type KeyFormat } from "../domain/keyFormat.js";
import { maskKey } from "../domain/keys.js";
import { DEFAULT_REDEEMED_ID_TEMPLATE, redeemedEntitlement } from "../domain/redemption.js";
import { AppError, errors } from "../errors.js";
import { certificateDataOf } from "../mail/certificate.js";
import { certificateEmail, emailRow } from "../mail/outbox.js";
import { authorize } from "../policies/index.js";
import { entitlementEvent, keyRedeemedEvent } from "../presenters/events.js";
import { newId, nowIso } from "../util.js";
import { entitlementRecord, eventRows } from "./entitlementSupport.js";

/** The request body, as the route validated it (common/src/api/redemptions.ts). */
export type RedeemInput = RedeemBody;

/** The one refusal for an unknown key and for a key redeemed by someone else: nothing leaks. */
const notValid = () =>
  new AppError(
    404,
    "not_found",
    "Key not valid",
    "This key is not valid, or it has already been registered by someone else. Check it and try again.",
    "key",
  );

/** A claim that could not be made for a reason the customer cannot act on: another try will do. */
const tryAgain = () => errors.conflict("This key could not be registered just now. Try again.", "key");

/**
 * The key's identity, canonicalKey() (PRODUCT.md §3: case, spaces and dashes ignored), after the
 * check symbol of a key in the generated shape was verified — a typo is refused before any lookup.
 */
export function normaliseKey(raw: string, format: KeyFormat = DEFAULT_KEY_FORMAT): string {
  const typed = checkTypedKey(raw, format);
  if (typed.kind === "typo") throw errors.validation("key", typed.message);
  const key = canonicalKey(raw.trim());
  if (key === "") throw errors.validation("key", "is required");
  return key;
}

/**
 * Redeems a web register key (PRODUCT.md §3 "Redemption"): exactly one simple entitlement, ID from
 * the template in Settings (default `{key}ENT`), one line item whose activation ID is the key and which copies
 * the bulk configuration, DEPLOYED (TEST under a test bulk), Sold To as End Customer and current
 * owner, the distributor kept in the Distributor tier. The key is claimed with a conditional
 * UPDATE, so concurrent redemptions produce one entitlement whatever the timing; the same account
 * redeeming again gets the same entitlement.
 *
 * The claim and the writes are atomic on their own (one statement on PostgreSQL, a transaction on
 * SQLite), so no transaction is opened here: that saves two round trips per redemption.
 */
export async function keyRedeemer(
  db: Db,
  ctx: RequestContext,
  input: RedeemInput,
  withClaim?: WithClaim,
): Promise<{ entitlement: EntitlementRecord; created: boolean }> {
  const settings = await recentSettings(db);
  const r = await redeem(db, ctx, { ...redeemArgs(ctx, input, settings), withClaim });
  return { entitlement: r.entitlement ?? (await entitlementRecord(db, r.pk)), created: r.created };
}

/**
 * keyRedeemer() as one unit of SQLite's group commit, for the caller to run after its own
 * statements in that unit (the redemption guard's admission: commands/redemptionAttempt.ts): the
 * checks, the read, the claim and the writes in one go, synchronously, so a redemption waits for
 * one commit. What may be read beforehand is: Settings and the certificate template (cached, and
 * nothing about the key). `finish` reads back an entitlement redeemed before.
 */
export async function keyRedemptionUnit(
  db: Db,
  ctx: RequestContext,
  input: RedeemInput,
): Promise<{
  work: (runner: SyncRunner) => Redeemed;
  finish: (r: Redeemed) => Promise<{ entitlement: EntitlementRecord; created: boolean }>;
}> {
  const settings = await recentSettings(db);
  const mailed = certificateRecipients(ctx, input.owner ?? null).length > 0;
  const template = mailed ? await recentTemplate(db, "entitlementCertificate") : null;
  return {
    work: (runner) => {
      const given = redeemArgs(ctx, input, settings);
      const args = { ...given, idTemplate: given.redeemedIdTemplate ?? DEFAULT_REDEEMED_ID_TEMPLATE };
      const snap = redemptionSnapshotIn(runner, db, args.key, args.soldTo, args.idTemplate);
      const planned = planFromSnapshot(ctx, snap, args, template);
      if (!("writes" in planned)) return planned;
      // The read and the claim are in the same unit, on the connection it holds: nothing can take
      // the key in between, so a failed claim or a clash (a row written behind the application's
      // back) is no race to read again for. The unit's savepoint takes back what was written.
      let claimed = false;
      try {
        claimed = writeRedemptionIn(runner, db, planned.writes);
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
      if (!claimed) throw tryAgain();
      return { pk: planned.pk, created: true, entitlement: planned.redeemed };
    },
    finish: async (r) => ({ entitlement: r.entitlement ?? (await entitlementRecord(db, r.pk)), created: r.created }),
  };
}

/** The checks before any lookup (the key's check symbol, Sold To, the policy) and the redemption's arguments. */
function redeemArgs(ctx: RequestContext, input: RedeemInput, settings: Awaited<ReturnType<typeof recentSettings>>): RedeemArgs {
  // The check symbol is verified before the key is looked up anywhere.
  const key = normaliseKey(input.key, settings.keyFormat);
  const soldTo = resolveSoldTo(ctx, input.soldTo ?? null);
  authorize(ctx.actor, "keys.redeem", { soldTo });
  return {
    key,
    soldTo,
    owner: input.owner ?? null,
    template: settings.idTemplates.entitlement,
    redeemedIdTemplate: settings.redeemedEntitlementIdTemplate,
    notify: certificateRecipients(ctx, input.owner ?? null),
  };
}

type Snapshot = Awaited<ReturnType<typeof redemptionSnapshot>>;

export interface Redeemed {
  pk: string;
  created: boolean;
  /** The new entitlement as it was written (null when the key had been redeemed before: read it back). */
  entitlement: EntitlementRecord | null;
}

interface RedeemArgs {
  /** The canonical form (normaliseKey()). */
  key: string;
  soldTo: string;
  owner: string | null;
  /** The generated-ID template, for when the redeemed entitlement's own ID is taken. */
  template: IdTemplate;
  /** The redeemed entitlement's ID template from Settings (default `{key}ENT`). */
  redeemedIdTemplate?: string;
  /** Who gets the entitlement certificate (none: no email, nothing more written). */
  notify?: string[];
  /** The caller's statements to commit with the claim, where the database allows (WithClaim). */
  withClaim?: WithClaim | undefined;
}

const EMAIL_LIKE = /^[^@\s<>",;]+@[^@\s<>",;]+$/;

/**
 * The certificate of a redemption goes to the portal user who redeemed; a producer redeeming
 * through the API sends it to the Owner when the Owner is an email address, else to nobody.
 */
export function certificateRecipients(ctx: RequestContext, owner: string | null): string[] {
  if (isProducerStaff(ctx.actor)) return owner && EMAIL_LIKE.test(owner.trim()) ? [owner.trim()] : [];
  return ctx.actor.email && EMAIL_LIKE.test(ctx.actor.email) ? [ctx.actor.email] : [];
}

/** The redemption inside the caller's transaction (self-registration creates the account in the same one). */
export function redeemWithin(trx: Trx, ctx: RequestContext, args: RedeemArgs): Promise<Redeemed> {
  return redeem(trx, ctx, args);
}

/**
 * One read of everything needed, the refusals decided from it, then the writes. If the claim is
 * lost to a concurrent redemption, a fresh read decides the answer (same account: its
 * entitlement; anyone else: the same refusal as an unknown key).
 */
async function redeem(db: Db | Trx, ctx: RequestContext, args: RedeemArgs, attempt = 1): Promise<Redeemed> {
  const { soldTo } = args;
  const idTemplate = args.redeemedIdTemplate ?? DEFAULT_REDEEMED_ID_TEMPLATE;
  const snap = await redemptionSnapshot(db, args.key, soldTo, idTemplate);
  // The certificate is rendered from the plan (no read) with the template as read within the last second.
  const template = args.notify?.length ? await recentTemplate(db, "entitlementCertificate") : null;
  const planned = planFromSnapshot(ctx, snap, { ...args, idTemplate }, template);
  if (!("writes" in planned)) return planned;
  const { pk, writes, redeemed } = planned;
  writes.withClaim = args.withClaim;
  const claimed = await writeRedemption(db, writes);
  if (!claimed) {
    const now2 = openForRedemption(await redemptionSnapshot(db, args.key, soldTo, idTemplate), soldTo);
    if ("pk" in now2) return now2;
    // Split to another bulk entitlement since the first read (still unredeemed): once more from there.
    if (attempt < 3 && now2.keyRow.bulk_id !== writes.bulkPk) return redeem(db, ctx, args, attempt + 1);
    throw tryAgain();
  }
  return { pk, created: true, entitlement: redeemed };
}

/**
 * From the snapshot: the refusal (thrown), the entitlement this account redeemed the key into
 * before, or everything the redemption writes (with the certificate when `template` is given).
 */
function planFromSnapshot(
  ctx: RequestContext,
  snap: Snapshot,
  args: RedeemArgs & { idTemplate: string },
  template: EmailTemplate | null,
): Redeemed | { pk: string; redeemed: EntitlementRecord; writes: RedemptionWrites } {
  const { soldTo } = args;
  if (!snap.account || snap.account.type === "PUBLISHER")
    throw errors.validation("soldTo", `account '${soldTo}' does not exist or cannot hold entitlements`);
  const open = openForRedemption(snap, soldTo);
  if ("pk" in open) return open;
  const { pk, plan, redeemed, writes } = planRedemption(ctx, snap.account, snap, open, args);
  if (template && args.notify?.length) {
    const data = certificateDataOf(plan.entitlement.entitlement_id, plan.partners, [plan.lineItem]);
    writes.email = emailRow(ctx, certificateEmail(template, data, args.notify, pk));
  }
  return { pk, redeemed, writes };
}

/** A key open for redemption, as openForRedemption() found it. */
export interface OpenKey {
  keyRow: RedemptionSnapshot["key"];
  bulk: RedemptionSnapshot["bulk"];
  config: LineItemFull;
}

/**
 * Everything one redemption writes, planned from the snapshot in which the key was open: the
 * claim, the redeemed entitlement with its partners, line item and products, the history and the
 * audit events. Exported so the claim's guard is tested against the writes the real code plans.
 */
export function planRedemption(
  ctx: RequestContext,
  account: NonNullable<Snapshot["account"]>,
  snap: Pick<Snapshot, "distributor" | "defaultIdTaken">,
  open: OpenKey,
  args: RedeemArgs & { idTemplate: string },
): {
  pk: string;
  plan: ReturnType<typeof redeemedEntitlement<PartnerRow, LineItemFull>>;
  redeemed: EntitlementRecord;
  writes: RedemptionWrites;
} {
  const { soldTo, idTemplate } = args;
  const { bulk, config, keyRow } = open;
  // The key as loaded (and shown), not as typed: it becomes the activation ID and the default ID.
  const key = keyRow.key;
  const now = nowIso();
  const pk = newId();
  const plan = redeemedEntitlement({
    key,
    pk,
    lineItemId: newId(),
    now,
    actor: ctx.actor,
    bulk,
    config,
    bulkPartners: snap.distributor ? [snap.distributor] : [],
    idTemplate,
    endCustomer: {
      tier: TIER_END_CUSTOMER,
      tier_display_name: account.tier_display_name ?? TIER_END_CUSTOMER,
      tier_rank: account.tier_rank ?? 0,
      account_id: soldTo,
      account_name: account.name,
      contact_user_id: null,
      contact_email: null,
      current_owner: 1,
    },
  });
  // FNO's default entitlement ID for a redeemed key is the key followed by ENT (the template in
  // Settings); if someone took that ID by hand, fall back to a generated one rather than refuse
  // the customer.
  if (snap.defaultIdTaken || plan.entitlement.entitlement_id.length > 255)
    plan.entitlement.entitlement_id = generateId(args.template, { kind: "SIMPLE", orderId: bulk.order_id });
  const { products, part_id: _p, license_model_name: _l, ...lineItem } = plan.lineItem;
  const masked = maskKey(key);
  const label = actorLabel(ctx.actor);
  const redeemed: EntitlementRecord = {
    row: { ...(plan.entitlement as EntitlementRow), key_count: 0, redeemed_count: 0 },
    partners: plan.partners,
    lineItems: [plan.lineItem],
  };
  const writes: RedemptionWrites = {
    key: args.key,
    bulkPk: bulk.id,
    shard: keyRow.id % REDEEMED_SHARDS,
    claim: {
      redeemed_at: now,
      redeemed_by: ctx.actor.userId,
      redeemed_by_label: label,
      sold_to: soldTo,
      owner: args.owner,
      entitlement_id: pk,
    },
    entitlement: plan.entitlement,
    partners: plan.partners.map((p) => ({
      entitlement_id: pk,
      tier: p.tier,
      account_id: p.account_id,
      contact_user_id: p.contact_user_id,
      current_owner: p.current_owner,
    })),
    lineItem,
    products: products.map((p, position) => ({
      line_item_id: lineItem.id,
      product_id: p.product_id,
      quantity: p.quantity,
      position,
    })),
    events: eventRows(ctx, [
      {
        entitlementPk: pk,
        event: "EVENT_CREATED",
        description: `Created by redeeming key ${masked} of bulk entitlement ${bulk.entitlement_id}`,
      },
      { entitlementPk: bulk.id, event: "EVENT_PROPERTY_CHANGED", description: `Key ${masked} redeemed by ${soldTo}` },
    ]),
    // The domain events (issue 17), built from the plan (no read) and written by the same statement
    // or group-commit unit as the claim: they exist exactly when the redemption does.
    domainEvents: domainEventRows(ctx, [
      keyRedeemedEvent({
        key,
        bulk,
        entitlement: { id: pk, entitlement_id: plan.entitlement.entitlement_id },
        activationIds: [lineItem.activation_id ?? ""],
        customer: { id: soldTo, name: account.name },
        owner: args.owner,
      }),
      entitlementEvent("entitlement.created", redeemed, { via: "key.redeemed" }),
    ]),
    audits: auditRows(ctx, [
      {
        action: "entitlement.created",
        objectType: "entitlement",
        objectId: pk,
        after: {
          entitlementId: plan.entitlement.entitlement_id,
          parentBulk: bulk.entitlement_id,
          soldTo,
          state: plan.entitlement.state,
        },
      },
      { action: "key.redeemed", objectType: "entitlement", objectId: bulk.id, after: { key: masked, soldTo, entitlement: pk } },
    ]),
  };
  return { pk, plan, redeemed, writes };
}

/**
 * The key's bulk entitlement and configuration when it can be redeemed now; the existing
 * entitlement when this account redeemed it before; otherwise the refusal, with a reason where
 * one may be given (an unknown key and someone else's key get the same answer).
 */
export function openForRedemption(snap: Snapshot, soldTo: string): Redeemed | OpenKey {
  const k = snap.key;
  if (!k || !snap.bulk) throw notValid();
  if (k.status === "REDEEMED") {
    if (k.sold_to === soldTo && k.entitlement_id) return { pk: k.entitlement_id, created: false, entitlement: null };
    throw notValid();
  }
  const state = snap.bulk.state;
  if (!isKeyRedeemable(state))
    throw errors.invalidState(
      state === "DRAFT"
        ? "This key cannot be registered yet: its product is not released. Try again later or contact your supplier."
        : `This key can no longer be registered: the offer it belongs to is ${state === "INACTIVE" ? "suspended" : "withdrawn"}. Contact your supplier.`,
      "key",
    );
  if (!snap.config)
    throw errors.invalidState(
      "This key cannot be registered: its offer has no product configured. Contact your supplier.",
      "key",
    );
  return { keyRow: k, bulk: snap.bulk, config: snap.config };
}

/** Sold To: required; a portal user redeems for its own account (its only one, by default). */
function resolveSoldTo(ctx: RequestContext, given: string | null): string {
  const a = ctx.actor;
  if (isProducerStaff(a)) {
    if (!given) throw errors.validation("soldTo", "is required: the account the key is registered to");
    return given;
  }
  const own = [...new Set(a.memberships.map((m) => m.accountId))];
  if (given) return given;
  if (own.length !== 1)
    throw errors.validation(
      "soldTo",
      own.length === 0 ? "you belong to no account" : `choose one of your accounts: ${own.join(", ")}`,
    );
  return own[0] as string;
}
