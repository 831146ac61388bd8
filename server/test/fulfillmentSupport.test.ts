import { expect, it } from "vitest";
import { addTerm, today } from "../../common/src/rules/terms.js";
import { type Jwks, verifyLicense } from "../../verifier/src/index.js";
import { ok } from "./factories.js";
import { describeEachDb, type TestEnv } from "./helpers.js";
import { activatable, activate, auditOf } from "./licenses.js";

async function lineItemOf(env: TestEnv, pk: string) {
  return env.db
    .selectFrom("line_items")
    .select(["fulfilled_count", "number_of_copies"])
    .where("id", "=", pk)
    .executeTakeFirstOrThrow();
}

describeEachDb("return", (env) => {
  it("a full return gives every copy back and frees the host; nothing new is issued", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, { copies: 5 });
    const f = (await activate(admin, { activationId: a.activationId, hosts: [{ id: "h1" }, { id: "h2" }] })).fulfillment;
    expect((await lineItemOf(env, a.lineItem.id)).fulfilled_count).toBe(2);
    const r = ok(await admin.post(`/api/v1/fulfillments/${f.id}/actions/return`, {}), 200);
    expect(r).toMatchObject({ previous: { id: f.id, state: "RETURNED" }, issued: null, availableCount: 5 });
    expect((await lineItemOf(env, a.lineItem.id)).fulfilled_count).toBe(0);
    const audit = await auditOf(env, f.id);
    expect(audit.map((e) => e.action)).toEqual(["fulfillment.created", "fulfillment.returned"]);
    expect(audit[1]?.changes.state).toEqual({ before: "ACTIVE", after: "RETURNED" });
    // Its hosts are free again; a RETURNED license cannot be returned again.
    await activate(admin, { activationId: a.activationId, hosts: [{ id: "h1" }, { id: "h2" }] });
    const twice = await admin.post(`/api/v1/fulfillments/${f.id}/actions/return`, {});
    expect(twice.statusCode).toBe(409);
    expect(twice.json().detail).toMatch(/is RETURNED: only an ACTIVE license can be returned/);
  });

  it("a partial return gives that part back and reissues the rest as a new MASTER whose parent is the old one", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, { copies: 10, modelType: "NODE_LOCKED_COUNTED" });
    const f = (await activate(admin, { activationId: a.activationId, hosts: [{ id: "srv" }], count: 5 })).fulfillment;
    const too = await admin.post(`/api/v1/fulfillments/${f.id}/actions/return`, { count: 6 });
    expect(too.statusCode).toBe(400);
    expect(too.json().detail).toMatch(/count: must be at most 5/);
    const r = ok(await admin.post(`/api/v1/fulfillments/${f.id}/actions/return`, { count: 2 }), 200);
    expect(r.previous).toMatchObject({ id: f.id, state: "RETURNED" });
    expect(r.issued.fulfillment).toMatchObject({
      type: "MASTER",
      state: "ACTIVE",
      count: 3,
      parentFulfillmentId: f.id,
      hosts: f.hosts,
    });
    expect(r.availableCount).toBe(7);
    expect(r.issued.availableCount).toBe(7);
    expect((await lineItemOf(env, a.lineItem.id)).fulfilled_count).toBe(3);
    const jwks = ok(await env.caller(null).get("/api/v1/license-keys"), 200) as Jwks;
    const v = verifyLicense(r.issued.licenseFile, { publicKeys: jwks, host: "srv" });
    expect(v.code).toBe("VALID");
    expect(v.claims?.count).toBe(3);
    expect(v.claims?.features.find((x) => x.name === "render")?.count).toBe(15);
  });
});

