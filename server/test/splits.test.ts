import { expect, it } from "vitest";
import { TIER_DISTRIBUTOR } from "../../common/src/enums.js";
import { bulkEntitlement, keysOf, ok, simpleEntitlement } from "./factories.js";
import { type Caller, describeEachDb, type TestEnv } from "./helpers.js";

/**
 * Splitting down the channel (PRODUCT.md §3, fno-notes splitBulkEntitlement / splitLineItem)
 * through the API on both databases: new and matching targets, every refusal in words with
 * nothing changed, conservation of keys and copies under concurrent splits and redemptions, and
 * who may split.
 */

type Json = any;
const RESELLER_TIER = "bo.constants.partnertiernames.tier2";

/** A distributor's bulk entitlement with `keys` keys, a Reseller tier and a reseller related to the distributor. */
async function channel(env: TestEnv, keys = 10) {
  const admin = await env.as("PRODUCER_ADMIN");
  const b = await bulkEntitlement(env, admin, { keys });
  ok(await admin.post("/api/v1/partner-tiers", { name: RESELLER_TIER, displayName: "Reseller", rank: 50 }));
  const reseller = await env.makeAccount({ type: "CHANNEL_PARTNER", name: "Reseller" });
  ok(await admin.post(`/api/v1/accounts/${b.distributor}/related-accounts`, { accountId: reseller }), 200);
  return { admin, ...b, reseller };
}

