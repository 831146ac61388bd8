import type { FastifyRequest } from "fastify";
import { expect, it } from "vitest";
import { canonicalKey } from "../../common/src/keyCheck.js";
import { toProblem } from "../src/plugins/errors.js";
import { newId, nowIso } from "../src/util.js";
import { bulkEntitlement, simpleEntitlement } from "./factories.js";
import { type Caller, describeEachDb, type TestEnv } from "./helpers.js";

type Json = Record<string, any>;

/** The words a raw constraint refusal used to reach users with. */
const RAW = /constraint|referenced by, or refers to|same identifier already exists|SQLITE|violates/i;

/** A bulk entitlement left DRAFT (or TEST) with three keys: what may still be deleted. */
const bulk = async (env: TestEnv, admin: Caller, opts: { test?: boolean } = {}) => {
  const b = await bulkEntitlement(env, admin, { test: opts.test, deploy: false, keys: 3 });
  return { ...b, e: b.bulk };
};

const keyRows = (env: TestEnv, bulkPk: string) =>
  env.db.selectFrom("web_register_keys").select(["key", "status"]).where("bulk_id", "=", bulkPk).execute();

describeEachDb("deleting entitlements", (env) => {
  it("a DRAFT or TEST bulk entitlement with unredeemed keys is deleted with its keys, in one audited transaction", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    for (const test of [false, true]) {
      const { e, keys } = await bulk(env, admin, { test });
      expect(e.state).toBe(test ? "TEST" : "DRAFT");
      const res = await admin.delete(`/api/v1/entitlements/${e.id}`);
      expect(res.statusCode, res.body).toBe(204);
      expect((await admin.get(`/api/v1/entitlements/${e.id}`)).statusCode).toBe(404);
      expect(await keyRows(env, e.id)).toEqual([]);
      const audit = (await admin.get("/api/v1/audit-events?limit=200")).json().items as Json[];
      const mine = audit.filter((a) => a.objectId === e.id).map((a) => a.action);
      expect(mine).toEqual(expect.arrayContaining(["keys.deleted", "entitlement.deleted"]));
      // The keys are free to load again elsewhere.
      const other = await bulk(env, admin);
      const again = await admin.post(`/api/v1/entitlements/${other.e.id}/keys`, { key: keys[0] });
      expect(again.statusCode, again.body).toBeLessThan(300);
    }
  });

  it("a TEST bulk entitlement with a redeemed key is refused with the reason, and nothing changes", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { e, keys } = await bulk(env, admin, { test: true });
    const customer = await env.makeAccount();
    const red = await admin.post("/api/v1/redemptions", { key: keys[0], soldTo: customer });
    expect(red.statusCode, red.body).toBe(201);
    const res = await admin.delete(`/api/v1/entitlements/${e.id}`);
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json()).toMatchObject({ code: "in_use" });
    expect(res.json().detail).toBe(
      `Entitlement ${e.entitlementId} cannot be deleted: 1 of its web register keys has been redeemed, and each redeemed key's entitlement belongs to the customer who redeemed it.`,
    );
    expect(await keyRows(env, e.id)).toHaveLength(3);
    // Even once the redeemed (TEST) entitlement is deleted, the redeemed key keeps its bulk.
    expect((await admin.delete(`/api/v1/entitlements/${red.json().entitlement.id}`)).statusCode).toBe(204);
    const still = await admin.delete(`/api/v1/entitlements/${e.id}`);
    expect(still.statusCode).toBe(409);
    expect(still.json().detail).toContain("has been redeemed");
    expect(still.json().detail).not.toMatch(RAW);
  });

  it("a TEST entitlement whose line item gave copies to another entitlement names that one, not a constraint", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { entitlement: src } = await simpleEntitlement(env, admin, { test: true, line: { numberOfCopies: 5 } });
    const target = await env.makeAccount();
    const moved = await admin.post(`/api/v1/entitlements/${src.id}/line-items/${src.lineItems[0].id}/actions/transfer`, {
      accountId: target,
      count: 2,
    });
    expect(moved.statusCode, moved.body).toBe(201);
    const child = moved.json().entitlement;
    const res = await admin.delete(`/api/v1/entitlements/${src.id}`);
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().code).toBe("in_use");
    expect(res.json().detail).toContain(`Entitlement ${src.entitlementId} cannot be deleted: line item`);
    expect(res.json().detail).toContain(`of entitlement ${child.entitlementId} was made from one of its line items`);
    expect(res.json().detail).not.toMatch(RAW);
    expect((await admin.get(`/api/v1/entitlements/${src.id}`)).statusCode).toBe(200);
  });
});

