import { expect, it } from "vitest";
import { newId } from "../src/util.js";
import { ok } from "./factories.js";
import { describeEachDb, type TestEnv } from "./helpers.js";
import { activatable, activate, auditOf } from "./licenses.js";

/**
 * Extra activations (FNO's overdraft, issue 14 item 5): an activation short of copies takes the
 * missing ones as extra activations up to the license model's `allowedExtraActivations` over its
 * window, counted per line item in `fulfillment_actions`; past it refused in words; producer
 * admins and operations may override with a reason; a return gives them back first.
 */

async function lineItemOf(env: TestEnv, pk: string) {
  return env.db
    .selectFrom("line_items")
    .select(["fulfilled_count", "overdraft_count", "number_of_copies"])
    .where("id", "=", pk)
    .executeTakeFirstOrThrow();
}

async function countOf(env: TestEnv, table: "fulfillments" | "fulfillment_actions", lineItemPk: string) {
  const r = await env.db
    .selectFrom(table)
    .select(env.db.fn.countAll().as("n"))
    .where("line_item_id", "=", lineItemPk)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

const counted = { modelType: "NODE_LOCKED_COUNTED" };
const yearly = { count: 1, unit: "YEARS" };

describeEachDb("extra activations", (env) => {
  it("a license model's policy: 0 by default, null unlimited, kept on update", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin);
    expect(a.lm.policies.allowedExtraActivations).toBe(0);
    const upd = ok(await admin.patch(`/api/v1/license-models/${a.lm.id}`, { policies: { allowedExtraActivations: 3 } }), 200);
    expect(upd.policies).toMatchObject({ allowedExtraActivations: 3, allowedReturns: null });
    const again = ok(await admin.patch(`/api/v1/license-models/${a.lm.id}`, { policies: { allowedReturns: 1 } }), 200);
    expect(again.policies).toMatchObject({ allowedExtraActivations: 3, allowedReturns: 1 });
    const unl = ok(await admin.patch(`/api/v1/license-models/${a.lm.id}`, { policies: { allowedExtraActivations: null } }), 200);
    expect(unl.policies.allowedExtraActivations).toBeNull();
    const bad = await admin.patch(`/api/v1/license-models/${a.lm.id}`, { policies: { allowedExtraActivations: -1 } });
    expect(bad.statusCode).toBe(400);
    expect(JSON.stringify(bad.json())).toMatch(/allowedExtraActivations/);
  });

  it("without a policy, a shortfall is refused as before and nothing is taken", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, { copies: 2, ...counted });
    const r = await admin.post("/api/v1/activations", { activationId: a.activationId, hosts: [{ id: "h" }], count: 3 });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({
      code: "not_enough_copies",
      detail: "Only 2 of 2 copies are available; this license needs 3.",
    });
    expect(await lineItemOf(env, a.lineItem.id)).toMatchObject({ fulfilled_count: 0, overdraft_count: 0 });
  });

  it("within the policy: the missing copies are extra activations, on the fulfillment and the line item; usage shows them", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, {
      copies: 10,
      ...counted,
      policies: { allowedExtraActivations: 5, window: yearly },
    });
    const plain = await activate(admin, { activationId: a.activationId, hosts: [{ id: "a" }], count: 8 });
    expect(plain.fulfillment.overdraftCount).toBe(0);
    const r = await activate(admin, { activationId: a.activationId, hosts: [{ id: "b" }], count: 5 });
    expect(r.fulfillment).toMatchObject({ count: 5, overdraftCount: 3, policyOverridden: false });
    expect(r.availableCount).toBe(0);
    expect(await lineItemOf(env, a.lineItem.id)).toMatchObject({ fulfilled_count: 10, overdraft_count: 3 });
    const ent = ok(await admin.get(`/api/v1/entitlements/${a.entitlement.id}`), 200);
    expect(ent.lineItems[0]).toMatchObject({ fulfilledCount: 10, availableCount: 0 });
    const detail = ok(await admin.get(`/api/v1/fulfillments/${r.fulfillment.id}`), 200);
    expect(detail.fulfillment.overdraftCount).toBe(3);
    expect(detail.usage.extraActivations).toEqual({ used: 3, allowed: 5, inUse: 3 });
    // A customer too, within the policy.
    const customer = await env.as("CUSTOMER_PORTAL_USER", a.customer);
    const c = await activate(customer, { activationId: a.activationId, hosts: [{ id: "c" }], count: 2 });
    expect(c.fulfillment.overdraftCount).toBe(2);
    const audit = await auditOf(env, c.fulfillment.id);
    expect(JSON.stringify(audit[0]?.changes.overdraftCount)).toMatch(/2/);
  });

  it("past the policy: refused in words naming what is used, nothing changed", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, {
      copies: 10,
      ...counted,
      policies: { allowedExtraActivations: 5, window: yearly },
    });
    await activate(admin, { activationId: a.activationId, hosts: [{ id: "a" }], count: 8 });
    await activate(admin, { activationId: a.activationId, hosts: [{ id: "b" }], count: 7 });
    const before = await lineItemOf(env, a.lineItem.id);
    expect(before).toMatchObject({ fulfilled_count: 10, overdraft_count: 5 });
    const customer = await env.as("CUSTOMER_PORTAL_USER", a.customer);
    const r = await customer.post("/api/v1/activations", { activationId: a.activationId, hosts: [{ id: "c" }] });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({
      code: "not_enough_copies",
      detail:
        "Only 0 of 10 copies are available and the license model allows no more extra activations (5 of 5 used per 1 YEARS).",
    });
    const byAdmin = await admin.post("/api/v1/activations", { activationId: a.activationId, hosts: [{ id: "c" }] });
    expect(byAdmin.json().detail).toMatch(/A producer admin or operations user may override the policy with a reason\.$/);
    expect(await lineItemOf(env, a.lineItem.id)).toEqual(before);
    expect(await countOf(env, "fulfillments", a.lineItem.id)).toBe(2);
    expect(await countOf(env, "fulfillment_actions", a.lineItem.id)).toBe(1);
  });

  it("asking for more than the policy leaves says how many are left", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, {
      copies: 10,
      ...counted,
      policies: { allowedExtraActivations: 5, window: null },
    });
    await activate(admin, { activationId: a.activationId, hosts: [{ id: "a" }], count: 8 });
    const r = await admin.post("/api/v1/activations", { activationId: a.activationId, hosts: [{ id: "b" }], count: 8 });
    expect(r.statusCode).toBe(409);
    expect(r.json().detail).toMatch(
      /^Only 2 of 10 copies are available; this license needs 8, and the license model allows only 5 more extra activations \(0 of 5 used over the line item's life\)\./,
    );
    expect(await lineItemOf(env, a.lineItem.id)).toMatchObject({ fulfilled_count: 8, overdraft_count: 0 });
  });

  it("the window: an extra activation older than the window does not count", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, {
      copies: 1,
      ...counted,
      policies: { allowedExtraActivations: 2, window: yearly },
    });
    const first = await activate(admin, { activationId: a.activationId, hosts: [{ id: "a" }], count: 1 });
    const fpk = (
      await env.db
        .selectFrom("fulfillments")
        .select("id")
        .where("fulfillment_id", "=", first.fulfillment.id)
        .executeTakeFirstOrThrow()
    ).id;
    const action = (at: string) => ({
      id: newId(),
      line_item_id: a.lineItem.id,
      fulfillment_id: fpk,
      action: "EXTRA_ACTIVATION",
      at,
      overridden: 0,
      reason: null,
      copies: 2,
    });
    // Two extra copies taken 13 months ago: outside the 1-year window.
    const old = new Date(Date.now() - 400 * 86_400_000).toISOString();
    await env.db.insertInto("fulfillment_actions").values(action(old)).execute();
    const r = await activate(admin, { activationId: a.activationId, hosts: [{ id: "b" }], count: 2 });
    expect(r.fulfillment.overdraftCount).toBe(2);
    // The same two inside the window would have been the whole allowance.
    const third = await admin.post("/api/v1/activations", { activationId: a.activationId, hosts: [{ id: "c" }] });
    expect(third.statusCode).toBe(409);
    expect(third.json().detail).toMatch(/no more extra activations \(2 of 2 used per 1 YEARS\)/);
  });

  it("override: producer staff with a reason, audited and stored; customers and support staff refused", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, { copies: 1, ...counted, policies: { allowedExtraActivations: 1 } });
    await activate(admin, { activationId: a.activationId, hosts: [{ id: "a" }], count: 2 });
    const customer = await env.as("CUSTOMER_PORTAL_USER", a.customer);
    const body = { activationId: a.activationId, hosts: [{ id: "b" }], overridePolicy: true, reason: "please" };
    const byCustomer = await customer.post("/api/v1/activations", body);
    expect(byCustomer.statusCode).toBe(403);
    expect(byCustomer.json().detail).toMatch(/Only producer admins and operations may override/);
    const support = await env.as("PRODUCER_SUPPORT");
    expect((await support.post("/api/v1/activations", body)).statusCode).toBe(403);
    const noReason = await admin.post("/api/v1/activations", { ...body, reason: "  " });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().field).toBe("reason");
    expect(await lineItemOf(env, a.lineItem.id)).toMatchObject({ fulfilled_count: 1, overdraft_count: 1 });

    const ops = await env.as("PRODUCER_OPERATIONS");
    const r = await activate(ops, { ...body, reason: "trade show demo" });
    expect(r.fulfillment).toMatchObject({ overdraftCount: 1, policyOverridden: true, reason: "trade show demo" });
    expect(await lineItemOf(env, a.lineItem.id)).toMatchObject({ fulfilled_count: 1, overdraft_count: 2 });
    const audit = await auditOf(env, r.fulfillment.id);
    expect(audit[0]?.action).toBe("fulfillment.created");
    expect(JSON.stringify(audit[0]?.changes.policyOverridden)).toMatch(/true/);
    expect(JSON.stringify(audit[0]?.changes.reason)).toMatch(/trade show demo/);
    const row = await env.db
      .selectFrom("fulfillment_actions")
      .select(["overridden", "reason", "copies"])
      .where("line_item_id", "=", a.lineItem.id)
      .orderBy("at", "desc")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ overridden: 1, reason: "trade show demo", copies: 1 });
  });

  it("a return gives the extra activations back first; a partial return keeps the rest's", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, { copies: 4, ...counted, policies: { allowedExtraActivations: null } });
    const f = (await activate(admin, { activationId: a.activationId, hosts: [{ id: "a" }], count: 7 })).fulfillment;
    expect(f.overdraftCount).toBe(3);
    expect(await lineItemOf(env, a.lineItem.id)).toMatchObject({ fulfilled_count: 4, overdraft_count: 3 });
    const part = ok(await admin.post(`/api/v1/fulfillments/${f.id}/actions/return`, { count: 2 }), 200);
    expect(part.issued.fulfillment).toMatchObject({ count: 5, overdraftCount: 1 });
    expect(part.availableCount).toBe(0);
    expect(await lineItemOf(env, a.lineItem.id)).toMatchObject({ fulfilled_count: 4, overdraft_count: 1 });
    const audit = (await auditOf(env, f.id)).find((e) => e.action === "fulfillment.returned");
    expect(JSON.stringify(audit?.changes.extraActivationsReturned)).toMatch(/2/);
    const all = ok(await admin.post(`/api/v1/fulfillments/${part.issued.fulfillment.id}/actions/return`, {}), 200);
    expect(all.availableCount).toBe(4);
    expect(await lineItemOf(env, a.lineItem.id)).toMatchObject({ fulfilled_count: 0, overdraft_count: 0 });
  });

  it("a rehost keeps the license's extra activations", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, { copies: 1, ...counted, policies: { allowedExtraActivations: 1 } });
    const f = (await activate(admin, { activationId: a.activationId, hosts: [{ id: "a" }], count: 2 })).fulfillment;
    const r = ok(await admin.post(`/api/v1/fulfillments/${f.id}/actions/rehost`, { hosts: [{ id: "b" }] }), 200);
    expect(r.issued.fulfillment).toMatchObject({ count: 2, overdraftCount: 1 });
    expect(await lineItemOf(env, a.lineItem.id)).toMatchObject({ fulfilled_count: 1, overdraft_count: 1 });
  });

  it("50 concurrent activations for 10 copies + 5 extra: exactly 15 licensed", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, {
      copies: 10,
      ...counted,
      policies: { allowedExtraActivations: 5, window: yearly },
    });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        admin.post("/api/v1/activations", { activationId: a.activationId, hosts: [{ id: `host-${i}` }] }),
      ),
    );
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 201).length).toBe(15);
    expect(statuses.filter((s) => s === 409).length).toBe(35);
    expect(results.filter((r) => r.statusCode === 409).every((r) => r.json().code === "not_enough_copies")).toBe(true);
    const overdrafts = results.filter((r) => r.statusCode === 201).map((r) => r.json().fulfillment.overdraftCount);
    expect(overdrafts.filter((n) => n === 1).length).toBe(5);
    expect(await lineItemOf(env, a.lineItem.id)).toMatchObject({ fulfilled_count: 10, overdraft_count: 5 });
    expect(await countOf(env, "fulfillments", a.lineItem.id)).toBe(15);
    expect(await countOf(env, "fulfillment_actions", a.lineItem.id)).toBe(5);
  }, 120_000);
});