/** Where every key is and in which status, the key counters, and the row counts a split writes. */
async function snapshot(env: TestEnv) {
  const keys = await env.db.selectFrom("web_register_keys").select(["key", "bulk_id", "status"]).orderBy("key").execute();
  const ents = await env.db.selectFrom("entitlements").select(["id", "key_count", "state"]).orderBy("id").execute();
  const items = await env.db.selectFrom("line_items").select(["id", "number_of_copies", "state"]).orderBy("id").execute();
  const n = async (t: "entitlement_partners" | "entitlement_events" | "audit_events") =>
    Number(
      (
        await env.db
          .selectFrom(t)
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return { keys, ents, items, partners: await n("entitlement_partners"), events: await n("entitlement_events") };
}

async function counts(admin: Caller, pk: string) {
  return ok(await admin.get(`/api/v1/entitlements/${pk}/keys/counts`), 200);
}

function refused(res: { statusCode: number; body: string }, status: number, ...words: string[]) {
  expect(res.statusCode, res.body).toBe(status);
  for (const w of words) expect(res.body).toContain(w);
}

describeEachDb("split bulk entitlement", (env) => {
  it("moves the N oldest unredeemed keys into a new DEPLOYED bulk entitlement of the related account, with lineage and audit", async () => {
    const { admin, bulk, keys, distributor, reseller } = await channel(env, 10);
    // The oldest key is redeemed: it never moves, the next ones do.
    ok(await admin.post("/api/v1/redemptions", { key: keys[0], soldTo: distributor }));
    const res = await admin.post(`/api/v1/entitlements/${bulk.id}/actions/split`, {
      targetAccountId: reseller,
      tier: RESELLER_TIER,
      count: 4,
    });
    const r = ok(res);
    expect(r).toMatchObject({ moved: 4, created: true });
    const t: Json = r.entitlement;
    expect(t).toMatchObject({ kind: "BULK", state: "DEPLOYED" });
    expect(t.id).not.toBe(bulk.id);
    expect(t.channelPartners).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ tier: RESELLER_TIER, accountId: reseller, currentOwner: true }),
        expect.objectContaining({ tier: TIER_DISTRIBUTOR, accountId: distributor, currentOwner: false }),
      ]),
    );
    expect(await keysOf(admin, t.id)).toEqual(keys.slice(1, 5));
    expect(await counts(admin, t.id)).toEqual({ total: 4, redeemed: 0, unredeemed: 4 });
    expect(await counts(admin, bulk.id)).toEqual({ total: 6, redeemed: 1, unredeemed: 5 });
    // Lineage: the new configuration is a child of the source's.
    const cfg = await env.db
      .selectFrom("line_items")
      .select(["parent_line_item_id"])
      .where("entitlement_id", "=", t.id)
      .executeTakeFirstOrThrow();
    const srcCfg = await env.db
      .selectFrom("line_items")
      .select("id")
      .where("entitlement_id", "=", bulk.id)
      .executeTakeFirstOrThrow();
    expect(cfg.parent_line_item_id).toBe(srcCfg.id);
    const audit = await env.db.selectFrom("audit_events").select(["action", "object_id"]).execute();
    expect(audit).toEqual(
      expect.arrayContaining([
        { action: "entitlement.split", object_id: bulk.id },
        { action: "entitlement.created_by_split", object_id: t.id },
      ]),
    );
    const hist = ok(await admin.get(`/api/v1/entitlements/${bulk.id}/history`), 200).items;
    expect(hist.map((h: Json) => h.description).join("\n")).toContain(`4 unredeemed keys split from account '${distributor}'`);
    // The reseller's moved keys redeem from its bulk entitlement and count there.
    const red = ok(await admin.post("/api/v1/redemptions", { key: keys[1], soldTo: reseller }));
    expect(red.entitlement.parentBulkId).toBe(t.id);
    expect(await counts(admin, t.id)).toEqual({ total: 4, redeemed: 1, unredeemed: 3 });
  });

  it("moves the listed keys into a matching bulk entitlement, which the matching list offers", async () => {
    const { admin, bulk, keys, reseller } = await channel(env, 10);
    const first = ok(
      await admin.post(`/api/v1/entitlements/${bulk.id}/actions/split`, {
        targetAccountId: reseller,
        tier: RESELLER_TIER,
        count: 2,
      }),
    );
    const target = first.entitlement.id;
    const list = ok(await admin.get(`/api/v1/entitlements/${bulk.id}/matching-bulk-entitlements?accountId=${reseller}`), 200);
    expect(list.items.map((e: Json) => e.id)).toEqual([target]);
    const listed = [keys[7], (keys[9] as string).toLowerCase()];
    const second = ok(
      await admin.post(`/api/v1/entitlements/${bulk.id}/actions/split`, {
        targetAccountId: reseller,
        tier: RESELLER_TIER,
        keys: listed,
        targetEntitlementId: target,
      }),
    );
    expect(second).toMatchObject({ moved: 2, created: false });
    expect(second.entitlement.id).toBe(target);
    expect((await keysOf(admin, target)).sort()).toEqual([keys[0], keys[1], keys[7], keys[9]].sort());
    expect(await counts(admin, target)).toEqual({ total: 4, redeemed: 0, unredeemed: 4 });
    expect(await counts(admin, bulk.id)).toEqual({ total: 6, redeemed: 0, unredeemed: 6 });
    // A bulk entitlement of another product does not match.
    const other = await bulkEntitlement(env, admin, { keys: 0 });
    refused(
      await admin.post(`/api/v1/entitlements/${bulk.id}/actions/split`, {
        targetAccountId: reseller,
        tier: RESELLER_TIER,
        count: 1,
        targetEntitlementId: other.bulk.id,
      }),
      400,
      "targetEntitlementId",
    );
  });

  it("refuses in words and changes nothing", async () => {
    const { admin, bulk, keys, distributor, reseller } = await channel(env, 5);
    ok(await admin.post("/api/v1/redemptions", { key: keys[0], soldTo: distributor }));
    const unrelated = await env.makeAccount({ type: "CHANNEL_PARTNER" });
    const other = await bulkEntitlement(env, admin, { keys: 1 });
    const draft = await bulkEntitlement(env, admin, { keys: 0, deploy: false });
    const simple = await simpleEntitlement(env, admin);
    const before = await snapshot(env);
    const split = (body: Json, pk = bulk.id) => admin.post(`/api/v1/entitlements/${pk}/actions/split`, body);
    const base = { targetAccountId: reseller, tier: RESELLER_TIER };
    refused(await split({ ...base, targetAccountId: unrelated, count: 1 }), 400, "is not related to the current owner");
    refused(
      await split({ ...base, tier: TIER_DISTRIBUTOR, count: 1 }),
      400,
      "Cannot split to tier Distributor; this tier has already been defined on the entitlement.",
    );
    refused(await split({ ...base, tier: "no.such.tier", count: 1 }), 400, "does not exist");
    refused(await split({ ...base, count: 5 }), 409, "Only 4 unredeemed keys could be split (5 asked)");
    refused(await split({ ...base, keys: [keys[1], keys[0]] }), 400, `key '${keys[0]}' is redeemed`);
    refused(await split({ ...base, keys: [keys[1], other.keys[0]] }), 400, "is not a key of this bulk entitlement");
    refused(await split({ ...base, count: 1, keys: [keys[1]] }), 400, "not both");
    refused(await split({ ...base }), 400, "not both");
    refused(await split({ ...base, count: 1 }, draft.bulk.id), 409, "only a DEPLOYED entitlement can be split");
    refused(await split({ ...base, count: 1 }, simple.entitlement.id), 400, "split a line item of it instead");
    refused(await split({ ...base, targetAccountId: "nobody", count: 1 }), 400, "does not exist");
    refused(await split({ ...base, count: 1, contactUserId: "nobody" }), 400, "is not a user of account");
    expect(await snapshot(env)).toEqual(before);
  });

  it("who may split: producer writers and the current owner's partner users; others are refused or see nothing", async () => {
    const { admin, bulk, distributor, reseller } = await channel(env, 20);
    const body = { targetAccountId: reseller, tier: RESELLER_TIER, count: 1 };
    const url = `/api/v1/entitlements/${bulk.id}/actions/split`;
    const otherPartner = await env.makeAccount({ type: "CHANNEL_PARTNER" });
    const customer = await env.makeAccount({ type: "CUSTOMER" });
    const cases: [Caller, number][] = [
      [admin, 201],
      [await env.as("PRODUCER_OPERATIONS"), 201],
      [await env.as("PRODUCER_VIEWER"), 403],
      [await env.as("PRODUCER_SUPPORT"), 403],
      [await env.as("PARTNER_PORTAL_ADMIN", distributor), 201],
      [await env.as("PARTNER_PORTAL_USER", distributor), 201],
      [await env.as("PARTNER_PORTAL_ADMIN", otherPartner), 404],
      [await env.as("CUSTOMER_PORTAL_ADMIN", customer), 404],
      [env.caller(null), 401],
    ];
    for (const [caller, status] of cases) {
      const res = await caller.post(url, body);
      expect(res.statusCode, res.body).toBe(status);
    }
    // The reseller, now the current owner of its new bulk entitlement, splits nothing of the source.
    const resellerUser = await env.as("PARTNER_PORTAL_USER", reseller);
    expect((await resellerUser.post(url, body)).statusCode).toBe(404);
    expect(await counts(admin, bulk.id)).toMatchObject({ total: 16 });
    // The matching list follows the same rule.
    const m = `/api/v1/entitlements/${bulk.id}/matching-bulk-entitlements?accountId=${reseller}`;
    expect((await (await env.as("PARTNER_PORTAL_USER", distributor)).get(m)).statusCode).toBe(200);
    expect((await (await env.as("PRODUCER_VIEWER")).get(m)).statusCode).toBe(403);
    expect((await (await env.as("CUSTOMER_PORTAL_USER", customer)).get(m)).statusCode).toBe(404);
  });

  it("conserves keys under 10 concurrent splits of 30 and 50 concurrent redemptions of a bulk of 200", async () => {
    const { admin, bulk, keys, reseller, customer } = await channel(env, 200);
    const splits = Array.from({ length: 10 }, () =>
      admin.post(`/api/v1/entitlements/${bulk.id}/actions/split`, { targetAccountId: reseller, tier: RESELLER_TIER, count: 30 }),
    );
    const redemptions = keys
      .filter((_, i) => i % 4 === 0)
      .map((key) => admin.post("/api/v1/redemptions", { key, soldTo: customer }));
    const results = await Promise.all([...splits, ...redemptions]);
    const splitResults = results.slice(0, 10);
    const redeemResults = results.slice(10);
    const okSplits = splitResults.filter((r) => r.statusCode === 201);
    for (const r of splitResults) expect([201, 409], r.body).toContain(r.statusCode);
    for (const r of okSplits) expect(r.json().moved).toBe(30);
    for (const r of redeemResults) expect([201, 409], r.body).toContain(r.statusCode);
    const redeemed = redeemResults.filter((r) => r.statusCode === 201).length;
    expect(okSplits.length).toBeGreaterThan(0);

    const rows = await env.db.selectFrom("web_register_keys").select(["key", "bulk_id", "status", "entitlement_id"]).execute();
    expect(rows).toHaveLength(200);
    expect(new Set(rows.map((r) => r.key)).size).toBe(200);
    const bulks = [bulk.id, ...okSplits.map((r) => r.json().entitlement.id)];
    let total = 0;
    let totalRedeemed = 0;
    for (const pk of bulks) {
      const c = await counts(admin, pk);
      const mine = rows.filter((r) => r.bulk_id === pk);
      // Each bulk entitlement's counters agree with its keys.
      expect(c.total).toBe(mine.length);
      expect(c.redeemed).toBe(mine.filter((r) => r.status === "REDEEMED").length);
      total += c.total;
      totalRedeemed += c.redeemed;
    }
    expect(rows.every((r) => bulks.includes(r.bulk_id))).toBe(true);
    expect(total).toBe(200);
    expect(totalRedeemed).toBe(redeemed);
    // Split targets got exactly 30 keys each; a redeemed key sits in the bulk entitlement its redemption names.
    for (const pk of bulks.slice(1)) expect(rows.filter((r) => r.bulk_id === pk)).toHaveLength(30);
    const spawned = await env.db
      .selectFrom("entitlements")
      .select(["id", "parent_bulk_id"])
      .where("parent_bulk_id", "is not", null)
      .execute();
    const parentOf = new Map(spawned.map((e) => [e.id, e.parent_bulk_id]));
    for (const r of rows.filter((x) => x.status === "REDEEMED")) expect(parentOf.get(r.entitlement_id as string)).toBe(r.bulk_id);
    expect(spawned).toHaveLength(redeemed);
  });
});

