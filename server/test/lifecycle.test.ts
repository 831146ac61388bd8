import { expect, it } from "vitest";
import { TIER_DISTRIBUTOR as DIST, TIER_END_CUSTOMER as EC } from "../../common/src/enums.js";
import { expectProblem } from "./expectations.js";
import { product as createProduct, licenseModel, ok, uid } from "./factories.js";
import { type Caller, describeEachDb, PUBLISHER_ID, type TestEnv } from "./helpers.js";

/**
 * Lifecycle operations (PRODUCT.md §3 "Lifecycle operations on line items", fno-notes §5) through
 * the API on both databases: renew, upgrade, upsell, transfer an entitlement or N copies of a line
 * item, merge accounts' entitlements, lineage. Success paths assert the new records, copies
 * arithmetic, states, lineage, history and audit; refusals assert the words and that nothing changed.
 */

type Json = any;

const GEN_ENT = /^[0-9a-f]{4}(-[0-9a-f]{4}){4}$/;
const GEN_ACT = /^[0-9a-f]{4}(-[0-9a-f]{4}){5}$/;

/** Rows of every table the lifecycle commands write: a refusal leaves them all as they were. */
async function counts(env: TestEnv) {
  const c = async (t: "entitlements" | "line_items" | "entitlement_partners" | "entitlement_events" | "audit_events") =>
    Number(
      (
        await env.db
          .selectFrom(t)
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const items = await env.db
    .selectFrom("line_items")
    .select(["id", "state", "number_of_copies", "activation_id"])
    .orderBy("id")
    .execute();
  const ents = await env.db.selectFrom("entitlements").select(["id", "state", "entitlement_id"]).orderBy("id").execute();
  const partners = await env.db
    .selectFrom("entitlement_partners")
    .selectAll()
    .orderBy("entitlement_id")
    .orderBy("tier")
    .execute();
  return {
    entitlements: await c("entitlements"),
    lineItems: await c("line_items"),
    partners: await c("entitlement_partners"),
    events: await c("entitlement_events"),
    audit: await c("audit_events"),
    items,
    ents,
    partnerRows: partners,
  };
}

async function expectNothingChanged(env: TestEnv, before: Awaited<ReturnType<typeof counts>>) {
  const after = await counts(env);
  // Reading with a token bumps nothing here, but the audit of the refused call must not exist.
  expect(after).toEqual(before);
}

async function auditActions(env: TestEnv, objectId: string): Promise<string[]> {
  return (await env.db.selectFrom("audit_events").select("action").where("object_id", "=", objectId).orderBy("id").execute()).map(
    (r) => r.action,
  );
}

async function history(admin: Caller, pk: string): Promise<{ event: string; description: string }[]> {
  const res = await admin.get(`/api/v1/entitlements/${pk}/history`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items;
}

/**
 * A producer admin; a deployed license model; product CAD 1 that upgrades to CAD 2 and upsells
 * to CAD Add-on; an unrelated product; a customer, a distributor and a target customer.
 */
async function world(env: TestEnv) {
  const admin = await env.as("PRODUCER_ADMIN");
  const u = uid();
  const lm = await licenseModel(admin, { name: `LM ${u}` });
  const product = (name: string, extra: Record<string, unknown> = {}, deploy = true) =>
    createProduct(admin, { name: `${name} ${u}`, licenseModelIds: [lm.id], ...extra, state: deploy ? "DEPLOYED" : "DRAFT" });
  const v2 = await product("CAD 2");
  const addon = await product("CAD Add-on");
  const other = await product("Viewer");
  const v1 = await product("CAD 1", { upgradeToIds: [v2.id], upsellToIds: [addon.id] });
  const customer = await env.makeAccount({ id: `CUST-${u}`, name: `Customer ${u}` });
  const target = await env.makeAccount({ id: `NEW-${u}`, name: `New owner ${u}` });
  const distributor = await env.makeAccount({ id: `DIST-${u}`, type: "CHANNEL_PARTNER", name: `Distributor ${u}` });
  const line = (extra: Record<string, unknown> = {}) => ({
    products: [{ productId: v1.id, quantity: 2 }],
    licenseModelId: lm.id,
    startDate: "2025-01-01",
    term: { count: 1, unit: "YEARS" },
    numberOfCopies: 5,
    ...extra,
  });
  /** A DEPLOYED (or TEST) simple entitlement for the customer, the distributor in its tier. */
  const simple = async (opts: { lineItems?: unknown[]; test?: boolean; soldTo?: string } = {}) =>
    ok(
      await admin.post("/api/v1/entitlements", {
        kind: "SIMPLE",
        soldTo: opts.soldTo ?? customer,
        orderId: `PO-${u}`,
        channelPartners: [{ tier: DIST, accountId: distributor }],
        lineItems: opts.lineItems ?? [line()],
        test: opts.test,
        autoDeploy: !opts.test,
      }),
    );
  const liUrl = (e: Json, li: Json = e.lineItems[0]) => `/api/v1/entitlements/${e.id}/line-items/${li.id}`;
  return { admin, lm, v1, v2, addon, other, customer, target, distributor, line, simple, liUrl, product };
}

describeEachDb("lifecycle: renew", (env) => {
  it("adds a RENEWAL line item that starts where the parent ends, keeping the parent", async () => {
    const w = await world(env);
    const e = await w.simple();
    const parent = e.lineItems[0];
    const r = await ok(await w.admin.post(`${w.liUrl(e)}/actions/renew`, {}));
    expect(r.lineItem).toMatchObject({
      lineItemType: "RENEWAL",
      parentLineItemId: parent.id,
      state: "DEPLOYED",
      startDateOption: "DEFINE_NOW",
      startDate: "2026-01-01",
      isPermanent: false,
      term: { count: 1, unit: "YEARS" },
      effectiveExpirationDate: "2027-01-01",
      numberOfCopies: 5,
      fulfilledCount: 0,
      licenseModelId: w.lm.id,
      products: [{ productId: w.v1.id, quantity: 2 }],
    });
    expect(r.lineItem.activationId).toMatch(GEN_ACT);
    expect(r.lineItem.activationId).not.toBe(parent.activationId);
    expect(r.entitlement.id).toBe(e.id);
    expect(r.entitlement.lineItems).toHaveLength(2);
    expect(r.entitlement.lineItems[0]).toMatchObject({ id: parent.id, state: "DEPLOYED", numberOfCopies: 5 });
    const h = await history(w.admin, e.id);
    expect(h.at(-1)).toMatchObject({ event: "EVENT_PROPERTY_CHANGED" });
    expect(h.at(-1)?.description).toContain(`Line item ${parent.activationId} renewed: renewal ${r.lineItem.activationId}`);
    expect(await auditActions(env, r.lineItem.id)).toEqual(["entitlement.line_item_renewed"]);
  });

  it("takes a term, an expiration date, a start date and a number of copies", async () => {
    const w = await world(env);
    const e = await w.simple();
    const a = await ok(
      await w.admin.post(`${w.liUrl(e)}/actions/renew`, { term: { count: 6, unit: "MONTHS" }, numberOfCopies: 8 }),
    );
    expect(a.lineItem).toMatchObject({ startDate: "2026-01-01", term: { count: 6, unit: "MONTHS" }, numberOfCopies: 8 });
    const b = await ok(
      await w.admin.post(`${w.liUrl(e)}/actions/renew`, { startDate: "2026-02-01", expirationDate: "2028-01-01" }),
    );
    expect(b.lineItem).toMatchObject({ startDate: "2026-02-01", term: null, expirationDate: "2028-01-01", numberOfCopies: 5 });
    // A renewal can itself be renewed: it starts where the renewal ends.
    const c = await ok(await w.admin.post(`${w.liUrl(e, a.lineItem)}/actions/renew`, {}));
    expect(c.lineItem).toMatchObject({
      parentLineItemId: a.lineItem.id,
      startDate: "2026-07-01",
      term: { count: 6, unit: "MONTHS" },
    });
  });

  it("renews on a TEST entitlement into a TEST line item, DRAFT catalog allowed", async () => {
    const w = await world(env);
    const draft = await w.product("Beta", {}, false);
    const e = await w.simple({ test: true, lineItems: [w.line({ products: [{ productId: draft.id }] })] });
    expect(e.state).toBe("TEST");
    const r = await ok(await w.admin.post(`${w.liUrl(e)}/actions/renew`, {}));
    expect(r.lineItem).toMatchObject({ state: "TEST", lineItemType: "RENEWAL", parentLineItemId: e.lineItems[0].id });
  });

  it("refuses INACTIVE and OBSOLETE entitlements, DRAFT and permanent line items, and renewals that do not extend", async () => {
    const w = await world(env);
    const inactive = await w.simple();
    await ok(await w.admin.post(`/api/v1/entitlements/${inactive.id}/actions/change-state`, { state: "INACTIVE" }), 200);
    const obsolete = await w.simple();
    await ok(await w.admin.post(`/api/v1/entitlements/${obsolete.id}/actions/change-state`, { state: "OBSOLETE" }), 200);
    const permanent = await w.simple({ lineItems: [w.line({ term: null, isPermanent: true })] });
    const deployed = await w.simple();
    const added = await ok(await w.admin.post(`/api/v1/entitlements/${deployed.id}/line-items`, { lineItems: [w.line()] }), 200);
    const draftItem = added.lineItems[1];
    expect(draftItem.state).toBe("DRAFT");
    const deferred = await w.simple({
      lineItems: [w.line({ startDateOption: "DEFINE_AT_FIRST_ACTIVATION", startDate: null })],
    });
    const before = await counts(env);
    expectProblem(
      await w.admin.post(`${w.liUrl(inactive)}/actions/renew`, {}),
      409,
      "invalid_state",
      undefined,
      `Entitlement ${inactive.entitlementId} is INACTIVE`,
      "cannot be renewed",
    );
    expectProblem(
      await w.admin.post(`${w.liUrl(obsolete)}/actions/renew`, {}),
      409,
      "invalid_state",
      undefined,
      "is OBSOLETE; nothing new can be done with it",
    );
    expectProblem(
      await w.admin.post(`${w.liUrl(permanent)}/actions/renew`, {}),
      409,
      "invalid_state",
      "isPermanent",
      "is permanent; there is nothing to renew",
    );
    expectProblem(
      await w.admin.post(`${w.liUrl(deployed, draftItem)}/actions/renew`, {}),
      409,
      "invalid_state",
      undefined,
      `Line item ${draftItem.activationId} is DRAFT; only DEPLOYED or TEST line items can be renewed`,
    );
    expectProblem(
      await w.admin.post(`${w.liUrl(deployed)}/actions/renew`, { expirationDate: "2025-06-01" }),
      400,
      "validation_failed",
      "expirationDate",
    );
    expectProblem(
      await w.admin.post(`${w.liUrl(deployed)}/actions/renew`, { startDate: "2024-01-01", term: { count: 1, unit: "DAYS" } }),
      400,
      "validation_failed",
      "term",
      "not after the current expiry 2026-01-01",
    );
    expectProblem(
      await w.admin.post(`${w.liUrl(deferred)}/actions/renew`, {}),
      400,
      "validation_failed",
      "startDate",
      "first activation",
    );
    expectProblem(await w.admin.post(`/api/v1/entitlements/${deployed.id}/line-items/nope/actions/renew`, {}), 404, "not_found");
    await expectNothingChanged(env, before);
  });
});

describeEachDb("lifecycle: upgrade", (env) => {
  it("upgrades all copies to the related product and retires the parent", async () => {
    const w = await world(env);
    const e = await w.simple();
    const parent = e.lineItems[0];
    const r = await ok(await w.admin.post(`${w.liUrl(e)}/actions/upgrade`, { productId: w.v2.id }));
    expect(r.lineItem).toMatchObject({
      lineItemType: "UPGRADE",
      parentLineItemId: parent.id,
      state: "DEPLOYED",
      numberOfCopies: 5,
      products: [{ productId: w.v2.id, quantity: 2 }],
      licenseModelId: w.lm.id,
      startDate: "2025-01-01",
      term: { count: 1, unit: "YEARS" },
    });
    expect(r.lineItem.activationId).toMatch(GEN_ACT);
    expect(r.entitlement.lineItems.find((li: Json) => li.id === parent.id)).toMatchObject({
      state: "OBSOLETE",
      numberOfCopies: 5,
      activationId: parent.activationId,
    });
    const h = await history(w.admin, e.id);
    expect(h.slice(-2).map((x) => x.event)).toEqual(["EVENT_PROPERTY_CHANGED", "EVENT_STATE_CHANGED"]);
    expect(h.at(-2)?.description).toContain(`upgraded to 'CAD 2`);
    expect(h.at(-1)?.description).toBe(`Line item ${parent.activationId}: DEPLOYED → OBSOLETE (upgraded)`);
    expect(await auditActions(env, r.lineItem.id)).toEqual(["entitlement.line_item_upgraded"]);
    // The retired parent cannot be upgraded again.
    expectProblem(
      await w.admin.post(`${w.liUrl(e)}/actions/upgrade`, { productId: w.v2.id }),
      409,
      "invalid_state",
      undefined,
      `Line item ${parent.activationId} is OBSOLETE`,
    );
  });

  it("upgrades part of the copies: the parent keeps the rest", async () => {
    const w = await world(env);
    const e = await w.simple();
    await env.db.updateTable("line_items").set({ fulfilled_count: 3 }).where("id", "=", e.lineItems[0].id).execute();
    const r = await ok(await w.admin.post(`${w.liUrl(e)}/actions/upgrade`, { productId: w.v2.id, count: 2 }));
    expect(r.lineItem).toMatchObject({ numberOfCopies: 2, parentLineItemId: e.lineItems[0].id, fulfilledCount: 0 });
    expect(r.entitlement.lineItems[0]).toMatchObject({ state: "DEPLOYED", numberOfCopies: 3, fulfilledCount: 3 });
    expect((await history(w.admin, e.id)).at(-1)?.description).toContain(`${e.lineItems[0].activationId} keeps 3 copies`);
  });

  it("keeps the parent of a full upgrade when retireParent is false", async () => {
    const w = await world(env);
    const e = await w.simple();
    const r = await ok(await w.admin.post(`${w.liUrl(e)}/actions/upgrade`, { productId: w.v2.id, retireParent: false }));
    expect(r.lineItem.numberOfCopies).toBe(5);
    expect(r.entitlement.lineItems[0]).toMatchObject({ state: "DEPLOYED", numberOfCopies: 5 });
  });

  it("upgrades on a TEST entitlement into a TEST line item", async () => {
    const w = await world(env);
    const e = await w.simple({ test: true });
    const r = await ok(await w.admin.post(`${w.liUrl(e)}/actions/upgrade`, { productId: w.v2.id, count: 1 }));
    expect(r.lineItem).toMatchObject({ state: "TEST", lineItemType: "UPGRADE", numberOfCopies: 1 });
    expect(r.entitlement.lineItems[0]).toMatchObject({ state: "TEST", numberOfCopies: 4 });
  });

  it("refuses unrelated products, too many copies, dropping below fulfilled, and INACTIVE entitlements", async () => {
    const w = await world(env);
    const e = await w.simple();
    const inactive = await w.simple();
    await ok(await w.admin.post(`/api/v1/entitlements/${inactive.id}/actions/change-state`, { state: "INACTIVE" }), 200);
    await env.db.updateTable("line_items").set({ fulfilled_count: 4 }).where("id", "=", e.lineItems[0].id).execute();
    const before = await counts(env);
    const url = `${w.liUrl(e)}/actions/upgrade`;
    expectProblem(
      await w.admin.post(url, { productId: w.other.id }),
      400,
      "validation_failed",
      "productId",
      `product 'Viewer`,
      "is not an upgrade of",
      "it can be upgraded to 'CAD 2",
    );
    expectProblem(await w.admin.post(url, { productId: w.addon.id }), 400, "validation_failed", "productId", "not an upgrade");
    expectProblem(await w.admin.post(url, { productId: "nope" }), 400, "validation_failed", "productId", "does not exist");
    expectProblem(
      await w.admin.post(url, { productId: w.v2.id, count: 6 }),
      400,
      "validation_failed",
      "count",
      "has only 5 copies; 6 cannot move",
    );
    expectProblem(
      await w.admin.post(url, { productId: w.v2.id, count: 2 }),
      409,
      "invalid_state",
      "count",
      "cannot drop to 3 copies: 4 of its copies are fulfilled",
    );
    expectProblem(await w.admin.post(url, { productId: w.v2.id }), 409, "invalid_state", "count", "cannot give up all 5 copies");
    expectProblem(
      await w.admin.post(url, { productId: w.v2.id, count: 1, retireParent: true }),
      400,
      "validation_failed",
      "retireParent",
    );
    expectProblem(
      await w.admin.post(`${w.liUrl(inactive)}/actions/upgrade`, { productId: w.v2.id }),
      409,
      "invalid_state",
      undefined,
      "is INACTIVE; it cannot be upgraded",
    );
    await expectNothingChanged(env, before);
  });
});

describeEachDb("lifecycle: upsell", (env) => {
  it("adds copies of the same products, keeping the parent", async () => {
    const w = await world(env);
    const e = await w.simple();
    const r = await ok(await w.admin.post(`${w.liUrl(e)}/actions/upsell`, { additionalCopies: 3 }));
    expect(r.lineItem).toMatchObject({
      lineItemType: "UPSELL",
      parentLineItemId: e.lineItems[0].id,
      state: "DEPLOYED",
      numberOfCopies: 3,
      products: [{ productId: w.v1.id, quantity: 2 }],
      term: { count: 1, unit: "YEARS" },
    });
    expect(r.entitlement.lineItems[0]).toMatchObject({ state: "DEPLOYED", numberOfCopies: 5 });
    expect((await history(w.admin, e.id)).at(-1)?.description).toContain("upsold: upsell");
    expect(await auditActions(env, r.lineItem.id)).toEqual(["entitlement.line_item_upsold"]);
  });

  it("adds the features of an upsell product, as many copies as the parent by default", async () => {
    const w = await world(env);
    const e = await w.simple();
    const r = await ok(await w.admin.post(`${w.liUrl(e)}/actions/upsell`, { productId: w.addon.id }));
    expect(r.lineItem).toMatchObject({ numberOfCopies: 5, products: [{ productId: w.addon.id }], lineItemType: "UPSELL" });
  });

  it("refuses products not related as upsell, OBSOLETE entitlements and bad copies", async () => {
    const w = await world(env);
    const e = await w.simple();
    const obsolete = await w.simple();
    await ok(await w.admin.post(`/api/v1/entitlements/${obsolete.id}/actions/change-state`, { state: "OBSOLETE" }), 200);
    const before = await counts(env);
    expectProblem(
      await w.admin.post(`${w.liUrl(e)}/actions/upsell`, { productId: w.v2.id }),
      400,
      "validation_failed",
      "productId",
      "is not an upsell of",
    );
    expectProblem(await w.admin.post(`${w.liUrl(e)}/actions/upsell`, { additionalCopies: 0 }), 400, "validation_failed");
    expectProblem(
      await w.admin.post(`${w.liUrl(obsolete)}/actions/upsell`, {}),
      409,
      "invalid_state",
      undefined,
      "is OBSOLETE; nothing new can be done with it, so it cannot be upsold",
    );
    await expectNothingChanged(env, before);
  });
});

describeEachDb("lifecycle: transfer an entitlement", (env) => {
  it("keeps the IDs on the new entitlement and renames the source's, which becomes OBSOLETE", async () => {
    const w = await world(env);
    const e = await w.simple({ lineItems: [w.line(), w.line({ numberOfCopies: 1 })] });
    const renewal = (await ok(await w.admin.post(`${w.liUrl(e)}/actions/renew`, {}))).lineItem;
    const src = (await w.admin.get(`/api/v1/entitlements/${e.id}`)).json();
    const oldUser = await env.as("CUSTOMER_PORTAL_USER", w.customer);
    const newUser = await env.as("CUSTOMER_PORTAL_USER", w.target);
    const t = await ok(await w.admin.post(`/api/v1/entitlements/${e.id}/actions/transfer`, { accountId: w.target }));
    const ne = t.entitlement;
    expect(ne).toMatchObject({
      entitlementId: e.entitlementId,
      kind: "SIMPLE",
      state: "DEPLOYED",
      soldTo: w.target,
      orderId: e.orderId,
      shipToEmail: null,
    });
    expect(ne.id).not.toBe(e.id);
    expect(ne.channelPartners).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ tier: EC, accountId: w.target, currentOwner: true }),
        expect.objectContaining({ tier: DIST, accountId: w.distributor, currentOwner: false }),
      ]),
    );
    expect(ne.channelPartners).toHaveLength(2);
    expect(ne.lineItems.map((li: Json) => li.activationId)).toEqual(src.lineItems.map((li: Json) => li.activationId));
    expect(ne.lineItems.map((li: Json) => li.parentLineItemId)).toEqual(src.lineItems.map((li: Json) => li.id));
    expect(ne.lineItems.map((li: Json) => [li.state, li.numberOfCopies, li.fulfilledCount, li.lineItemType])).toEqual([
      ["DEPLOYED", 5, 0, null],
      ["DEPLOYED", 1, 0, null],
      ["DEPLOYED", 5, 0, "RENEWAL"],
    ]);
    const source = t.source;
    expect(source.id).toBe(e.id);
    expect(source.state).toBe("OBSOLETE");
    expect(source.soldTo).toBe(w.customer);
    const suffix = source.entitlementId.slice(e.entitlementId.length);
    expect(suffix).toMatch(/^-TRANSFERRED-\d{13}$/);
    expect(source.lineItems.map((li: Json) => [li.activationId, li.state])).toEqual(
      src.lineItems.map((li: Json) => [`${li.activationId}${suffix}`, "OBSOLETE"]),
    );
    const hs = await history(w.admin, e.id);
    expect(hs.slice(-2).map((x) => x.event)).toEqual(["EVENT_STATE_CHANGED", "EVENT_TRANSFERRED"]);
    expect(hs.at(-1)?.description).toContain(`Transferred from account '${w.customer}' to account '${w.target}'`);
    expect(hs.at(-1)?.description).toContain(`renamed ${source.entitlementId}`);
    const hn = await history(w.admin, ne.id);
    expect(hn.map((x) => x.event)).toEqual(["EVENT_CREATED", "EVENT_TRANSFERRED"]);
    expect(hn[1]?.description).toContain(`from account '${w.customer}' (entitlement ${source.entitlementId})`);
    expect(await auditActions(env, e.id)).toContain("entitlement.transferred");
    expect(await auditActions(env, ne.id)).toEqual(["entitlement.created"]);
    // The new owner sees the new one; the old owner only the obsolete source.
    expect((await newUser.get(`/api/v1/entitlements/${ne.id}`)).statusCode).toBe(200);
    expect((await oldUser.get(`/api/v1/entitlements/${ne.id}`)).statusCode).toBe(404);
    expect((await oldUser.get(`/api/v1/entitlements/${e.id}`)).json().state).toBe("OBSOLETE");
    // The renewal's lineage runs back through the source entitlement.
    const lin = await ok(await w.admin.get(`/api/v1/entitlements/${ne.id}/line-items/${ne.lineItems[2].id}/lineage`), 200);
    expect(lin.lineItem.relation).toBe("TRANSFER");
    expect(lin.ancestors.map((a: Json) => [a.id, a.relation])).toEqual([
      [renewal.id, "RENEWAL"],
      [e.lineItems[0].id, null],
    ]);
    // Nothing more can be done with the source.
    expectProblem(
      await w.admin.post(`/api/v1/entitlements/${e.id}/actions/transfer`, { accountId: w.customer }),
      409,
      "invalid_state",
      undefined,
      "is OBSOLETE",
    );
  });

  it("generates new IDs with keepIds false and leaves the source's as they were", async () => {
    const w = await world(env);
    const e = await w.simple();
    const t = await ok(
      await w.admin.post(`/api/v1/entitlements/${e.id}/actions/transfer`, { accountId: w.target, keepIds: false }),
    );
    expect(t.entitlement.entitlementId).toMatch(GEN_ENT);
    expect(t.entitlement.entitlementId).not.toBe(e.entitlementId);
    expect(t.entitlement.lineItems[0].activationId).toMatch(GEN_ACT);
    expect(t.entitlement.lineItems[0].activationId).not.toBe(e.lineItems[0].activationId);
    expect(t.source).toMatchObject({ entitlementId: e.entitlementId, state: "OBSOLETE" });
    expect(t.source.lineItems[0]).toMatchObject({ activationId: e.lineItems[0].activationId, state: "OBSOLETE" });
  });

  it("transfers a TEST entitlement and one redeemed from a key (the key keeps pointing at the source)", async () => {
    const w = await world(env);
    const test = await w.simple({ test: true });
    const tt = await ok(await w.admin.post(`/api/v1/entitlements/${test.id}/actions/transfer`, { accountId: w.target }));
    expect(tt.entitlement.state).toBe("TEST");
    expect(tt.entitlement.lineItems[0].state).toBe("TEST");
    expect(tt.source.state).toBe("OBSOLETE");

    const bulk = await ok(
      await w.admin.post("/api/v1/entitlements", {
        kind: "BULK",
        soldTo: w.distributor,
        product: { products: [{ productId: w.v1.id }], licenseModelId: w.lm.id, numberOfCopies: 2 },
        autoDeploy: true,
      }),
    );
    const gen = await w.admin.post(`/api/v1/entitlements/${bulk.id}/keys/generate`, { count: 1 });
    expect(gen.statusCode, gen.body).toBeLessThan(300);
    const key = (await w.admin.get(`/api/v1/entitlements/${bulk.id}/keys`)).json().items[0].key as string;
    const red = await w.admin.post("/api/v1/redemptions", { key, soldTo: w.customer });
    expect([200, 201], red.body).toContain(red.statusCode);
    const spawned = red.json().entitlement;
    const t = await ok(await w.admin.post(`/api/v1/entitlements/${spawned.id}/actions/transfer`, { accountId: w.target }));
    expect(t.entitlement).toMatchObject({ entitlementId: `${key}ENT`, parentBulkId: bulk.id, soldTo: w.target });
    expect(t.entitlement.lineItems[0]).toMatchObject({ activationId: key, parentLineItemId: spawned.lineItems[0].id });
    expect(t.source.lineItems[0].activationId).toMatch(new RegExp(`^${key}-TRANSFERRED-\\d+$`));
    const k = await env.db
      .selectFrom("web_register_keys")
      .select(["entitlement_id", "sold_to"])
      .where("key", "=", key)
      .executeTakeFirstOrThrow();
    // The key follows its entitlement to the new owner; re-entering it finds the new entitlement.
    expect(k).toEqual({ entitlement_id: t.entitlement.id, sold_to: w.target });
    expect((await history(w.admin, spawned.id)).at(-1)?.description).toContain(
      "its redeemed key now refers to the new entitlement",
    );
    const again = await w.admin.post("/api/v1/redemptions", { key, soldTo: w.target });
    expect(again.statusCode).toBe(200);
    expect(again.json().entitlement.id).toBe(t.entitlement.id);

    // A bulk entitlement is never transferred.
    const before = await counts(env);
    expectProblem(
      await w.admin.post(`/api/v1/entitlements/${bulk.id}/actions/transfer`, { accountId: w.target }),
      409,
      "invalid_state",
      undefined,
      "a bulk entitlement cannot be transferred — it can be split",
    );
    await expectNothingChanged(env, before);
  });

  it("refuses fulfillments, unknown and producer targets, and the current owner", async () => {
    const w = await world(env);
    const e = await w.simple({ lineItems: [w.line(), w.line()] });
    await env.db.updateTable("line_items").set({ fulfilled_count: 1 }).where("id", "=", e.lineItems[1].id).execute();
    const clean = await w.simple();
    const before = await counts(env);
    expectProblem(
      await w.admin.post(`/api/v1/entitlements/${e.id}/actions/transfer`, { accountId: w.target }),
      409,
      "invalid_state",
      undefined,
      `line item ${e.lineItems[1].activationId} (1)`,
      "return the fulfillments first",
    );
    const url = `/api/v1/entitlements/${clean.id}/actions/transfer`;
    expectProblem(await w.admin.post(url, { accountId: "NOBODY" }), 400, "validation_failed", "accountId", "does not exist");
    expectProblem(
      await w.admin.post(url, { accountId: PUBLISHER_ID }),
      400,
      "validation_failed",
      "accountId",
      "the producer's own account cannot hold entitlements",
    );
    expectProblem(await w.admin.post(url, { accountId: w.customer }), 400, "validation_failed", "accountId", "already belongs");
    expectProblem(await w.admin.post(url, {}), 400, "validation_failed");
    await expectNothingChanged(env, before);
  });
});

