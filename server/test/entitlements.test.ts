import { expect, it } from "vitest";
import { TIER_DISTRIBUTOR, TIER_END_CUSTOMER } from "../../common/src/enums.js";
import { catalog } from "./factories.js";
import { describeEachDb } from "./helpers.js";

describeEachDb("entitlements", (env) => {
  it("walks the seed: create bulk, add product, deploy, find it, see its history", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { lm, product, distributor } = await catalog(env, admin);
    const created = await admin.post("/api/v1/entitlements", {
      kind: "BULK",
      description: "Retail box Q4",
      shipToEmail: "ops@dist.example, licensing@dist.example",
      shipToAddress: "1 Channel Way",
      orderId: "PO-1001",
      orderLineNumber: "1",
      soldTo: distributor,
    });
    expect(created.statusCode).toBe(201);
    const e = created.json();
    expect(e).toMatchObject({
      kind: "BULK",
      state: "DRAFT",
      shipToEmail: "ops@dist.example,licensing@dist.example",
      soldTo: distributor,
      product: null,
    });
    expect(e.entitlementId).toMatch(/^[0-9a-f]{4}(-[0-9a-f]{4}){4}$/);
    expect(e.channelPartners).toEqual([
      expect.objectContaining({ tier: TIER_DISTRIBUTOR, tierName: "Distributor", accountId: distributor, currentOwner: true }),
      expect.objectContaining({ tier: TIER_END_CUSTOMER, tierName: "End Customer", accountId: distributor, currentOwner: false }),
    ]);

    const noProduct = await admin.post(`/api/v1/entitlements/${e.id}/actions/change-state`, { state: "DEPLOYED" });
    expect(noProduct.statusCode).toBe(409);
    expect(noProduct.json().detail).toContain("no product yet");

    const configured = await admin.put(`/api/v1/entitlements/${e.id}/product`, {
      products: [{ productId: product.id }],
      licenseModelId: lm.id,
      startDateOption: "DEFINE_AT_FIRST_ACTIVATION",
      term: { count: 1, unit: "YEARS" },
      numberOfCopies: 2,
    });
    expect(configured.statusCode).toBe(200);
    expect(configured.json().product).toMatchObject({
      licenseModelId: lm.id,
      isPermanent: false,
      term: { count: 1, unit: "YEARS" },
      numberOfCopies: 2,
      products: [{ productId: product.id, quantity: 1 }],
    });

    const deployed = await admin.post(`/api/v1/entitlements/${e.id}/actions/change-state`, { state: "DEPLOYED" });
    expect(deployed.statusCode).toBe(200);
    expect(deployed.json().state).toBe("DEPLOYED");

    const back = await admin.post(`/api/v1/entitlements/${e.id}/actions/change-state`, { state: "DRAFT" });
    expect(back.statusCode).toBe(409);
    expect(back.json().detail).toBe(
      `Entitlement ${e.entitlementId} cannot be moved from DEPLOYED to DRAFT; from DEPLOYED it can only go to INACTIVE or OBSOLETE.`,
    );

    const found = (await admin.get(`/api/v1/entitlements?q=PO-1001`)).json();
    expect(found.items.map((x: { id: string }) => x.id)).toEqual([e.id]);
    expect((await admin.get(`/api/v1/entitlements/count?kind=BULK&state=DEPLOYED`)).json().count).toBe(1);

    const history = (await admin.get(`/api/v1/entitlements/${e.id}/history`)).json().items;
    expect(history.map((h: { event: string }) => h.event)).toEqual([
      "EVENT_CREATED",
      "EVENT_PROPERTY_CHANGED",
      "EVENT_STATE_CHANGED",
    ]);
    expect(history[2].description).toBe("DRAFT → DEPLOYED");
    expect(history[0].user).toContain("(token)");
  });

  it("creates a simple entitlement with line items, deploys with cascade, and refuses edits once deployed", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { lm, product, customer } = await catalog(env, admin);
    const res = await admin.post("/api/v1/entitlements", {
      kind: "SIMPLE",
      soldTo: customer,
      lineItems: [
        {
          products: [{ productId: product.id, quantity: 2 }],
          licenseModelId: lm.id,
          numberOfCopies: 5,
          startDate: "2026-01-31",
          term: { count: 1, unit: "MONTHS" },
        },
        { products: [{ productId: product.id }], licenseModelId: lm.id, activationId: "MY-ACT-1" },
      ],
    });
    expect(res.statusCode).toBe(201);
    const e = res.json();
    expect(e.soldTo).toBe(customer);
    expect(e.channelPartners).toEqual([
      expect.objectContaining({ tier: TIER_END_CUSTOMER, accountId: customer, currentOwner: true }),
    ]);
    expect(e.lineItems).toHaveLength(2);
    expect(e.lineItems[0]).toMatchObject({
      state: "DRAFT",
      numberOfCopies: 5,
      availableCount: 5,
      effectiveExpirationDate: "2026-02-28",
      isPermanent: false,
    });
    expect(e.lineItems[1]).toMatchObject({ activationId: "MY-ACT-1", isPermanent: true, startDateOption: "DEFINE_NOW" });
    const dep = (await admin.post(`/api/v1/entitlements/${e.id}/actions/change-state`, { state: "DEPLOYED" })).json();
    expect(dep.lineItems.map((l: { state: string }) => l.state)).toEqual(["DEPLOYED", "DEPLOYED"]);
    const edit = await admin.patch(`/api/v1/entitlements/${e.id}`, { orderId: "X" });
    expect(edit.statusCode).toBe(409);
    expect(edit.json().code).toBe("invalid_state");
    const added = (
      await admin.post(`/api/v1/entitlements/${e.id}/line-items`, {
        lineItems: [{ products: [{ productId: product.id }], licenseModelId: lm.id }],
      })
    ).json();
    expect(added.lineItems[2].state).toBe("DRAFT");
    const li = added.lineItems[2].id;
    expect(
      (await admin.post(`/api/v1/entitlements/${e.id}/line-items/${li}/actions/change-state`, { state: "DEPLOYED" })).json()
        .lineItems[2].state,
    ).toBe("DEPLOYED");
    expect((await admin.delete(`/api/v1/entitlements/${e.id}`)).statusCode).toBe(409);
  });

  it("refuses bad fields with the field named", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { lm, product, customer } = await catalog(env, admin);
    const bad = await admin.post("/api/v1/entitlements", {
      kind: "SIMPLE",
      entitlementId: "bad/id",
      shipToEmail: "a@b.c,not-an-email",
      soldTo: "NOPE",
      lineItems: [
        { products: [{ productId: product.id }], licenseModelId: lm.id, isPermanent: true, expirationDate: "2030-01-01" },
      ],
    });
    expect(bad.statusCode).toBe(400);
    const fields = bad.json().errors.map((x: { field: string }) => x.field);
    expect(fields).toEqual(expect.arrayContaining(["entitlementId", "shipToEmail"]));
    const bad2 = await admin.post("/api/v1/entitlements", {
      kind: "SIMPLE",
      soldTo: "NOPE",
      lineItems: [
        { products: [{ productId: product.id }], licenseModelId: lm.id, isPermanent: true, expirationDate: "2030-01-01" },
      ],
    });
    expect(bad2.json().errors.map((x: { field: string }) => x.field)).toEqual(
      expect.arrayContaining(["soldTo", "lineItems[0].expirationDate"]),
    );
    expect(await env.db.selectFrom("entitlements").select("id").execute()).toHaveLength(0);
    const dup1 = await admin.post("/api/v1/entitlements", { kind: "BULK", entitlementId: "ENT-1", soldTo: customer });
    expect(dup1.statusCode).toBe(201);
    const dup2 = await admin.post("/api/v1/entitlements", { kind: "BULK", entitlementId: "ENT-1", soldTo: customer });
    expect(dup2.json()).toMatchObject({ status: 409, field: "entitlementId" });
  });
});