describeEachDb("split line item", (env) => {
  async function simpleChannel(copies: number) {
    const admin = await env.as("PRODUCER_ADMIN");
    const s = await simpleEntitlement(env, admin, { line: { numberOfCopies: copies } });
    ok(await admin.post("/api/v1/partner-tiers", { name: RESELLER_TIER, displayName: "Reseller", rank: 50 }));
    const reseller = await env.makeAccount({ type: "CHANNEL_PARTNER", name: "Reseller" });
    ok(await admin.post(`/api/v1/accounts/${s.customer}/related-accounts`, { accountId: reseller }), 200);
    const e = s.entitlement;
    return { admin, ...s, reseller, pk: e.id as string, itemId: e.lineItems[0].id as string };
  }

  it("moves available copies to a new entitlement, then into its matching line item; refuses in words", async () => {
    const { admin, pk, itemId, reseller, customer } = await simpleChannel(10);
    const url = `/api/v1/entitlements/${pk}/line-items/${itemId}/actions/split`;
    const r = ok(await admin.post(url, { targetAccountId: reseller, tier: RESELLER_TIER, count: 3 }));
    expect(r).toMatchObject({ moved: 3, created: true });
    const t = r.entitlement;
    expect(t.kind).toBe("SIMPLE");
    expect(t.lineItems[0]).toMatchObject({ numberOfCopies: 3, parentLineItemId: itemId, state: "DEPLOYED" });
    expect(t.channelPartners).toEqual(
      expect.arrayContaining([expect.objectContaining({ tier: RESELLER_TIER, accountId: reseller, currentOwner: true })]),
    );
    expect(r.source.lineItems[0].numberOfCopies).toBe(7);
    const r2 = ok(await admin.post(url, { targetAccountId: reseller, tier: RESELLER_TIER, count: 2, targetEntitlementId: t.id }));
    expect(r2).toMatchObject({ moved: 2, created: false, lineItemId: t.lineItems[0].id });
    expect(r2.entitlement.lineItems[0].numberOfCopies).toBe(5);
    expect(r2.source.lineItems[0].numberOfCopies).toBe(5);

    const before = await snapshot(env);
    refused(await admin.post(url, { targetAccountId: reseller, tier: RESELLER_TIER, count: 6 }), 409, "5 copies available");
    refused(
      await admin.post(url, { targetAccountId: reseller, tier: "bo.constants.partnertiernames.endcustomer", count: 1 }),
      400,
      "this tier has already been defined on the entitlement",
    );
    const unrelated = await env.makeAccount({ type: "CHANNEL_PARTNER" });
    refused(await admin.post(url, { targetAccountId: unrelated, tier: RESELLER_TIER, count: 1 }), 400, "is not related");
    refused(
      await admin.post(url, { targetAccountId: reseller, tier: RESELLER_TIER, count: 1, targetEntitlementId: pk }),
      400,
      "another entitlement",
    );
    refused(
      await admin.post(url, { targetAccountId: customer, tier: RESELLER_TIER, count: 1 }),
      400,
      "already the current owner",
    );
    expect(await snapshot(env)).toEqual(before);
  });

  it("who may split a line item: producer writers; not viewers, not the customer owner's users, not other partners", async () => {
    const { admin, pk, itemId, reseller, customer } = await simpleChannel(10);
    const url = `/api/v1/entitlements/${pk}/line-items/${itemId}/actions/split`;
    const body = { targetAccountId: reseller, tier: RESELLER_TIER, count: 1 };
    const otherPartner = await env.makeAccount({ type: "CHANNEL_PARTNER" });
    const cases: [Caller, number][] = [
      [await env.as("PRODUCER_VIEWER"), 403],
      // The current owner is a customer: its users read the entitlement but splitting is for partners.
      [await env.as("CUSTOMER_PORTAL_ADMIN", customer), 403],
      [await env.as("PARTNER_PORTAL_ADMIN", otherPartner), 404],
      [await env.as("PARTNER_PORTAL_USER", reseller), 404],
      [await env.as("PRODUCER_OPERATIONS"), 201],
      [admin, 201],
    ];
    for (const [caller, status] of cases) {
      const res = await caller.post(url, body);
      expect(res.statusCode, res.body).toBe(status);
    }
  });

  it("conserves copies under 10 concurrent splits of 15 from 100", async () => {
    const { admin, pk, itemId, reseller } = await simpleChannel(100);
    const url = `/api/v1/entitlements/${pk}/line-items/${itemId}/actions/split`;
    const results = await Promise.all(
      Array.from({ length: 10 }, () => admin.post(url, { targetAccountId: reseller, tier: RESELLER_TIER, count: 15 })),
    );
    for (const r of results) expect([201, 409], r.body).toContain(r.statusCode);
    const done = results.filter((r) => r.statusCode === 201).length;
    expect(done).toBe(6);
    const items = await env.db
      .selectFrom("line_items")
      .select(["entitlement_id", "number_of_copies"])
      .where("role", "=", "LINE_ITEM")
      .execute();
    const sum = items.reduce((s, i) => s + i.number_of_copies, 0);
    expect(sum).toBe(100);
    expect(items.find((i) => i.entitlement_id === pk)?.number_of_copies).toBe(10);
  });
});