describeEachDb("rehost and repair", (env) => {
  it("rehost: the old license OBSOLETE, a REHOST one on the new host with the same count and dates; the chain in the detail", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, {
      attributes: [
        {
          name: "edition",
          valueType: "ENUM",
          time: "FULFILLMENT",
          required: false,
          defaultValue: "Std",
          allowedValues: ["Std", "Pro"],
        },
      ],
    });
    const f = (await activate(admin, { activationId: a.activationId, hosts: [{ id: "old-box" }] })).fulfillment;
    const r = ok(await admin.post(`/api/v1/fulfillments/${f.id}/actions/rehost`, { hosts: [{ id: "new-box" }] }), 200);
    expect(r.previous).toMatchObject({ id: f.id, state: "OBSOLETE" });
    const n = r.issued.fulfillment;
    expect(n).toMatchObject({
      type: "REHOST",
      state: "ACTIVE",
      count: 1,
      startDate: f.startDate,
      parentFulfillmentId: f.id,
      hosts: [{ type: "STRING", id: "new-box" }],
    });
    expect(r.availableCount).toBe(9);
    const jwks = ok(await env.caller(null).get("/api/v1/license-keys"), 200) as Jwks;
    expect(verifyLicense(r.issued.licenseFile, { publicKeys: jwks, host: "new-box" }).code).toBe("VALID");
    expect(verifyLicense(r.issued.licenseFile, { publicKeys: jwks, host: "old-box" }).code).toBe("WRONG_HOST");
    const again = await admin.post(`/api/v1/fulfillments/${f.id}/actions/rehost`, { hosts: [{ id: "third" }] });
    expect(again.statusCode).toBe(409);
    expect(again.json().detail).toMatch(/is OBSOLETE: only an ACTIVE license can be rehosted/);

    const rep = ok(await admin.post(`/api/v1/fulfillments/${n.id}/actions/repair`, { attributes: { edition: "Pro" } }), 200);
    expect(rep.previous).toMatchObject({ id: n.id, state: "OBSOLETE" });
    expect(rep.issued.fulfillment).toMatchObject({
      type: "REPAIR",
      hosts: n.hosts,
      attributes: { edition: "Pro" },
      parentFulfillmentId: n.id,
    });
    const bad = await admin.post(`/api/v1/fulfillments/${rep.issued.fulfillment.id}/actions/repair`, {
      attributes: { edition: "Max" },
    });
    expect(bad.statusCode).toBe(400);

    const detail = ok(await admin.get(`/api/v1/fulfillments/${n.id}`), 200);
    expect(detail.history.map((x: { id: string; type: string }) => x.type)).toEqual(["MASTER", "REHOST", "REPAIR"]);
    expect(detail.usage).toMatchObject({ rehosts: { used: 1, allowed: null }, repairs: { used: 1, allowed: null } });
    expect((await auditOf(env, f.id)).map((e) => e.action)).toEqual(["fulfillment.created", "fulfillment.rehosted"]);
    expect((await lineItemOf(env, a.lineItem.id)).fulfilled_count).toBe(1);
  });

  it("refuses support while the line item is INACTIVE", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin);
    const f = (await activate(admin, { activationId: a.activationId, hosts: [{ id: "x" }] })).fulfillment;
    // A used line item goes INACTIVE only when the setting allows it.
    const used = await admin.post(`/api/v1/entitlements/${a.entitlement.id}/line-items/${a.lineItem.id}/actions/change-state`, {
      state: "INACTIVE",
    });
    expect(used.statusCode).toBe(409);
    expect(used.json().detail).toMatch(/has 1 fulfilled copies/);
    ok(await admin.patch("/api/v1/settings", { allowUsedItemsInactiveObsolete: true }), 200);
    ok(
      await admin.post(`/api/v1/entitlements/${a.entitlement.id}/line-items/${a.lineItem.id}/actions/change-state`, {
        state: "INACTIVE",
      }),
      200,
    );
    const r = await admin.post(`/api/v1/fulfillments/${f.id}/actions/rehost`, { hosts: [{ id: "y" }] });
    expect(r.statusCode).toBe(409);
    expect(r.json().detail).toMatch(/INACTIVE/);
    expect((await admin.post(`/api/v1/fulfillments/${f.id}/actions/return`, {})).statusCode).toBe(409);
    expect(ok(await admin.get(`/api/v1/fulfillments/${f.id}`), 200)).toMatchObject({
      fulfillment: { state: "ACTIVE" },
      availableCount: 0,
      lineItemState: "INACTIVE",
    });
  });
});

