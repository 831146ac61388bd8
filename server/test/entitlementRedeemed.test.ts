import { expect, it } from "vitest";
import { up as clearCopiedRetailerData } from "../src/db/migrations/0007_redeemed_entitlements_own_data.js";
import { bulkEntitlement, catalog, simpleEntitlement } from "./factories.js";
import { type Caller, describeEachDb, type TestEnv } from "./helpers.js";

type Json = Record<string, any>;

/** A bulk entitlement sold to a distributor, with the retailer's order, ship-to and description, and keys. */
const bulkWithKeys = (env: TestEnv, admin: Caller, opts: { test?: boolean; count?: number } = {}) =>
  bulkEntitlement(env, admin, {
    test: opts.test,
    keys: opts.count ?? 2,
    body: {
      description: "Retail batch for the Christmas shelf",
      orderId: "RETAIL-PO-9",
      orderLineNumber: "7",
      shipToEmail: "warehouse@retailer.example",
      shipToAddress: "Dock 4, Retail Park",
      customAttributes: { campaign: "xmas" },
    },
    line: {
      quantity: 1,
      numberOfCopies: 3,
      description: "Shelf box",
      orderId: "RETAIL-LINE-PO",
      orderLineNumber: "7.1",
    },
  });

async function redeem(admin: Caller, key: string, soldTo: string, owner?: string): Promise<Json> {
  const r = await admin.post("/api/v1/redemptions", { key, soldTo, ...(owner ? { owner } : {}) });
  expect([200, 201], r.body).toContain(r.statusCode);
  return r.json().entitlement;
}