describeEachDb("split notices", (env) => {
  it("emails the target tier's contact a split notice, in the split's transaction; none without a contact", async () => {
    const { admin, bulk, reseller } = await channel(env, 10);
    const contact = await env.makeUser({ role: "PARTNER_PORTAL_ADMIN", accountId: reseller, email: "buyer@reseller.example" });
    const res = ok(
      await admin.post(`/api/v1/entitlements/${bulk.id}/actions/split`, {
        targetAccountId: reseller,
        tier: RESELLER_TIER,
        count: 3,
        contactUserId: contact.userId,
      }),
    );
    const mails = ok(await admin.get("/api/v1/email/messages?kind=SPLIT_NOTICE"), 200).items as Json[];
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ kind: "SPLIT_NOTICE", to: ["buyer@reseller.example"] });
    expect(mails[0].subject).toContain(res.entitlement.entitlementId);
    const detail = ok(await admin.get(`/api/v1/email/messages/${mails[0].id}`), 200);
    expect(detail.bodyText).toContain("3 unredeemed keys were split to your account");

    // A refused split (not enough keys) queues nothing; a split without a contact neither.
    const refusedSplit = await admin.post(`/api/v1/entitlements/${bulk.id}/actions/split`, {
      targetAccountId: reseller,
      tier: "bo.constants.partnertiernames.tier3",
      count: 1000,
      contactUserId: contact.userId,
    });
    expect(refusedSplit.statusCode).toBeGreaterThanOrEqual(400);
    expect(ok(await admin.get("/api/v1/email/messages"), 200).items).toHaveLength(1);
  });
});
