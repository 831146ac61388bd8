import { TIER_DISTRIBUTOR, TIER_END_CUSTOMER } from "../../../common/src/enums.js";
import { actorLabel, isProducerStaff, type RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { loadSettings } from "../db/repos/settings.js";
import type { Db, Trx } from "../db/schema.js";
import { generateId } from "../domain/idTemplates.js";
import { checkTypedKey, DEFAULT_KEY_FORMAT, type KeyFormat } from "../domain/keyFormat.js";
import { maskKey } from "../domain/keys.js";
import { AppError, errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import type { EntitlementJson } from "../presenters/entitlements.js";
import { newId, nowIso } from "../util.js";
import { entitlementJson, recordEvent } from "./entitlementSupport.js";

export interface RedeemInput {
  key: string;
  /** The company that used the key; a portal user's own account by default. */
  soldTo?: string | null;
  /** The person, free text (optional). */
  owner?: string | null;
}

/** The one refusal for an unknown key and for a key redeemed by someone else: nothing leaks. */
const notValid = () =>
  new AppError(
    404,
    "not_found",
    "Key not valid",
    "This key is not valid, or it has already been registered by someone else. Check it and try again.",
    "key",
  );

/** The key as stored: a generated key's canonical form (typo-checked first), anything else as typed. */
export function normaliseKey(raw: string, format: KeyFormat = DEFAULT_KEY_FORMAT): string {
  const typed = checkTypedKey(raw, format);
  if (typed.kind === "typo") throw errors.validation("key", typed.message);
  const key = typed.kind === "generated" ? typed.canonical : typed.value;
  if (key === "") throw errors.validation("key", "is required");
  return key;
}

/**
 * Redeems a web register key (PRODUCT.md §3 "Redemption"): exactly one simple entitlement, ID from
 * the template (default `{key}ENT`), one line item whose activation ID is the key and which copies
 * the bulk configuration, DEPLOYED (TEST under a test bulk), Sold To as End Customer and current
 * owner, the distributor kept in the Distributor tier. The key is claimed with a conditional
 * UPDATE, so concurrent redemptions produce one entitlement whatever the timing; the same account
 * redeeming again gets the same entitlement.
 */
export async function keyRedeemer(
  db: Db,
  ctx: RequestContext,
  input: RedeemInput,
): Promise<{ entitlement: EntitlementJson; created: boolean }> {
  const settings = await loadSettings(db);
  // The check symbol is verified before the key is looked up anywhere.
  const key = normaliseKey(input.key, settings.keyFormat);
  const soldTo = resolveSoldTo(ctx, input.soldTo ?? null);
  authorize(ctx.actor, "keys.redeem", { soldTo });
  const result = await db
    .transaction()
    .execute((trx) =>
      redeemWithin(trx, ctx, { key, soldTo, owner: input.owner ?? null, template: settings.idTemplates.entitlement }),
    );
  return { entitlement: await entitlementJson(db, result.pk), created: result.created };
}

/** The redemption itself, inside the caller's transaction (self-registration creates the account in the same one). */
export async function redeemWithin(
  trx: Trx,
  ctx: RequestContext,
  args: { key: string; soldTo: string; owner: string | null; template: Parameters<typeof generateId>[0] },
): Promise<{ pk: string; created: boolean }> {
  const { key, soldTo } = args;
  const input = { owner: args.owner };
  const settings = { idTemplates: { entitlement: args.template } };
  const acc = await trx.selectFrom("accounts").select(["id", "type"]).where("id", "=", soldTo).executeTakeFirst();
  if (!acc || acc.type === "PUBLISHER")
    throw errors.validation("soldTo", `account '${soldTo}' does not exist or cannot hold entitlements`);
  const row = await trx
    .selectFrom("web_register_keys as k")
    .innerJoin("entitlements as b", "b.id", "k.bulk_id")
    .select([
      "k.id",
      "k.status",
      "k.sold_to",
      "k.entitlement_id",
      "k.bulk_id",
      "b.state as bulk_state",
      "b.entitlement_id as bulk_eid",
    ])
    .where("k.key", "=", key)
    .executeTakeFirst();
  if (!row) throw notValid();
  if (row.status === "REDEEMED") return sameOwnerOrRefuse(row.sold_to, row.entitlement_id, soldTo);
  if (row.bulk_state !== "DEPLOYED" && row.bulk_state !== "TEST") {
    throw errors.invalidState(
      row.bulk_state === "DRAFT"
        ? "This key cannot be registered yet: its product is not released. Try again later or contact your supplier."
        : `This key can no longer be registered: the offer it belongs to is ${row.bulk_state === "INACTIVE" ? "suspended" : "withdrawn"}. Contact your supplier.`,
      "key",
    );
  }
  const now = nowIso();
  const claimed = await trx
    .updateTable("web_register_keys")
    .set({
      status: "REDEEMED",
      redeemed_at: now,
      redeemed_by: ctx.actor.userId,
      redeemed_by_label: actorLabel(ctx.actor),
      sold_to: soldTo,
      owner: input.owner ?? null,
    })
    .where("id", "=", row.id)
    .where("status", "=", "UNREDEEMED")
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) {
    // Someone redeemed it between our read and our update; their transaction has committed.
    const now2 = await trx
      .selectFrom("web_register_keys")
      .select(["sold_to", "entitlement_id"])
      .where("id", "=", row.id)
      .executeTakeFirstOrThrow();
    return sameOwnerOrRefuse(now2.sold_to, now2.entitlement_id, soldTo);
  }
  const pk = await createRedeemedEntitlement(trx, ctx, {
    key,
    bulkPk: row.bulk_id,
    soldTo,
    test: row.bulk_state === "TEST",
    template: settings.idTemplates.entitlement,
    now,
  });
  await trx.updateTable("web_register_keys").set({ entitlement_id: pk }).where("id", "=", row.id).execute();
  await trx
    .updateTable("entitlements")
    .set((eb) => ({ redeemed_count: eb("redeemed_count", "+", 1), updated_at: now }))
    .where("id", "=", row.bulk_id)
    .execute();
  await recordEvent(trx, ctx, row.bulk_id, "EVENT_PROPERTY_CHANGED", `Key ${maskKey(key)} redeemed by ${soldTo}`);
  await recordAudit(trx, ctx, {
    action: "key.redeemed",
    objectType: "entitlement",
    objectId: row.bulk_id,
    after: { key: maskKey(key), soldTo, entitlement: pk },
  });
  return { pk, created: true };
}

function sameOwnerOrRefuse(redeemedSoldTo: string | null, entitlementPk: string | null, soldTo: string) {
  if (redeemedSoldTo === soldTo && entitlementPk) return { pk: entitlementPk, created: false };
  throw notValid();
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

/** The simple entitlement a redeemed key becomes, copying the bulk entitlement's configuration. */
async function createRedeemedEntitlement(
  trx: Trx,
  ctx: RequestContext,
  a: { key: string; bulkPk: string; soldTo: string; test: boolean; template: Parameters<typeof generateId>[0]; now: string },
): Promise<string> {
  const bulk = await trx.selectFrom("entitlements").selectAll().where("id", "=", a.bulkPk).executeTakeFirstOrThrow();
  const config = await trx
    .selectFrom("line_items")
    .selectAll()
    .where("entitlement_id", "=", a.bulkPk)
    .where("role", "=", "BULK_CONFIG")
    .executeTakeFirst();
  if (!config)
    throw errors.invalidState(
      "This key cannot be registered: its offer has no product configured. Contact your supplier.",
      "key",
    );
  const distributor = await trx
    .selectFrom("entitlement_partners")
    .select("account_id")
    .where("entitlement_id", "=", a.bulkPk)
    .where("tier", "=", TIER_DISTRIBUTOR)
    .executeTakeFirst();
  // FNO's default entitlement ID for a redeemed key is the key followed by ENT; if someone took
  // that ID by hand, fall back to a generated one rather than refuse the customer.
  let entitlementId = `${a.key}ENT`;
  if (
    entitlementId.length > 255 ||
    (await trx.selectFrom("entitlements").select("id").where("entitlement_id", "=", entitlementId).executeTakeFirst())
  ) {
    entitlementId = generateId(a.template, { kind: "SIMPLE", orderId: bulk.order_id });
  }
  const pk = newId();
  const state = a.test ? "TEST" : "DEPLOYED";
  await trx
    .insertInto("entitlements")
    .values({
      id: pk,
      entitlement_id: entitlementId,
      id_generated: 0,
      kind: "SIMPLE",
      state,
      description: bulk.description,
      ship_to_email: null,
      ship_to_address: null,
      order_id: bulk.order_id,
      order_line_number: bulk.order_line_number,
      allow_portal_login: bulk.allow_portal_login,
      custom_attributes: bulk.custom_attributes,
      parent_bulk_id: a.bulkPk,
      created_by: ctx.actor.userId,
      created_by_label: actorLabel(ctx.actor),
      created_at: a.now,
      updated_by: ctx.actor.userId,
      updated_at: a.now,
    })
    .execute();
  const partners = [
    { entitlement_id: pk, tier: TIER_END_CUSTOMER, account_id: a.soldTo, contact_user_id: null, current_owner: 1 },
  ];
  if (distributor && distributor.account_id !== a.soldTo) {
    partners.push({
      entitlement_id: pk,
      tier: TIER_DISTRIBUTOR,
      account_id: distributor.account_id,
      contact_user_id: null,
      current_owner: 0,
    });
  }
  await trx.insertInto("entitlement_partners").values(partners).execute();
  const lineItemId = newId();
  const {
    id: _id,
    entitlement_id: _e,
    role: _r,
    activation_id: _a,
    state: _s,
    created_at: _c,
    updated_at: _u,
    fulfilled_count: _f,
    parent_line_item_id: _p,
    ...copied
  } = config;
  await trx
    .insertInto("line_items")
    .values({
      ...copied,
      id: lineItemId,
      entitlement_id: pk,
      role: "LINE_ITEM",
      position: 0,
      activation_id: a.key,
      id_generated: 0,
      state,
      fulfilled_count: 0,
      parent_line_item_id: null,
      created_at: a.now,
      updated_at: a.now,
    })
    .execute();
  const products = await trx.selectFrom("line_item_products").selectAll().where("line_item_id", "=", config.id).execute();
  if (products.length)
    await trx
      .insertInto("line_item_products")
      .values(products.map((p) => ({ ...p, line_item_id: lineItemId })))
      .execute();
  await recordEvent(
    trx,
    ctx,
    pk,
    "EVENT_CREATED",
    `Created by redeeming key ${maskKey(a.key)} of bulk entitlement ${bulk.entitlement_id}`,
  );
  await recordAudit(trx, ctx, {
    action: "entitlement.created",
    objectType: "entitlement",
    objectId: pk,
    after: { entitlementId, parentBulk: bulk.entitlement_id, soldTo: a.soldTo, state },
  });
  return pk;
}