describeEachDb("redeemed entitlements", (env) => {
  it("Regenerate IDs on a redeemed TEST entitlement keeps the key as its activation ID; redeeming again finds it", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { keys } = await bulkWithKeys(env, admin, { test: true });
    const customer = await env.makeAccount();
    const key = keys[0] as string;
    const e = await redeem(admin, key, customer);
    expect(e.state).toBe("TEST");
    expect(e.lineItems[0].activationId).toBe(key);
    const res = await admin.post(`/api/v1/entitlements/${e.id}/actions/regenerate-ids`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().lineItems[0].activationId).toBe(key);
    const again = await admin.post("/api/v1/redemptions", { key, soldTo: customer });
    expect(again.statusCode).toBe(200);
    expect(again.json().entitlement.id).toBe(e.id);
    expect(again.json().entitlement.lineItems[0].activationId).toBe(key);
  });

  it("copies the product configuration only: no order ID, order line, ship-to, attributes or descriptions of the retailer", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { keys } = await bulkWithKeys(env, admin);
    const customer = await env.makeAccount();
    const e = await redeem(admin, keys[0] as string, customer);
    const read = (await (await env.as("CUSTOMER_PORTAL_USER", customer)).get(`/api/v1/entitlements/${e.id}`)).json();
    for (const x of [e, read]) {
      expect(x).toMatchObject({
        description: null,
        orderId: null,
        orderLineNumber: null,
        shipToEmail: null,
        shipToAddress: null,
        customAttributes: {},
      });
      expect(x.lineItems[0]).toMatchObject({ description: null, orderId: null, orderLineNumber: null, numberOfCopies: 3 });
    }
    expect(JSON.stringify(read)).not.toMatch(/RETAIL|Retail|Shelf|xmas|retailer/);
  });

  it("migration 0007 clears what entitlements redeemed earlier copied from the retailer, keeping values set on them", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk, keys } = await bulkWithKeys(env, admin);
    const customer = await env.makeAccount();
    const a = await redeem(admin, keys[0] as string, customer);
    const b = await redeem(admin, keys[1] as string, customer);
    // As redemption used to write them: the bulk's header and configuration copied.
    for (const e of [a, b]) {
      await env.db
        .updateTable("entitlements")
        .set({
          order_id: "RETAIL-PO-9",
          order_line_number: "7",
          description: e === a ? "Retail batch for the Christmas shelf" : "Set by the producer",
          custom_attributes: JSON.stringify({ campaign: "xmas" }),
        })
        .where("id", "=", e.id)
        .execute();
      await env.db
        .updateTable("line_items")
        .set({ order_id: "RETAIL-LINE-PO", order_line_number: "7.1", description: "Shelf box" })
        .where("entitlement_id", "=", e.id)
        .execute();
    }
    await clearCopiedRetailerData(env.db);
    const ra = (await admin.get(`/api/v1/entitlements/${a.id}`)).json();
    const rb = (await admin.get(`/api/v1/entitlements/${b.id}`)).json();
    expect(ra).toMatchObject({ orderId: null, orderLineNumber: null, description: null, customAttributes: {} });
    expect(ra.lineItems[0]).toMatchObject({ orderId: null, orderLineNumber: null, description: null });
    expect(rb.description).toBe("Set by the producer");
    // The bulk entitlement keeps its own.
    expect((await admin.get(`/api/v1/entitlements/${bulk.id}`)).json()).toMatchObject({
      orderId: "RETAIL-PO-9",
      description: "Retail batch for the Christmas shelf",
      product: { orderId: "RETAIL-LINE-PO", description: "Shelf box" },
    });
  });

  it("the redeemed entitlement's ID follows the template in Settings, validated; the default is {key}ENT", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    expect((await admin.get("/api/v1/settings")).json().redeemedEntitlementIdTemplate).toBe("{key}ENT");
    const { keys } = await bulkWithKeys(env, admin, { count: 3 });
    const customer = await env.makeAccount();
    expect((await redeem(admin, keys[0] as string, customer)).entitlementId).toBe(`${keys[0]}ENT`);

    for (const [bad, words] of [
      ["ENT-X", "must contain {key}"],
      ["{key}-{year}", "only the token {key}"],
      ["{key}/E", 'must not contain "/"'],
    ] as const) {
      const r = await admin.patch("/api/v1/settings", { redeemedEntitlementIdTemplate: bad });
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json()).toMatchObject({ code: "validation_failed", field: "redeemedEntitlementIdTemplate" });
      expect(r.json().detail).toContain(words);
    }
    const set = await admin.patch("/api/v1/settings", { redeemedEntitlementIdTemplate: "RED-{key}" });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().redeemedEntitlementIdTemplate).toBe("RED-{key}");
    expect((await redeem(admin, keys[1] as string, customer)).entitlementId).toBe(`RED-${keys[1]}`);
    // Taken by hand: a generated ID instead, as with the default.
    await admin.post("/api/v1/entitlements", { kind: "SIMPLE", soldTo: customer, entitlementId: `RED-${keys[2]}` });
    expect((await redeem(admin, keys[2] as string, customer)).entitlementId).not.toBe(`RED-${keys[2]}`);
    const audit = (await admin.get("/api/v1/audit-events?limit=200")).json().items as Json[];
    expect(audit.filter((a) => a.action === "settings.updated")).toHaveLength(1);
  });

  it("after a transfer the line item shows no available copies, and the key's row shows the new owner only", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk, keys } = await bulkWithKeys(env, admin);
    const customer = await env.makeAccount();
    const target = await env.makeAccount();
    const key = keys[0] as string;
    const e = await redeem(admin, key, customer, "Jane Doe");
    expect(e.lineItems[0].availableCount).toBe(3);
    const t = await admin.post(`/api/v1/entitlements/${e.id}/actions/transfer`, { accountId: target });
    expect(t.statusCode, t.body).toBe(201);
    const source = (await (await env.as("CUSTOMER_PORTAL_USER", customer)).get(`/api/v1/entitlements/${e.id}`)).json();
    expect(source.state).toBe("OBSOLETE");
    expect(source.lineItems[0]).toMatchObject({ state: "OBSOLETE", availableCount: 0 });
    // My Entitlements of the old owner lists it with nothing available.
    const mine = (await (await env.as("CUSTOMER_PORTAL_USER", customer)).get("/api/v1/entitlements")).json().items;
    expect(mine.find((x: Json) => x.id === e.id).lineItems[0].availableCount).toBe(0);
    expect(t.json().entitlement.lineItems[0].availableCount).toBe(3);
    const row = (await admin.get(`/api/v1/entitlements/${bulk.id}/keys?status=REDEEMED`)).json().items[0];
    expect(row).toMatchObject({ key, soldTo: target, owner: null, redeemedBy: null, entitlementId: t.json().entitlement.id });
    expect(row.redeemedAt).toEqual(expect.any(String));
  });

  it("moving all copies of a redeemed line item with its ID moves the key to the new owner as well", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk, keys } = await bulkWithKeys(env, admin);
    const customer = await env.makeAccount();
    const target = await env.makeAccount();
    const key = keys[0] as string;
    const e = await redeem(admin, key, customer, "Jane Doe");
    const t = await admin.post(`/api/v1/entitlements/${e.id}/line-items/${e.lineItems[0].id}/actions/transfer`, {
      accountId: target,
      count: 3,
      keepIds: true,
    });
    expect(t.statusCode, t.body).toBe(201);
    expect(t.json().entitlement.lineItems[0].activationId).toBe(key);
    const row = (await admin.get(`/api/v1/entitlements/${bulk.id}/keys?status=REDEEMED`)).json().items[0];
    expect(row).toMatchObject({ soldTo: target, owner: null, redeemedBy: null, entitlementId: t.json().entitlement.id });
    const again = await admin.post("/api/v1/redemptions", { key, soldTo: target });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().entitlement.id).toBe(t.json().entitlement.id);
  });

  it("an INACTIVE entitlement or line item shows no available copies", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { keys } = await bulkWithKeys(env, admin);
    const e = await redeem(admin, keys[0] as string, await env.makeAccount());
    const r = await admin.post(`/api/v1/entitlements/${e.id}/actions/change-state`, { state: "INACTIVE" });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().lineItems[0].availableCount).toBe(0);
    const back = await admin.post(`/api/v1/entitlements/${e.id}/actions/change-state`, { state: "DEPLOYED" });
    expect(back.json().lineItems[0].availableCount).toBe(3);
  });
});