/** A request as the errors plugin sees one, for a route and its parameters. */
const requestFor = (method: string, route: string, params: Record<string, string>) =>
  ({ id: "req-1", method, url: route, routeOptions: { url: route }, params }) as unknown as FastifyRequest;

async function violation(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error("expected a constraint violation");
}

describeEachDb("constraint violations in words", (env) => {
  it("each unique, check and foreign-key violation says which object and why, on both databases", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { e, keys } = await bulk(env, admin, { test: true });
    await admin.post("/api/v1/entitlements", { kind: "SIMPLE", soldTo: await env.makeAccount(), entitlementId: "TAKEN-1" });
    const db = env.db;

    // Unique: an entitlement ID taken by a concurrent writer.
    const dupId = await violation(() =>
      db.updateTable("entitlements").set({ entitlement_id: "TAKEN-1" }).where("id", "=", e.id).execute(),
    );
    const p1 = toProblem(dupId, requestFor("PATCH", "/api/v1/entitlements/:id", { id: e.id }));
    expect(p1).toMatchObject({ status: 409, code: "already_exists", field: "entitlementId" });
    expect(p1.detail).toBe(`Entitlement '${e.id}': another entitlement already has this entitlement ID.`);

    // Unique: a key loaded twice.
    const dupKey = await violation(() =>
      db
        .insertInto("web_register_keys")
        .values({
          bulk_id: e.id,
          key: keys[0] as string,
          key_canon: canonicalKey(keys[0] as string),
          status: "UNREDEEMED",
          created_at: nowIso(),
        } as never)
        .execute(),
    );
    const p2 = toProblem(dupKey, requestFor("POST", "/api/v1/entitlements/:id/keys", { id: e.id }));
    expect(p2).toMatchObject({ status: 409, code: "already_exists", field: "key" });
    expect(p2.detail).toContain(`Entitlement '${e.id}': this web register key is already loaded`);

    // Check: fewer copies than fulfilled (the bulk's configuration line item).
    const lineItemId = (
      await db.selectFrom("line_items").select("id").where("entitlement_id", "=", e.id).executeTakeFirstOrThrow()
    ).id;
    const check = await violation(() =>
      db.updateTable("line_items").set({ fulfilled_count: 1_000_000 }).where("id", "=", lineItemId).execute(),
    );
    const p3 = toProblem(check, requestFor("PATCH", "/api/v1/entitlements/:id/line-items/:lineItemId", { id: e.id, lineItemId }));
    expect(p3).toMatchObject({ status: 400, code: "validation_failed", field: "numberOfCopies" });
    expect(p3.detail).toContain(
      `Line item '${lineItemId}': numberOfCopies: a line item cannot have fewer copies than it has fulfilled`,
    );

    // Foreign key: the bulk entitlement still has keys.
    const fk = await violation(() => db.deleteFrom("entitlements").where("id", "=", e.id).execute());
    const p4 = toProblem(fk, requestFor("DELETE", "/api/v1/entitlements/:id", { id: e.id }));
    expect(p4).toMatchObject({ status: 409, code: "in_use" });
    expect(p4.detail).toMatch(
      new RegExp(`^Entitlement '${e.id}' cannot be deleted: (web register keys|other records) still refer to it`),
    );

    // Foreign key: a reference to something that does not exist.
    const missing = await violation(() =>
      db
        .insertInto("entitlement_events")
        .values({
          id: newId(),
          entitlement_id: "no-such",
          event: "EVENT_CREATED",
          at: nowIso(),
          user_id: null,
          user_label: null,
          description: null,
        })
        .execute(),
    );
    const p5 = toProblem(missing, requestFor("POST", "/api/v1/entitlements", {}));
    expect(p5).toMatchObject({ status: 409, code: "in_use" });
    expect(p5.detail).toMatch(
      /^The entitlement cannot be saved: it refers to (one of the entitlements|a record) that does not exist/,
    );

    for (const p of [p1, p2, p3, p4, p5]) expect(p.detail).not.toMatch(RAW);
  });
});
