import { expect, it } from "vitest";
import { TIER_END_CUSTOMER } from "../../common/src/enums.js";
import { canonicalKey } from "../../common/src/keyCheck.js";
import { systemContext } from "../src/actor.js";
import { auditRows } from "../src/audit.js";
import { eventRows } from "../src/commands/entitlementSupport.js";
import { REDEEMED_SHARDS } from "../src/db/repos/keys.js";
import { type RedemptionWrites, redemptionSnapshot, writeRedemption } from "../src/db/repos/redemption.js";
import type { Db } from "../src/db/schema.js";
import { redeemedEntitlement } from "../src/domain/redemption.js";
import { newId, nowIso } from "../src/util.js";
import { catalogFixture } from "./entitlementFixtures.js";
import { type Caller, describeEachDb, type TestEnv } from "./helpers.js";

/**
 * The claim's `status = 'UNREDEEMED'` condition on its own. Concurrency tests cannot show it: a lost
 * race also collides on the redeemed entitlement's ID (`{key}ENT`) or on the key as activation ID,
 * and those unique constraints refuse the second entitlement whether or not the guard is there.
 * Here the writes are planned from a snapshot read before someone else redeemed the key, with an
 * entitlement ID and activation ID of their own, so nothing but the guard stands in the way.
 */

async function deployedBulkWithKeys(env: TestEnv, admin: Caller, count: number) {
  const { lm, product, distributor, uid } = await catalogFixture(env, admin);
  const bulk = (
    await admin.post("/api/v1/entitlements", {
      kind: "BULK",
      soldTo: distributor,
      product: { products: [{ productId: product.id }], licenseModelId: lm.id },
      autoDeploy: true,
    })
  ).json();
  expect((await admin.post(`/api/v1/entitlements/${bulk.id}/keys/generate`, { count })).statusCode).toBeLessThan(300);
  const keys = (await admin.get(`/api/v1/entitlements/${bulk.id}/keys?limit=200`))
    .json()
    .items.map((k: { key: string }) => k.key);
  expect(keys).toHaveLength(count);
  return { bulkPk: bulk.id as string, keys: keys as string[], uid };
}

/** The writes keyRedeemer would plan for `soldTo` from `snap`, under an entitlement and activation ID no one holds. */
function plannedWrites(snap: Awaited<ReturnType<typeof redemptionSnapshot>>, key: string, soldTo: string, tag: string) {
  if (!snap.key || !snap.bulk || !snap.config || !snap.account) throw new Error("the snapshot lacks the key, bulk or account");
  const ctx = systemContext();
  const pk = newId();
  const now = nowIso();
  const plan = redeemedEntitlement({
    key,
    pk,
    lineItemId: newId(),
    now,
    actor: ctx.actor,
    bulk: snap.bulk,
    config: snap.config,
    bulkPartners: snap.distributor ? [snap.distributor] : [],
    endCustomer: {
      tier: TIER_END_CUSTOMER,
      tier_display_name: snap.account.tier_display_name ?? TIER_END_CUSTOMER,
      tier_rank: snap.account.tier_rank ?? 0,
      account_id: soldTo,
      account_name: snap.account.name,
      contact_user_id: null,
      contact_email: null,
      current_owner: 1,
    },
  });
  const { products, part_id: _p, license_model_name: _l, ...lineItem } = plan.lineItem;
  // Not the key: neither the entitlement ID nor the activation ID may collide with a first redemption's.
  plan.entitlement.entitlement_id = `LATE-${tag}`;
  lineItem.activation_id = `LATE-ACT-${tag}`;
  const writes: RedemptionWrites = {
    key: canonicalKey(key),
    bulkPk: snap.bulk.id,
    shard: snap.key.id % REDEEMED_SHARDS,
    claim: { redeemed_at: now, redeemed_by: null, redeemed_by_label: "late", sold_to: soldTo, owner: null, entitlement_id: pk },
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
    events: eventRows(ctx, [{ entitlementPk: pk, event: "EVENT_CREATED", description: "late redemption" }]),
    audits: auditRows(ctx, [{ action: "entitlement.created", objectType: "entitlement", objectId: pk, after: { soldTo } }]),
  };
  return { pk, writes };
}

