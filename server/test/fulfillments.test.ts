import { expect, it } from "vitest";
import { type Jwks, verifyLicense } from "../../verifier/src/index.js";
import { ok } from "./factories.js";
import { describeEachDb } from "./helpers.js";
import { activatable, activate, auditOf } from "./licenses.js";

describeEachDb("activation", (env) => {
  it("activates a line item: a signed license that verifies for its host and not for another, downloadable, listed, audited", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, { copies: 10 });
    const r = await activate(admin, { activationId: a.activationId, hosts: [{ type: "ETHERNET", id: "00:1A:2B:3C:4D:5E" }] });
    expect(r.availableCount).toBe(9);
    expect(r.emailMessageId).toBeNull();
    const f = r.fulfillment;
    expect(f.id).toMatch(/^FID_/);
    expect(r.fileName).toBe(`${f.id}.lic`);
    expect(f).toMatchObject({
      type: "MASTER",
      state: "ACTIVE",
      source: "ONLINE",
      entitlementId: a.entitlement.entitlementId,
      activationId: a.activationId,
      lineItemId: a.lineItem.id,
      soldTo: { id: a.customer },
      hosts: [{ type: "ETHERNET", id: "001a2b3c4d5e" }],
      count: 1,
      startDate: "2026-01-01",
      expirationDate: null,
      parentFulfillmentId: null,
      policyOverridden: false,
    });
    const jwks = ok(await env.caller(null).get("/api/v1/license-keys"), 200) as Jwks;
    const good = verifyLicense(r.licenseFile, { publicKeys: jwks, host: "ETHERNET:00-1a-2b-3c-4d-5e" });
    expect(good.code).toBe("VALID");
    expect(good.claims).toMatchObject({
      fulfillmentId: f.id,
      issuer: "Test Producer",
      product: { name: a.product.name, version: "2.0" },
      features: [
        { name: "design", version: "2.0", count: null },
        { name: "render", version: "2.1", count: null },
      ],
      count: 1,
    });
    expect(verifyLicense(r.licenseFile, { publicKeys: jwks, host: "ETHERNET:00:1a:2b:3c:4d:5f" }).code).toBe("WRONG_HOST");

    const file = await admin.get(`/api/v1/fulfillments/${f.id}/license`);
    expect(file.statusCode).toBe(200);
    expect(file.headers["content-disposition"]).toBe(`attachment; filename="${f.id}.lic"`);
    expect(file.body).toBe(r.licenseFile);
    const text = await admin.get(`/api/v1/fulfillments/${f.id}/license.txt`);
    expect(text.headers["content-disposition"]).toBe(`attachment; filename="${f.id}.txt"`);
    expect(text.body).toContain(`Fulfillment ID:`);
    expect(text.body).not.toContain("BEGIN LICENSOR LICENSE");

    const detail = ok(await admin.get(`/api/v1/fulfillments/${f.id}`), 200);
    expect(detail).toMatchObject({ fulfillment: f, availableCount: 9, lineItemState: "DEPLOYED", history: [f] });
    expect(detail.usage).toEqual({
      returns: { used: 0, allowed: null },
      rehosts: { used: 0, allowed: null },
      repairs: { used: 0, allowed: null },
      window: null,
    });
    const list = ok(await admin.get(`/api/v1/fulfillments?hostId=00-1A-2B-3C-4D-5E`), 200);
    expect(list.items.map((x: { id: string }) => x.id)).toEqual([f.id]);
    expect(ok(await admin.get(`/api/v1/fulfillments?hostId=other`), 200).items).toEqual([]);
    const ent = ok(await admin.get(`/api/v1/entitlements/${a.entitlement.id}`), 200);
    expect(ent.lineItems[0]).toMatchObject({ fulfilledCount: 1, availableCount: 9 });
    expect((await auditOf(env, f.id)).map((e) => e.action)).toEqual(["fulfillment.created"]);
  });
});
