import type { LightMyRequestResponse } from "fastify";
import { expect, it } from "vitest";
import { type Jwks, verifyLicense, writeActivationRequest } from "../../verifier/src/index.js";
import { bulkEntitlement, ok, simpleEntitlement } from "./factories.js";
import { describeEachDb } from "./helpers.js";
import { activatable, activate, auditOf, signingKey } from "./licenses.js";

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
      extraActivations: { used: 0, allowed: 0, inUse: 0 },
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

describeEachDb("activation of a redeemed key", (env) => {
  it("activates the line item a key was redeemed into, by the key as typed (case, dashes ignored)", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    await signingKey(env);
    const { keys, customer } = await bulkEntitlement(env, admin, {
      keys: 1,
      line: { startDateOption: "DEFINE_NOW", startDate: "2026-01-01", isPermanent: true },
    });
    const key = keys[0] as string;
    const redeemed = ok(await admin.post("/api/v1/redemptions", { key, soldTo: customer }));
    const user = await env.as("CUSTOMER_PORTAL_USER", customer);
    const typed = key.replace(/-/g, "").toLowerCase();
    const r = await activate(user, { activationId: typed, hosts: [{ id: "my-pc" }] });
    expect(r.fulfillment).toMatchObject({ activationId: key, entitlementId: redeemed.entitlement.entitlementId });
  });
});

describeEachDb("activation retried", (env) => {
  it("honours Idempotency-Key: the same request again answers the same license, taking no more copies", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, { copies: 5 });
    const body = { activationId: a.activationId, hosts: [{ id: "retry-box" }] };
    const headers = { "idempotency-key": "activate-retry-1" };
    const first = ok(await admin.post("/api/v1/activations", body, headers));
    const again = ok(await admin.post("/api/v1/activations", body, headers));
    expect(again.fulfillment.id).toBe(first.fulfillment.id);
    expect(again.licenseFile).toBe(first.licenseFile);
    const ent = ok(await admin.get(`/api/v1/entitlements/${a.entitlement.id}`), 200);
    expect(ent.lineItems[0]).toMatchObject({ fulfilledCount: 1, availableCount: 4 });
    // A used entitlement goes INACTIVE only when the setting allows it; then nothing is activated.
    const inactive = await admin.post(`/api/v1/entitlements/${a.entitlement.id}/actions/change-state`, { state: "INACTIVE" });
    expect(inactive.statusCode).toBe(409);
    ok(await admin.patch("/api/v1/settings", { allowUsedItemsInactiveObsolete: true }), 200);
    ok(await admin.post(`/api/v1/entitlements/${a.entitlement.id}/actions/change-state`, { state: "INACTIVE" }), 200);
    const refused = await admin.post("/api/v1/activations", { activationId: a.activationId, hosts: [{ id: "other" }] });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().detail).toMatch(/INACTIVE/);
  });
});

