import { expect, it } from "vitest";
import { type Caller, describeEachDb } from "./helpers.js";

type Json = Record<string, any>;
const TIER1 = "bo.constants.partnertiernames.tier1";
const END = "bo.constants.partnertiernames.endcustomer";

describeEachDb("partner tiers", (env) => {
  it("lists the two built-in tiers seeded by the migration", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const res = await admin.get("/api/v1/partner-tiers");
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.nextCursor).toBeNull();
    expect(body.items).toHaveLength(2);
    expect(body.items[0]).toMatchObject({ name: TIER1, displayName: "Distributor", rank: 1, builtIn: true });
    expect(body.items[1]).toMatchObject({ name: END, displayName: "End Customer", rank: 100, builtIn: true });
    expect(Object.keys(body.items[0]).sort()).toEqual([
      "builtIn",
      "createdAt",
      "description",
      "displayName",
      "name",
      "rank",
      "updatedAt",
    ]);
  });

  it("creates, updates and deletes a tier, ordered by rank then name, auditing each change", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const created = await admin.post("/api/v1/partner-tiers", {
      name: "bo.constants.partnertiernames.tier2",
      displayName: "Reseller",
      description: "Buys from distributors",
      rank: 50,
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({
      name: "bo.constants.partnertiernames.tier2",
      displayName: "Reseller",
      rank: 50,
      builtIn: false,
    });
    await admin.post("/api/v1/partner-tiers", { name: "a-same-rank", displayName: "Same rank", rank: 50 });
    const names = async () => ((await admin.get("/api/v1/partner-tiers")).json().items as Json[]).map((t) => t.name);
    expect(await names()).toEqual([TIER1, "a-same-rank", "bo.constants.partnertiernames.tier2", END]);
    expect((await admin.get("/api/v1/partner-tiers/a-same-rank")).json()).toMatchObject({
      displayName: "Same rank",
      description: null,
    });

    const upd = await admin.patch("/api/v1/partner-tiers/bo.constants.partnertiernames.tier2", { rank: 150, description: null });
    expect(upd.statusCode).toBe(200);
    expect(upd.json()).toMatchObject({ rank: 150, description: null, displayName: "Reseller" });
    expect(await names()).toEqual([TIER1, "a-same-rank", END, "bo.constants.partnertiernames.tier2"]);

    // Built-in tiers can be renamed and re-ranked, but not deleted.
    const renamed = await admin.patch(`/api/v1/partner-tiers/${TIER1}`, { displayName: "Distributeur" });
    expect(renamed.json()).toMatchObject({ displayName: "Distributeur", builtIn: true });
    const builtIn = await admin.delete(`/api/v1/partner-tiers/${TIER1}`);
    expect(builtIn.statusCode).toBe(409);
    expect(builtIn.json()).toMatchObject({ code: "conflict", field: "name" });
    expect(builtIn.json().detail).toContain("'Distributeur' is built in and cannot be deleted");
    expect((await admin.delete(`/api/v1/partner-tiers/${END}`)).statusCode).toBe(409);

    expect((await admin.delete("/api/v1/partner-tiers/bo.constants.partnertiernames.tier2")).statusCode).toBe(204);
    expect((await admin.get("/api/v1/partner-tiers/bo.constants.partnertiernames.tier2")).statusCode).toBe(404);
    expect((await admin.delete("/api/v1/partner-tiers/nope")).statusCode).toBe(404);
    expect((await admin.patch("/api/v1/partner-tiers/nope", { rank: 1 })).statusCode).toBe(404);

    const audit = await env.db
      .selectFrom("audit_events")
      .selectAll()
      .where("object_type", "=", "partnerTier")
      .where("object_id", "=", "bo.constants.partnertiernames.tier2")
      .orderBy("id")
      .execute();
    expect(audit.map((a) => a.action)).toEqual(["partnerTier.created", "partnerTier.updated", "partnerTier.deleted"]);
    expect(JSON.parse(audit[1]!.changes)).toEqual({
      rank: { before: 50, after: 150 },
      description: { before: "Buys from distributors", after: null },
    });
  });

  it("refuses duplicates and malformed input, naming the field", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const dupName = await admin.post("/api/v1/partner-tiers", { name: TIER1, displayName: "Another", rank: 5 });
    expect(dupName.statusCode).toBe(409);
    expect(dupName.json()).toMatchObject({ code: "already_exists", field: "name" });
    const dupDisplay = await admin.post("/api/v1/partner-tiers", { name: "tier-x", displayName: "Distributor", rank: 5 });
    expect(dupDisplay.statusCode).toBe(409);
    expect(dupDisplay.json()).toMatchObject({ code: "already_exists", field: "displayName" });
    const renameClash = await admin.patch(`/api/v1/partner-tiers/${END}`, { displayName: "Distributor" });
    expect(renameClash.statusCode).toBe(409);
    expect(renameClash.json()).toMatchObject({ code: "already_exists", field: "displayName" });

    const cases: [Json, string][] = [
      [{ name: "has space", displayName: "X", rank: 1 }, "name"],
      [{ name: "slash/no", displayName: "X", rank: 1 }, "name"],
      [{ name: "x".repeat(129), displayName: "X", rank: 1 }, "name"],
      [{ name: "", displayName: "X", rank: 1 }, "name"],
      [{ name: "ok", displayName: "", rank: 1 }, "displayName"],
      [{ name: "ok", displayName: "  ", rank: 1 }, "displayName"],
      [{ name: "ok", displayName: "X", rank: 1.5 }, "rank"],
      [{ name: "ok", displayName: "X" }, "rank"],
      [{ name: "ok", displayName: "X", rank: 1, builtIn: true }, "builtIn"],
    ];
    for (const [body, field] of cases) {
      const res = await admin.post("/api/v1/partner-tiers", body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json(), JSON.stringify(body)).toMatchObject({ code: "validation_failed", field });
    }
    const badPatch = await admin.patch(`/api/v1/partner-tiers/${END}`, { name: "renamed" });
    expect(badPatch.json()).toMatchObject({ code: "validation_failed", field: "name" });
    expect((await admin.get("/api/v1/partner-tiers")).json().items).toHaveLength(2);
  });

  it("lets producer admins write, every producer role and partners read (to pick a split's tier); customers get 403", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    await admin.post("/api/v1/partner-tiers", { name: "authz", displayName: "Authz", rank: 10 });
    const reads = [(c: Caller) => c.get("/api/v1/partner-tiers"), (c: Caller) => c.get("/api/v1/partner-tiers/authz")];
    const writes = [
      (c: Caller) => c.post("/api/v1/partner-tiers", { name: "no", displayName: "No", rank: 1 }),
      (c: Caller) => c.patch("/api/v1/partner-tiers/authz", { rank: 2 }),
      (c: Caller) => c.delete("/api/v1/partner-tiers/authz"),
    ];
    // partnerTier.write is producer-admin only; operations staff and partners only read.
    for (const role of [
      "PRODUCER_OPERATIONS",
      "PRODUCER_SUPPORT",
      "PRODUCER_VIEWER",
      "PARTNER_PORTAL_ADMIN",
      "PARTNER_PORTAL_USER",
    ] as const) {
      const c = await env.as(role);
      for (const read of reads) expect((await read(c)).statusCode, role).toBe(200);
      for (const write of writes) expect((await write(c)).statusCode, role).toBe(403);
    }
    for (const role of ["CUSTOMER_PORTAL_ADMIN", "CUSTOMER_PORTAL_USER"] as const) {
      const c = await env.as(role);
      for (const call of [...reads, ...writes]) expect((await call(c)).statusCode, role).toBe(403);
    }
    expect((await admin.patch("/api/v1/partner-tiers/authz", { rank: 2 })).json().rank).toBe(2);
    expect((await admin.delete("/api/v1/partner-tiers/authz")).statusCode).toBe(204);
  });
});