describeEachDb("lifecycle: transfer copies of a line item", (env) => {
  it("moves N copies into a new entitlement of the target; the source keeps the rest", async () => {
    const w = await world(env);
    const e = await w.simple();
    const src = e.lineItems[0];
    await env.db.updateTable("line_items").set({ fulfilled_count: 2 }).where("id", "=", src.id).execute();
    const t = await ok(await w.admin.post(`${w.liUrl(e)}/actions/transfer`, { accountId: w.target, count: 3 }));
    const ne = t.entitlement;
    expect(ne.entitlementId).toMatch(GEN_ENT);
    expect(ne).toMatchObject({ kind: "SIMPLE", state: "DEPLOYED", soldTo: w.target, orderId: e.orderId });
    expect(ne.channelPartners).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ tier: EC, accountId: w.target, currentOwner: true }),
        expect.objectContaining({ tier: DIST, accountId: w.distributor, currentOwner: false }),
      ]),
    );
    expect(ne.lineItems).toHaveLength(1);
    expect(ne.lineItems[0]).toMatchObject({
      numberOfCopies: 3,
      fulfilledCount: 0,
      state: "DEPLOYED",
      parentLineItemId: src.id,
      products: [{ productId: w.v1.id, quantity: 2 }],
      term: { count: 1, unit: "YEARS" },
      startDate: "2025-01-01",
    });
    expect(ne.lineItems[0].activationId).toMatch(GEN_ACT);
    expect(t.source.lineItems[0]).toMatchObject({
      id: src.id,
      activationId: src.activationId,
      numberOfCopies: 2,
      fulfilledCount: 2,
      state: "DEPLOYED",
    });
    expect(t.source.state).toBe("DEPLOYED");
    const hs = await history(w.admin, e.id);
    expect(hs.at(-1)).toMatchObject({ event: "EVENT_TRANSFERRED" });
    expect(hs.at(-1)?.description).toContain(
      `3 of 5 copies of line item ${src.activationId} transferred from account '${w.customer}' to account '${w.target}'`,
    );
    expect((await history(w.admin, ne.id)).map((x) => x.event)).toEqual(["EVENT_CREATED", "EVENT_TRANSFERRED"]);
    expect(await auditActions(env, src.id)).toEqual(["entitlement.line_item_transferred"]);
    expect(await auditActions(env, ne.id)).toEqual(["entitlement.created"]);
  });

  it("moves all copies keeping the activation ID: the source item is renamed and OBSOLETE", async () => {
    const w = await world(env);
    const e = await w.simple();
    const src = e.lineItems[0];
    const t = await ok(await w.admin.post(`${w.liUrl(e)}/actions/transfer`, { accountId: w.target, count: 5, keepIds: true }));
    expect(t.entitlement.lineItems[0]).toMatchObject({
      activationId: src.activationId,
      numberOfCopies: 5,
      parentLineItemId: src.id,
    });
    expect(t.source.lineItems[0].state).toBe("OBSOLETE");
    expect(t.source.lineItems[0].activationId).toMatch(new RegExp(`^${src.activationId}-TRANSFERRED-\\d{13}$`));
    expect((await history(w.admin, e.id)).at(-1)?.event).toBe("EVENT_STATE_CHANGED");
  });

  it("refuses more copies than the item has, dropping below fulfilled, partial keepIds, and bad targets", async () => {
    const w = await world(env);
    const e = await w.simple();
    await env.db.updateTable("line_items").set({ fulfilled_count: 4 }).where("id", "=", e.lineItems[0].id).execute();
    const before = await counts(env);
    const url = `${w.liUrl(e)}/actions/transfer`;
    expectProblem(await w.admin.post(url, { accountId: w.target, count: 6 }), 400, "validation_failed", "count", "only 5 copies");
    expectProblem(
      await w.admin.post(url, { accountId: w.target, count: 2 }),
      409,
      "invalid_state",
      "count",
      "cannot drop to 3 copies: 4 of its copies are fulfilled",
    );
    expectProblem(
      await w.admin.post(url, { accountId: w.target, count: 5 }),
      409,
      "invalid_state",
      "count",
      "return the fulfillments first",
    );
    expectProblem(
      await w.admin.post(url, { accountId: w.target, count: 1, keepIds: true }),
      400,
      "validation_failed",
      "keepIds",
      "only when all 5 copies move",
    );
    expectProblem(await w.admin.post(url, { accountId: "NOBODY", count: 1 }), 400, "validation_failed", "accountId");
    expectProblem(await w.admin.post(url, { accountId: PUBLISHER_ID, count: 1 }), 400, "validation_failed", "accountId");
    await expectNothingChanged(env, before);
  });
});