describeEachDb("activation refusals", (env) => {
  /** The refusal's status and words, and nothing changed: no fulfillment, the copies untouched. */
  async function refused(res: LightMyRequestResponse, status: number, words: RegExp, lineItemPk?: string, code?: string) {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().detail).toMatch(words);
    if (code) expect(res.json().code).toBe(code);
    const n = await env.db.selectFrom("fulfillments").select(env.db.fn.countAll().as("n")).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(0);
    if (lineItemPk) {
      const li = await env.db
        .selectFrom("line_items")
        .select(["fulfilled_count", "start_date"])
        .where("id", "=", lineItemPk)
        .executeTakeFirstOrThrow();
      expect(li.fulfilled_count).toBe(0);
    }
  }
  const host = [{ id: "box-1" }];

  it("refuses each reason in words and changes nothing", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, { copies: 3 });
    const act = (b: Record<string, unknown>) =>
      admin.post("/api/v1/activations", { activationId: a.activationId, hosts: host, ...b });

    await refused(await admin.post("/api/v1/activations", { activationId: "NO-SUCH", hosts: host }), 404, /NO-SUCH/);
    const bulk = await bulkEntitlement(env, admin);
    await refused(
      await admin.post("/api/v1/activations", { activationId: bulk.bulk.entitlementId, hosts: host }),
      400,
      /bulk entitlement's ID: no license is ever generated from it/,
    );
    await refused(await act({ hosts: [{ id: "a" }, { id: " a " }] }), 400, /same host as hosts\[0\]/, a.lineItem.id);
    await refused(await act({ count: 2 }), 400, /must equal the number of hosts \(1\)/, a.lineItem.id);
    await refused(
      await act({ hosts: [{ id: "a" }, { id: "b" }, { id: "c" }, { id: "d" }] }),
      409,
      /Only 3 of 3 copies are available; this license needs 4/,
      a.lineItem.id,
      "not_enough_copies",
    );
    await refused(await act({ attributes: { nope: 1 } }), 400, /attributes\.nope/, a.lineItem.id);

    // A license model with a required fulfillment-time attribute; FLOATING takes 1 or 3 servers.
    const f = await activatable(env, admin, {
      modelType: "FLOATING",
      attributes: [{ name: "seats", valueType: "NUMBER", time: "FULFILLMENT", required: true }],
    });
    const fact = (b: Record<string, unknown>) => admin.post("/api/v1/activations", { activationId: f.activationId, ...b });
    await refused(await fact({ hosts: host }), 400, /attributes\.seats: is required/, f.lineItem.id);
    await refused(await fact({ hosts: host, attributes: { seats: "many" } }), 400, /'many' is not a number/, f.lineItem.id);
    await refused(
      await fact({ hosts: [{ id: "s1" }, { id: "s2" }], attributes: { seats: 2 } }),
      400,
      /1 or 3 license servers/,
      f.lineItem.id,
    );

    // States: INACTIVE line item, DRAFT entitlement.
    ok(
      await admin.post(`/api/v1/entitlements/${a.entitlement.id}/line-items/${a.lineItem.id}/actions/change-state`, {
        state: "INACTIVE",
      }),
      200,
    );
    await refused(await act({}), 409, /is INACTIVE: no license can be generated/, a.lineItem.id, "invalid_state");
    const { entitlement: draft } = await simpleEntitlement(env, admin, {
      catalog: a,
      deploy: false,
      line: { startDateOption: "DEFINE_NOW", startDate: "2026-01-01", isPermanent: true },
    });
    await refused(
      await admin.post("/api/v1/activations", { activationId: draft.lineItems[0].activationId, hosts: host }),
      409,
      /is DRAFT/,
    );
    // Dates: expired, not started yet.
    const old = await activatable(env, admin, {
      line: { startDate: "2020-01-01", isPermanent: false, expirationDate: "2021-01-01" },
    });
    await refused(
      await admin.post("/api/v1/activations", { activationId: old.activationId, hosts: host }),
      409,
      /expired on 2021-01-01/,
      old.lineItem.id,
    );
    const later = await activatable(env, admin, { line: { startDate: "2099-01-01" } });
    await refused(
      await admin.post("/api/v1/activations", { activationId: later.activationId, hosts: host }),
      409,
      /starts on 2099-01-01/,
      later.lineItem.id,
    );
  });

  it("refuses a host already holding an active license for the line item with 409, leaving the copies", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, { copies: 5 });
    await activate(admin, { activationId: a.activationId, hosts: [{ type: "VM_UUID", id: "{ABCD-1234}" }] });
    const again = await admin.post("/api/v1/activations", {
      activationId: a.activationId,
      hosts: [{ id: "x" }, { type: "VM_UUID", id: "abcd1234" }],
    });
    expect(again.statusCode, again.body).toBe(409);
    expect(again.json().code).toBe("host_already_licensed");
    expect(again.json().detail).toMatch(/Host VM_UUID abcd1234 already holds an active license/);
    const ent = ok(await admin.get(`/api/v1/entitlements/${a.entitlement.id}`), 200);
    expect(ent.lineItems[0]).toMatchObject({ fulfilledCount: 1, availableCount: 4 });
    // Another type with the same text is another host.
    await activate(admin, { activationId: a.activationId, hosts: [{ type: "STRING", id: "abcd1234" }] });
  });

  it("writes the start date back at the first activation, and holds later ones to it", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, {
      line: {
        startDateOption: "DEFINE_AT_FIRST_ACTIVATION",
        startDate: undefined,
        isPermanent: false,
        term: { count: 1, unit: "YEARS" },
      },
    });
    const act = (b: Record<string, unknown>) => admin.post("/api/v1/activations", { activationId: a.activationId, ...b });
    await refused(await act({ hosts: host }), 400, /startDate: is required/, a.lineItem.id);
    const first = await activate(admin, { activationId: a.activationId, hosts: host, startDate: "2026-02-01" });
    expect(first.fulfillment).toMatchObject({ startDate: "2026-02-01", expirationDate: "2027-02-01" });
    const ent = ok(await admin.get(`/api/v1/entitlements/${a.entitlement.id}`), 200);
    expect(ent.lineItems[0].startDate).toBe("2026-02-01");
    const [created] = await auditOf(env, first.fulfillment.id);
    expect(created?.changes.lineItemStartDateSet).toEqual({ before: null, after: "2026-02-01" });
    const other = await act({ hosts: [{ id: "box-2" }], startDate: "2026-03-01" });
    expect(other.statusCode).toBe(400);
    expect(other.json().detail).toMatch(/must be absent or 2026-02-01/);
    const second = await activate(admin, { activationId: a.activationId, hosts: [{ id: "box-2" }] });
    expect(second.fulfillment.startDate).toBe("2026-02-01");
  });
});