/** What the database holds for the entitlement `pk`: the row and everything written with it. */
async function traces(db: Db, pk: string) {
  const [entitlements, lineItems, partners, events, audits] = await Promise.all([
    db.selectFrom("entitlements").select("id").where("id", "=", pk).execute(),
    db.selectFrom("line_items").select("id").where("entitlement_id", "=", pk).execute(),
    db.selectFrom("entitlement_partners").select("tier").where("entitlement_id", "=", pk).execute(),
    db.selectFrom("entitlement_events").select("id").where("entitlement_id", "=", pk).execute(),
    db.selectFrom("audit_events").select("id").where("object_id", "=", pk).execute(),
  ]);
  return {
    entitlements: entitlements.length,
    lineItems: lineItems.length,
    partners: partners.length,
    events: events.length,
    audits: audits.length,
  };
}

describeEachDb("redemption claim", (env) => {
  for (const where of ["on its own", "in the caller's transaction"] as const)
    it(`claims only an UNREDEEMED key: a key redeemed after the snapshot gets no second entitlement (${where})`, async () => {
      const admin = await env.as("PRODUCER_ADMIN");
      const { bulkPk, keys, uid } = await deployedBulkWithKeys(env, admin, 2);
      const [key, control] = keys as [string, string];
      const first = await env.makeAccount({ id: `FIRST-${uid}` });
      const late = await env.makeAccount({ id: `LATE-${uid}` });
      const write = (w: RedemptionWrites) =>
        where === "on its own" ? writeRedemption(env.db, w) : env.db.transaction().execute((trx) => writeRedemption(trx, w));

      // The late redeemer reads the key while it is still open...
      const stale = await redemptionSnapshot(env.db, canonicalKey(key), late, "{key}ENT");
      expect(stale.key?.status).toBe("UNREDEEMED");
      // ...then someone else redeems it, behind that snapshot.
      const won = await admin.post("/api/v1/redemptions", { key, soldTo: first });
      expect(won.statusCode).toBe(201);
      const firstPk = won.json().entitlement.id as string;

      const { pk, writes } = plannedWrites(stale, key, late, `${uid}-a`);
      expect(await write(writes)).toBe(false);
      expect(await traces(env.db, pk)).toEqual({ entitlements: 0, lineItems: 0, partners: 0, events: 0, audits: 0 });
      const keyRow = await env.db
        .selectFrom("web_register_keys")
        .select(["status", "sold_to", "entitlement_id", "redeemed_by_label"])
        .where("key", "=", key)
        .executeTakeFirstOrThrow();
      expect(keyRow).toMatchObject({ status: "REDEEMED", sold_to: first, entitlement_id: firstPk });
      expect(keyRow.redeemed_by_label).not.toBe("late");

      // The same plan for a key still open goes through: the writes are sound, only the guard refused them.
      const open = await redemptionSnapshot(env.db, canonicalKey(control), late, "{key}ENT");
      const planned = plannedWrites(open, control, late, `${uid}-b`);
      expect(await write(planned.writes)).toBe(true);
      expect(await traces(env.db, planned.pk)).toEqual({ entitlements: 1, lineItems: 1, partners: 2, events: 1, audits: 1 });

      const children = await env.db.selectFrom("entitlements").select("id").where("parent_bulk_id", "=", bulkPk).execute();
      expect(children.map((c) => c.id).sort()).toEqual([firstPk, planned.pk].sort());
      expect((await admin.get(`/api/v1/entitlements/${bulkPk}/keys/counts`)).json()).toEqual({
        total: 2,
        redeemed: 2,
        unredeemed: 0,
      });
    });
});