describeEachDb("lifecycle: merge accounts' entitlements", (env) => {
  it("gives every tier of the source to the target, which may then hold two tiers; no End Customer is lost", async () => {
    const w = await world(env);
    const a = w.customer;
    const b = w.target;
    const e1 = await w.simple(); // EC a (owner), Distributor d
    const e2 = await ok(
      await w.admin.post("/api/v1/entitlements", {
        kind: "SIMPLE",
        soldTo: a,
        channelPartners: [{ tier: DIST, accountId: b }],
      }),
    ); // EC a (owner), Distributor b
    const other = await ok(
      await w.admin.post("/api/v1/entitlements", { kind: "BULK", soldTo: await env.makeAccount({ type: "CHANNEL_PARTNER" }) }),
    );
    const unrelated = await w.simple({ soldTo: await env.makeAccount() });
    const before = await counts(env);
    const r = await ok(await w.admin.post(`/api/v1/accounts/${a}/actions/merge-entitlements`, { intoAccountId: b }), 200);
    expect(r).toEqual({ fromAccountId: a, intoAccountId: b, count: 2, movedTiers: 2 });
    const g1 = (await w.admin.get(`/api/v1/entitlements/${e1.id}`)).json();
    expect(g1.soldTo).toBe(b);
    expect(g1.channelPartners.map((p: Json) => [p.tier, p.accountId, p.currentOwner]).sort()).toEqual(
      [
        [DIST, w.distributor, false],
        [EC, b, true],
      ].sort(),
    );
    // b was already its Distributor: it now holds the End Customer tier (and the ownership) too.
    const g2 = (await w.admin.get(`/api/v1/entitlements/${e2.id}`)).json();
    expect(g2.soldTo).toBe(b);
    expect(g2.channelPartners.map((p: Json) => [p.tier, p.accountId, p.currentOwner]).sort()).toEqual(
      [
        [DIST, b, false],
        [EC, b, true],
      ].sort(),
    );
    for (const e of [e1, e2]) {
      const h = await history(w.admin, e.id);
      expect(h.at(-1)).toMatchObject({ event: "EVENT_TRANSFERRED" });
      expect(h.at(-1)?.description).toContain(`Account '${a}' merged into '${b}'`);
    }
    expect((await history(w.admin, e2.id)).at(-1)?.description).toContain(`tier ${EC} moved`);
    // Entitlements the source account is not on are untouched.
    const after = await counts(env);
    for (const e of [other, unrelated]) {
      expect(after.partnerRows.filter((p) => p.entitlement_id === e.id)).toEqual(
        before.partnerRows.filter((p) => p.entitlement_id === e.id),
      );
    }
    expect(await auditActions(env, a)).toContain("account.entitlements_merged");
    expect(await auditActions(env, b)).toContain("account.entitlements_merged");
    // A second merge finds nothing left.
    expect(
      await ok(await w.admin.post(`/api/v1/accounts/${a}/actions/merge-entitlements`, { intoAccountId: b }), 200),
    ).toMatchObject({ count: 0 });
  });

  it("keeps a contact who is also a user of the target and clears one who is not", async () => {
    const w = await world(env);
    const a = w.customer;
    const b = w.target;
    const onlyA = await env.makeUser({ role: "CUSTOMER_PORTAL_USER", accountId: a });
    const both = await env.makeUser({ role: "CUSTOMER_PORTAL_USER", accountId: a });
    await env.db.insertInto("user_roles").values({ user_id: both.userId, account_id: b, role: "CUSTOMER_PORTAL_USER" }).execute();
    const withContact = async (userId: string) =>
      ok(
        await w.admin.post("/api/v1/entitlements", {
          kind: "SIMPLE",
          soldTo: a,
          channelPartners: [{ tier: EC, accountId: a, contactUserId: userId }],
        }),
      );
    const cleared = await withContact(onlyA.userId);
    const kept = await withContact(both.userId);
    await ok(await w.admin.post(`/api/v1/accounts/${a}/actions/merge-entitlements`, { intoAccountId: b }), 200);
    const ec = async (id: string) =>
      (await w.admin.get(`/api/v1/entitlements/${id}`)).json().channelPartners.find((p: Json) => p.tier === EC);
    expect(await ec(cleared.id)).toMatchObject({ accountId: b, contactUserId: null, currentOwner: true });
    expect(await ec(kept.id)).toMatchObject({ accountId: b, contactUserId: both.userId, currentOwner: true });
  });

  it("moves both tiers of a bulk entitlement and refuses unknown, producer and same accounts", async () => {
    const w = await world(env);
    const partner = await env.makeAccount({ type: "CHANNEL_PARTNER" });
    const bulk = await ok(await w.admin.post("/api/v1/entitlements", { kind: "BULK", soldTo: partner }));
    const r = await ok(
      await w.admin.post(`/api/v1/accounts/${partner}/actions/merge-entitlements`, { intoAccountId: w.distributor }),
      200,
    );
    expect(r).toMatchObject({ count: 1, movedTiers: 2 });
    const g = (await w.admin.get(`/api/v1/entitlements/${bulk.id}`)).json();
    expect(g.soldTo).toBe(w.distributor);
    expect(g.channelPartners.every((p: Json) => p.accountId === w.distributor)).toBe(true);
    expect(g.channelPartners.filter((p: Json) => p.currentOwner)).toHaveLength(1);

    await w.simple();
    const before = await counts(env);
    const url = `/api/v1/accounts/${w.customer}/actions/merge-entitlements`;
    expectProblem(
      await w.admin.post(url, { intoAccountId: "NOBODY" }),
      400,
      "validation_failed",
      "intoAccountId",
      "does not exist",
    );
    expectProblem(
      await w.admin.post(url, { intoAccountId: PUBLISHER_ID }),
      400,
      "validation_failed",
      "intoAccountId",
      "producer's own account",
    );
    expectProblem(await w.admin.post(url, { intoAccountId: w.customer }), 400, "validation_failed", "intoAccountId");
    expectProblem(
      await w.admin.post("/api/v1/accounts/NOBODY/actions/merge-entitlements", { intoAccountId: w.target }),
      404,
      "not_found",
    );
    await expectNothingChanged(env, before);
  });
});