describeEachDb("activation by customers", (env) => {
  it("a customer activates and reads its own line items; another account's are 404; a viewer only reads", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const mine = await activatable(env, admin);
    const theirs = await activatable(env, admin);
    const customer = await env.as("CUSTOMER_PORTAL_USER", mine.customer);
    const r = await activate(customer, { activationId: mine.activationId, hosts: [{ id: "laptop" }] });
    expect(r.fulfillment.fulfilledBy).toMatch(/@/);
    const other = await customer.post("/api/v1/activations", { activationId: theirs.activationId, hosts: [{ id: "laptop" }] });
    expect(other.statusCode).toBe(404);
    const theirsF = await activate(admin, { activationId: theirs.activationId, hosts: [{ id: "server" }] });
    expect((await customer.get(`/api/v1/fulfillments/${theirsF.fulfillment.id}`)).statusCode).toBe(404);
    expect((await customer.get(`/api/v1/fulfillments/${theirsF.fulfillment.id}/license`)).statusCode).toBe(404);
    const list = ok(await customer.get("/api/v1/fulfillments"), 200);
    expect(list.items.map((f: { id: string }) => f.id)).toEqual([r.fulfillment.id]);
    expect(ok(await admin.get("/api/v1/fulfillments"), 200).items).toHaveLength(2);
    expect(ok(await admin.get(`/api/v1/fulfillments?accountId=${mine.customer}`), 200).items).toHaveLength(1);

    const viewer = await env.as("PRODUCER_VIEWER");
    expect((await viewer.get(`/api/v1/fulfillments/${r.fulfillment.id}`)).statusCode).toBe(200);
    const denied = await viewer.post("/api/v1/activations", { activationId: mine.activationId, hosts: [{ id: "v" }] });
    expect(denied.statusCode).toBe(403);
    const support = await env.as("PRODUCER_SUPPORT");
    await activate(support, { activationId: mine.activationId, hosts: [{ id: "s" }] });
  });
});

