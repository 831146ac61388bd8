import { expect, it } from "vitest";
import { TIER_DISTRIBUTOR, TIER_END_CUSTOMER } from "../../common/src/enums.js";
import { RedeemGuard } from "../src/security/redeemGuard.js";
import { bulkEntitlement, simpleEntitlement } from "./factories.js";
import { type Caller, describeEachDb, type TestEnv } from "./helpers.js";

/** A bulk entitlement with `count` keys whose configuration a redemption copies: quantity, copies, a term from first activation. */
const bulkWithKeys = (env: TestEnv, admin: Caller, count = 3, opts: { test?: boolean; deploy?: boolean } = {}) =>
  bulkEntitlement(env, admin, {
    ...opts,
    keys: count,
    body: { orderId: "PO-77" },
    line: { quantity: 2, numberOfCopies: 3, term: { count: 1, unit: "YEARS" }, startDateOption: "DEFINE_AT_FIRST_ACTIVATION" },
  });

describeEachDb("redemption", (env) => {
  it("turns a key into one deployed simple entitlement copying the bulk configuration, idempotently", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk, distributor, keys, product } = await bulkWithKeys(env, admin);
    const customer = await env.makeAccount({ id: "ACME", name: "Acme" });
    const user = await env.as("CUSTOMER_PORTAL_USER", customer);
    const key = keys[0] as string;
    const r = await user.post("/api/v1/redemptions", { key: key.toLowerCase().replace(/-/g, " "), owner: "Jane Doe" });
    expect(r.statusCode).toBe(201);
    const e = r.json().entitlement;
    expect(e).toMatchObject({
      entitlementId: `${key}ENT`,
      kind: "SIMPLE",
      state: "DEPLOYED",
      parentBulkId: bulk.id,
      soldTo: customer,
      // The retailer's order stays on the bulk entitlement (PRODUCT.md §3).
      orderId: null,
    });
    expect(e.channelPartners).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ tier: TIER_END_CUSTOMER, accountId: customer, currentOwner: true }),
        expect.objectContaining({ tier: TIER_DISTRIBUTOR, accountId: distributor, currentOwner: false }),
      ]),
    );
    expect(e.lineItems).toHaveLength(1);
    expect(e.lineItems[0]).toMatchObject({
      activationId: key,
      state: "DEPLOYED",
      numberOfCopies: 3,
      term: { count: 1, unit: "YEARS" },
      startDateOption: "DEFINE_AT_FIRST_ACTIVATION",
      products: [{ productId: product.id, quantity: 2 }],
    });
    const again = await user.post("/api/v1/redemptions", { key });
    expect(again.statusCode).toBe(200);
    expect(again.json().entitlement.id).toBe(e.id);
    expect((await admin.get(`/api/v1/entitlements/${bulk.id}/keys/counts`)).json()).toEqual({
      total: 3,
      redeemed: 1,
      unredeemed: 2,
    });
    const k = (await admin.get(`/api/v1/entitlements/${bulk.id}/keys?status=REDEEMED`)).json().items[0];
    expect(k).toMatchObject({ key, soldTo: customer, owner: "Jane Doe", entitlementId: e.id });
    // The answer is built from what was written: it must be exactly what a read shows.
    expect((await user.get(`/api/v1/entitlements/${e.id}`)).json()).toEqual(e);
    expect((await admin.get(`/api/v1/entitlements/${bulk.id}`)).json()).toMatchObject({ state: "DEPLOYED" });
    expect((await user.get(`/api/v1/entitlements/${e.id}/history`)).json().items).toEqual([
      expect.objectContaining({ event: "EVENT_CREATED", description: expect.stringContaining(bulk.entitlementId) }),
    ]);
    expect((await admin.get(`/api/v1/entitlements/${bulk.id}/history`)).json().items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          event: "EVENT_PROPERTY_CHANGED",
          description: expect.stringContaining(`redeemed by ${customer}`),
        }),
      ]),
    );
    const audit = (await admin.get("/api/v1/audit-events?limit=200")).json().items as { action: string; objectId: string }[];
    expect(audit.filter((a) => a.action === "entitlement.created" && a.objectId === e.id)).toHaveLength(1);
    expect(audit.filter((a) => a.action === "key.redeemed" && a.objectId === bulk.id)).toHaveLength(1);
  });

  it("falls back to a generated entitlement ID when {key}ENT is taken, and leaves nothing behind when refused", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk, keys } = await bulkWithKeys(env, admin, 2);
    const acct = await env.makeAccount();
    const taken = await admin.post("/api/v1/entitlements", {
      kind: "SIMPLE",
      entitlementId: `${keys[0]}ENT`,
      soldTo: acct,
    });
    expect(taken.statusCode).toBe(201);
    const r = await admin.post("/api/v1/redemptions", { key: keys[0], soldTo: acct });
    expect(r.statusCode).toBe(201);
    expect(r.json().entitlement.entitlementId).not.toBe(`${keys[0]}ENT`);
    expect((await admin.get(`/api/v1/entitlements/${r.json().entitlement.id}`)).json()).toEqual(r.json().entitlement);
    // A refused redemption (an account that cannot hold entitlements) claims nothing.
    const refused = await admin.post("/api/v1/redemptions", { key: keys[1], soldTo: "PUBLISHER" });
    expect(refused.json()).toMatchObject({ status: 400, field: "soldTo" });
    expect((await admin.get(`/api/v1/entitlements/${bulk.id}/keys/counts`)).json()).toMatchObject({ redeemed: 1 });
  });

  it("answers a clash met while writing (the key taken as an activation ID since the read) with try-again, writing nothing", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk, keys } = await bulkWithKeys(env, admin, 1);
    const key = keys[0] as string;
    const acct = await env.makeAccount();
    // The clash the read cannot see: a line item elsewhere given the key as its activation ID
    // behind the application's back, as a concurrent write could.
    await simpleEntitlement(env, admin, { deploy: false, body: { soldTo: acct }, line: { activationId: "ACT-ELSEWHERE" } });
    await env.db.updateTable("line_items").set({ activation_id: key }).where("activation_id", "=", "ACT-ELSEWHERE").execute();

    const tried = await admin.post("/api/v1/redemptions", { key, soldTo: acct });
    expect(tried.json()).toMatchObject({ status: 409, code: "conflict", field: "key" });
    // Self-registration redeems inside its own transaction: refused the same way, no account left.
    const reg = await env.app.inject({
      method: "POST",
      url: "/api/v1/registrations",
      payload: {
        key,
        company: "Clash Ltd",
        firstName: "C",
        lastName: "L",
        email: "c@clash.example",
        password: "a long enough password",
      },
    });
    expect(reg.json()).toMatchObject({ status: 409, code: "conflict", field: "key" });
    expect(await env.db.selectFrom("accounts").select("id").where("name", "=", "Clash Ltd").execute()).toEqual([]);
    const k = await env.db
      .selectFrom("web_register_keys")
      .select(["status", "entitlement_id"])
      .where("key", "=", key)
      .executeTakeFirst();
    expect(k).toEqual({ status: "UNREDEEMED", entitlement_id: null });
    expect(await env.db.selectFrom("entitlements").select("id").where("parent_bulk_id", "=", bulk.id).execute()).toEqual([]);
    expect((await admin.get(`/api/v1/entitlements/${bulk.id}/keys/counts`)).json()).toMatchObject({ redeemed: 0 });
  });

  it("refuses another account exactly like an unknown key, and a typo before any lookup", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { keys } = await bulkWithKeys(env, admin);
    const first = await env.as("CUSTOMER_PORTAL_USER", await env.makeAccount());
    const second = await env.as("CUSTOMER_PORTAL_USER", await env.makeAccount());
    const key = keys[0] as string;
    expect((await first.post("/api/v1/redemptions", { key })).statusCode).toBe(201);
    const stolen = await second.post("/api/v1/redemptions", { key });
    const unknown = await second.post("/api/v1/redemptions", { key: "NOT-A-KEY-AT-ALL" });
    expect(stolen.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    expect(stolen.json().detail).toBe(unknown.json().detail);
    const chars = [...key];
    const i = chars.findIndex((c) => c !== "-");
    chars[i] = chars[i] === "A" ? "B" : "A";
    const typo = await second.post("/api/v1/redemptions", { key: chars.join("") });
    expect(typo.json()).toMatchObject({ status: 400, field: "key" });
    expect(typo.json().detail).toContain("typo");
  });

  it("gives test entitlements under a test bulk and refuses keys of a non-deployed bulk with a reason", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const acct = await env.makeAccount();
    const test = await bulkWithKeys(env, admin, 1, { test: true, deploy: false });
    const t = await admin.post("/api/v1/redemptions", { key: test.keys[0], soldTo: acct });
    expect(t.json().entitlement.state).toBe("TEST");
    const draft = await bulkWithKeys(env, admin, 1, { deploy: false });
    const d = await admin.post("/api/v1/redemptions", { key: draft.keys[0], soldTo: acct });
    expect(d.json()).toMatchObject({ status: 409, code: "invalid_state" });
    expect(d.json().detail).toContain("not released");
    const noSoldTo = await admin.post("/api/v1/redemptions", { key: draft.keys[0] });
    expect(noSoldTo.json()).toMatchObject({ status: 400, field: "soldTo" });
    const viewer = await env.as("PRODUCER_VIEWER");
    expect((await viewer.post("/api/v1/redemptions", { key: test.keys[0], soldTo: acct })).statusCode).toBe(403);
  });

  it("200 concurrent redemptions of one key make exactly one entitlement", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk, keys } = await bulkWithKeys(env, admin, 1);
    const acct = await env.makeAccount();
    const user = await env.as("CUSTOMER_PORTAL_USER", acct);
    const results = await Promise.all(Array.from({ length: 200 }, () => user.post("/api/v1/redemptions", { key: keys[0] })));
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(1);
    expect(codes.filter((c) => c === 200)).toHaveLength(199);
    expect(new Set(results.map((r) => r.json().entitlement.id)).size).toBe(1);
    const children = await env.db.selectFrom("entitlements").select("id").where("parent_bulk_id", "=", bulk.id).execute();
    expect(children).toHaveLength(1);
    expect((await admin.get(`/api/v1/entitlements/${bulk.id}/keys/counts`)).json().redeemed).toBe(1);
  });

  it("admissions and releases of one account at the same time never deadlock its abuse counters", async () => {
    // Each admission upserts the ip, account and miss counters; each success gives back its miss
    // places. Both lock the same rows, so their order must agree or PostgreSQL finds a deadlock (a
    // 500 for a redemption that should succeed).
    const guard = new RedeemGuard(env.db, { ipPerMinute: 1e9, accountPerMinute: 1e9, missesBeforeLock: 1e9 });
    const subjects = { ip: "203.0.113.9", account: "ACME" };
    const errors: string[] = [];
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = 0; i < 60; i++) {
          try {
            await guard.success(subjects, await guard.admit(subjects));
          } catch (err) {
            errors.push((err as Error).message);
          }
        }
      }),
    );
    expect(errors).toEqual([]);
  }, 120_000);

  it("2,000 distinct keys redeemed by 50 concurrent clients make 2,000 entitlements with exact counts", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk, keys } = await bulkWithKeys(env, admin, 2000);
    const clients = await Promise.all(
      Array.from({ length: 50 }, async () => env.as("CUSTOMER_PORTAL_USER", await env.makeAccount())),
    );
    const queue = [...keys];
    const failures: string[] = [];
    await Promise.all(
      clients.map(async (c) => {
        for (let key = queue.pop(); key; key = queue.pop()) {
          const r = await c.post("/api/v1/redemptions", { key });
          if (r.statusCode !== 201) failures.push(`${r.statusCode} ${r.body.slice(0, 120)}`);
        }
      }),
    );
    expect(failures).toEqual([]);
    const children = await env.db
      .selectFrom("entitlements")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("parent_bulk_id", "=", bulk.id)
      .executeTakeFirstOrThrow();
    expect(Number(children.n)).toBe(2000);
    expect((await admin.get(`/api/v1/entitlements/${bulk.id}/keys/counts`)).json()).toEqual({
      total: 2000,
      redeemed: 2000,
      unredeemed: 0,
    });
  }, 120_000);
});