describeEachDb("support policies", (env) => {
  it("refuses past the policy in words; staff override with a reason, audited; end users and support may not", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, { policies: { allowedRehosts: 1, window: { count: 1, unit: "YEARS" } } });
    const customer = await env.as("CUSTOMER_PORTAL_USER", a.customer);
    const f = (await activate(customer, { activationId: a.activationId, hosts: [{ id: "a" }] })).fulfillment;
    const first = ok(await customer.post(`/api/v1/fulfillments/${f.id}/actions/rehost`, { hosts: [{ id: "b" }] }), 200);
    const current = first.issued.fulfillment.id;
    const next = addTerm(today(), { count: 1, unit: "YEARS" });
    const limit = await customer.post(`/api/v1/fulfillments/${current}/actions/rehost`, { hosts: [{ id: "c" }] });
    expect(limit.statusCode).toBe(409);
    expect(limit.json()).toMatchObject({
      code: "policy_limit_reached",
      detail: `1 of 1 rehosts allowed per 1 YEARS already used; next one possible on ${next}.`,
    });
    const byCustomer = await customer.post(`/api/v1/fulfillments/${current}/actions/rehost`, {
      hosts: [{ id: "c" }],
      overridePolicy: true,
      reason: "please",
    });
    expect(byCustomer.statusCode).toBe(403);
    const support = await env.as("PRODUCER_SUPPORT");
    expect(
      (
        await support.post(`/api/v1/fulfillments/${current}/actions/rehost`, {
          hosts: [{ id: "c" }],
          overridePolicy: true,
          reason: "x",
        })
      ).statusCode,
    ).toBe(403);
    const noReason = await admin.post(`/api/v1/fulfillments/${current}/actions/rehost`, {
      hosts: [{ id: "c" }],
      overridePolicy: true,
    });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().field).toBe("reason");
    // Nothing changed by the refusals.
    expect(ok(await admin.get(`/api/v1/fulfillments/${current}`), 200).fulfillment.state).toBe("ACTIVE");

    const over = ok(
      await admin.post(`/api/v1/fulfillments/${current}/actions/rehost`, {
        hosts: [{ id: "c" }],
        overridePolicy: true,
        reason: "motherboard replaced twice",
      }),
      200,
    );
    expect(over.issued.fulfillment).toMatchObject({
      policyOverridden: true,
      reason: "motherboard replaced twice",
      type: "REHOST",
    });
    const audit = (await auditOf(env, current)).find((e) => e.action === "fulfillment.rehosted");
    expect(audit?.changes.reason).toEqual({ before: null, after: "motherboard replaced twice" });
    expect(audit?.changes.policyOverridden).toEqual({ before: false, after: true });
    const detail = ok(await admin.get(`/api/v1/fulfillments/${over.issued.fulfillment.id}`), 200);
    expect(detail.usage.rehosts).toEqual({ used: 2, allowed: 1 });
    expect(detail.usage.window).toEqual({ count: 1, unit: "YEARS" });
  });

  it("a customer acts only on its own account's licenses (404 otherwise)", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const mine = await activatable(env, admin);
    const theirs = await activatable(env, admin);
    const customer = await env.as("CUSTOMER_PORTAL_ADMIN", mine.customer);
    const own = (await activate(customer, { activationId: mine.activationId, hosts: [{ id: "m" }] })).fulfillment;
    const other = (await activate(admin, { activationId: theirs.activationId, hosts: [{ id: "t" }] })).fulfillment;
    expect((await customer.post(`/api/v1/fulfillments/${other.id}/actions/return`, {})).statusCode).toBe(404);
    ok(await customer.post(`/api/v1/fulfillments/${own.id}/actions/return`, {}), 200);
    const viewer = await env.as("PRODUCER_VIEWER");
    expect((await viewer.post(`/api/v1/fulfillments/${other.id}/actions/return`, {})).statusCode).toBe(403);
  });
});