describeEachDb("offline activation requests", (env) => {
  it("activates from a request file; the same file again gives the same license; a bad file is refused naming the member", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin);
    const request = writeActivationRequest({
      activationId: a.activationId,
      hosts: [{ type: "ETHERNET", id: "00:11:22:33:44:55" }],
    });
    const first = ok(await admin.post("/api/v1/activations/actions/upload-request", { request }), 201);
    expect(first.fulfillment).toMatchObject({ source: "OFFLINE_REQUEST", hosts: [{ type: "ETHERNET", id: "001122334455" }] });
    expect(first.availableCount).toBe(9);
    const again = ok(await admin.post("/api/v1/activations/actions/upload-request", { request }), 200);
    expect(again.fulfillment.id).toBe(first.fulfillment.id);
    expect(again.licenseFile).toBe(first.licenseFile);
    expect(ok(await admin.get("/api/v1/fulfillments"), 200).items).toHaveLength(1);
    const someoneElse = await env.as("PRODUCER_ADMIN");
    expect((await someoneElse.post("/api/v1/activations/actions/upload-request", { request })).statusCode).toBe(409);

    const bad = request.replace(/-----BEGIN LICENSOR ACTIVATION REQUEST-----[\s\S]*-----END/, (m) =>
      m.replace(/[A-Za-z]{3}/, "@@@"),
    );
    const r = await admin.post("/api/v1/activations/actions/upload-request", { request: bad });
    expect(r.statusCode).toBe(400);
    expect(r.json().field).toMatch(/^request/);
    const noNonce = writeActivationRequest({ activationId: a.activationId, hosts: [{ type: "STRING", id: "h" }] }).replace(
      /(-----BEGIN LICENSOR ACTIVATION REQUEST-----\n)([\s\S]*?)(\n-----END)/,
      (_m, b, body, e) => {
        const o = JSON.parse(Buffer.from(body.replace(/\s/g, ""), "base64url").toString("utf8"));
        o.nonce = "short";
        return `${b}${Buffer.from(JSON.stringify(o)).toString("base64url")}${e}`;
      },
    );
    const n = await admin.post("/api/v1/activations/actions/upload-request", { request: noNonce });
    expect(n.statusCode).toBe(400);
    expect(n.json()).toMatchObject({
      field: "request.nonce",
      detail: expect.stringMatching(/nonce: must be 16 to 64 base64url/),
    });
    expect(ok(await admin.get("/api/v1/fulfillments"), 200).items).toHaveLength(1);
  });
});

describeEachDb("licenses of a TEST entitlement", (env) => {
  it("are deleted with it, audited", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, { test: true });
    const r = await activate(admin, { activationId: a.activationId, hosts: [{ id: "t" }] });
    expect((await admin.delete(`/api/v1/entitlements/${a.entitlement.id}`)).statusCode).toBe(204);
    expect((await admin.get(`/api/v1/fulfillments/${r.fulfillment.id}`)).statusCode).toBe(404);
    const n = await env.db.selectFrom("fulfillment_hosts").select(env.db.fn.countAll().as("n")).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(0);
    expect((await auditOf(env, a.entitlement.id)).map((e) => e.action)).toContain("fulfillments.deleted");
  });
});

describeEachDb("license models for activation", (env) => {
  it("lets a customer read the license model of their own line item (its fulfillment-time attributes), and no other", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, {
      attributes: [{ name: "HOSTNAME", valueType: "STRING", time: "FULFILLMENT", required: true }],
    });
    const other = await activatable(env, admin);
    const customer = await env.as("CUSTOMER_PORTAL_USER", a.customer);
    const own = ok(await customer.get(`/api/v1/license-models/${a.lm.id}`), 200);
    expect(own.attributes).toEqual([expect.objectContaining({ name: "HOSTNAME", time: "FULFILLMENT", required: true })]);
    expect((await customer.get(`/api/v1/license-models/${other.lm.id}`)).statusCode).toBe(403);
    expect((await customer.get("/api/v1/license-models/no-such-model")).statusCode).toBe(403);
    expect((await customer.get("/api/v1/license-models")).statusCode).toBe(403);
    // What the dialog then asks for is what the activation requires.
    const refused = await customer.post("/api/v1/activations", { activationId: a.activationId, hosts: [{ id: "h" }] });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().detail).toContain("HOSTNAME");
    const r = await activate(customer, {
      activationId: a.activationId,
      hosts: [{ id: "h" }],
      attributes: { HOSTNAME: "build-01" },
    });
    expect(r.fulfillment.attributes).toEqual({ HOSTNAME: "build-01" });
  });
});