describeEachDb("entitlements by entitlement ID, autoDeploy on update", (env) => {
  it("GET /entitlements/{id} and its history accept the entitlement ID, with the same visibility", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { keys } = await bulkWithKeys(env, admin);
    const customer = await env.makeAccount();
    const e = await redeem(admin, keys[0] as string, customer);
    const byId = await admin.get(`/api/v1/entitlements/${encodeURIComponent(e.entitlementId)}`);
    expect(byId.statusCode, byId.body).toBe(200);
    expect(byId.json()).toEqual((await admin.get(`/api/v1/entitlements/${e.id}`)).json());
    const owner = await env.as("CUSTOMER_PORTAL_USER", customer);
    expect((await owner.get(`/api/v1/entitlements/${e.entitlementId}`)).json().id).toBe(e.id);
    const hist = await owner.get(`/api/v1/entitlements/${e.entitlementId}/history`);
    expect(hist.statusCode).toBe(200);
    expect(hist.json().items.length).toBeGreaterThan(0);
    // Someone else's: the same 404 as an unknown ID.
    const stranger = await env.as("CUSTOMER_PORTAL_USER", await env.makeAccount());
    expect((await stranger.get(`/api/v1/entitlements/${e.entitlementId}`)).json()).toMatchObject({ status: 404 });
    expect((await admin.get("/api/v1/entitlements/NO-SUCH-ENT")).json()).toMatchObject({ status: 404, code: "not_found" });
  });

  it("autoDeploy on PATCH deploys a DRAFT entitlement; a refused deploy changes nothing", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { entitlement: draft, product, distributor } = await simpleEntitlement(env, admin, { deploy: false });
    expect(draft.state).toBe("DRAFT");
    const r = await admin.patch(`/api/v1/entitlements/${draft.id}`, { description: "ready", autoDeploy: true });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ state: "DEPLOYED", description: "ready" });
    expect(r.json().lineItems[0].state).toBe("DEPLOYED");

    // A bulk entitlement without a license model cannot deploy: the whole PATCH is refused.
    const bulk = (
      await admin.post("/api/v1/entitlements", {
        kind: "BULK",
        soldTo: distributor,
        product: { products: [{ productId: product.id }] },
      })
    ).json();
    const refused = await admin.patch(`/api/v1/entitlements/${bulk.id}`, { description: "no", autoDeploy: true });
    expect(refused.statusCode, refused.body).toBeGreaterThanOrEqual(400);
    expect((await admin.get(`/api/v1/entitlements/${bulk.id}`)).json()).toMatchObject({ state: "DRAFT", description: null });
  });

  it("autoDeploy on the bulk's product (PUT and PATCH) deploys the bulk entitlement", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { lm, product, distributor } = await catalog(env, admin);
    const make = async () =>
      (await admin.post("/api/v1/entitlements", { kind: "BULK", soldTo: distributor })).json() as Promise<Json>;
    const a = await make();
    const put = await admin.put(`/api/v1/entitlements/${a.id}/product`, {
      products: [{ productId: product.id }],
      licenseModelId: lm.id,
      autoDeploy: true,
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ state: "DEPLOYED", product: { licenseModelId: lm.id } });
    const b = await make();
    await admin.put(`/api/v1/entitlements/${b.id}/product`, { products: [{ productId: product.id }] });
    const patch = await admin.patch(`/api/v1/entitlements/${b.id}/product`, { licenseModelId: lm.id, autoDeploy: true });
    expect(patch.statusCode, patch.body).toBe(200);
    expect(patch.json().state).toBe("DEPLOYED");
    // Without a license model the deploy is refused and the product change with it.
    const c = await make();
    const bad = await admin.put(`/api/v1/entitlements/${c.id}/product`, {
      products: [{ productId: product.id }],
      autoDeploy: true,
    });
    expect(bad.statusCode, bad.body).toBeGreaterThanOrEqual(400);
    expect((await admin.get(`/api/v1/entitlements/${c.id}`)).json()).toMatchObject({ state: "DRAFT", product: null });
  });

  it("an unknown soldTo is reported once, on create and on update", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { distributor } = await catalog(env, admin);
    for (const kind of ["SIMPLE", "BULK"] as const) {
      const r = await admin.post("/api/v1/entitlements", { kind, soldTo: "NO-SUCH" });
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json().errors).toEqual([{ field: "soldTo", message: "account 'NO-SUCH' does not exist" }]);
      expect(r.json().detail).toBe("soldTo: account 'NO-SUCH' does not exist");
    }
    const bulk = (await admin.post("/api/v1/entitlements", { kind: "BULK", soldTo: distributor })).json();
    const u = await admin.patch(`/api/v1/entitlements/${bulk.id}`, { soldTo: "NO-SUCH" });
    expect(u.json().errors).toEqual([{ field: "soldTo", message: "account 'NO-SUCH' does not exist" }]);
  });
});