describeEachDb("lifecycle: lineage", (env) => {
  it("lists ancestors and descendants across entitlements, and only visible ones to portal users", async () => {
    const w = await world(env);
    const e = await w.simple();
    const p = e.lineItems[0];
    const r = (await ok(await w.admin.post(`${w.liUrl(e)}/actions/renew`, {}))).lineItem;
    const u = (await ok(await w.admin.post(`${w.liUrl(e, r)}/actions/upgrade`, { productId: w.v2.id, count: 2 }))).lineItem;
    const t = await ok(await w.admin.post(`${w.liUrl(e, u)}/actions/transfer`, { accountId: w.target, count: 1 }));
    const ti = t.entitlement.lineItems[0];

    const ofR = await ok(await w.admin.get(`${w.liUrl(e, r)}/lineage`), 200);
    expect(ofR.lineItem).toMatchObject({ id: r.id, relation: "RENEWAL", depth: 0, lineItemType: "RENEWAL" });
    expect(ofR.ancestors).toEqual([
      {
        id: p.id,
        activationId: p.activationId,
        entitlement: { id: e.id, entitlementId: e.entitlementId, state: "DEPLOYED" },
        lineItemType: null,
        state: "DEPLOYED",
        numberOfCopies: 5,
        fulfilledCount: 0,
        parentLineItemId: null,
        relation: null,
        depth: 1,
      },
    ]);
    expect(ofR.descendants.map((d: Json) => [d.id, d.relation, d.depth, d.numberOfCopies, d.entitlement.id])).toEqual([
      [u.id, "UPGRADE", 1, 1, e.id],
      [ti.id, "TRANSFER", 2, 1, t.entitlement.id],
    ]);
    const ofT = await ok(await w.admin.get(`/api/v1/entitlements/${t.entitlement.id}/line-items/${ti.id}/lineage`), 200);
    expect(ofT.ancestors.map((a: Json) => a.id)).toEqual([u.id, r.id, p.id]);
    expect(ofT.descendants).toEqual([]);

    const newOwner = await env.as("CUSTOMER_PORTAL_USER", w.target);
    const seen = await ok(await newOwner.get(`/api/v1/entitlements/${t.entitlement.id}/line-items/${ti.id}/lineage`), 200);
    expect(seen.lineItem.relation).toBe("TRANSFER");
    expect(seen.ancestors).toEqual([]);
    expect((await newOwner.get(`${w.liUrl(e, r)}/lineage`)).statusCode).toBe(404);
    expect((await w.admin.get(`/api/v1/entitlements/${e.id}/line-items/${ti.id}/lineage`)).statusCode).toBe(404);
  });
});
