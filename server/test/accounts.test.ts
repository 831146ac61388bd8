import { expect, it } from "vitest";
import { describeEachDb } from "./helpers.js";

describeEachDb("accounts", (env) => {
  it("creates, reads, lists, updates and deletes an account, auditing each change", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const created = await admin.post("/api/v1/accounts", {
      id: "ACME",
      name: "Acme Corp",
      type: "CUSTOMER",
      address: { city: "Berlin", country: "DE" },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      id: "ACME",
      name: "Acme Corp",
      type: "CUSTOMER",
      visible: true,
      address: { city: "Berlin" },
    });

    const got = await admin.get("/api/v1/accounts/ACME");
    expect(got.json().name).toBe("Acme Corp");

    const list = await admin.get("/api/v1/accounts?name=STARTS_WITH:acm");
    expect(list.json().items.map((a: { id: string }) => a.id)).toEqual(["ACME"]);

    const upd = await admin.patch("/api/v1/accounts/ACME", { name: "Acme Inc", address: { country: "FR" } });
    expect(upd.statusCode).toBe(200);
    expect(upd.json().address).toMatchObject({ city: "Berlin", country: "FR" });

    const audit = await env.db.selectFrom("audit_events").selectAll().where("object_id", "=", "ACME").orderBy("id").execute();
    expect(audit.map((a) => a.action)).toEqual(["account.created", "account.updated"]);
    expect(JSON.parse(audit[1]!.changes)).toMatchObject({ name: { before: "Acme Corp", after: "Acme Inc" } });

    expect((await admin.delete("/api/v1/accounts/ACME")).statusCode).toBe(204);
    expect((await admin.get("/api/v1/accounts/ACME")).statusCode).toBe(404);
  });

  it("refuses a duplicate ID, a bad ID and a missing name with problem+json naming the field", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    await admin.post("/api/v1/accounts", { id: "DUP", name: "One", type: "CUSTOMER" });
    const dup = await admin.post("/api/v1/accounts", { id: "DUP", name: "Two", type: "CUSTOMER" });
    expect(dup.statusCode).toBe(409);
    expect(dup.headers["content-type"]).toContain("application/problem+json");
    expect(dup.json()).toMatchObject({ code: "already_exists", field: "id" });

    const bad = await admin.post("/api/v1/accounts", { id: "a/b", name: "x", type: "CUSTOMER" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: "validation_failed", field: "id" });

    const missing = await admin.post("/api/v1/accounts", { id: "X1", type: "CUSTOMER" });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors).toContainEqual({ field: "name", message: "is required" });
  });

  it("keeps explicit nulls as nulls (no coercion to empty strings)", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const res = await admin.post("/api/v1/accounts", {
      id: "NULLS",
      name: "N",
      type: "CUSTOMER",
      description: null,
      parentId: null,
      address: { city: null },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ description: null, parentId: null, address: { city: null } });
    const upd = await admin.patch("/api/v1/accounts/NULLS", { description: "d" });
    expect(upd.json().description).toBe("d");
    expect((await admin.patch("/api/v1/accounts/NULLS", { description: null })).json().description).toBeNull();
  });

  it("pages with a keyset cursor", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    for (let i = 0; i < 5; i++) await env.makeAccount({ id: `PAGE-${i}` });
    const p1 = (await admin.get("/api/v1/accounts?id=STARTS_WITH:PAGE-&limit=2")).json();
    expect(p1.items.map((a: { id: string }) => a.id)).toEqual(["PAGE-0", "PAGE-1"]);
    const p2 = (await admin.get(`/api/v1/accounts?id=STARTS_WITH:PAGE-&limit=2&cursor=${p1.nextCursor}`)).json();
    expect(p2.items.map((a: { id: string }) => a.id)).toEqual(["PAGE-2", "PAGE-3"]);
    const p3 = (await admin.get(`/api/v1/accounts?id=STARTS_WITH:PAGE-&limit=2&cursor=${p2.nextCursor}`)).json();
    expect(p3.items.map((a: { id: string }) => a.id)).toEqual(["PAGE-4"]);
    expect(p3.nextCursor).toBeNull();
  });

  it("shows a customer user only its own account", async () => {
    const mine = await env.makeAccount({ id: "MINE" });
    await env.makeAccount({ id: "THEIRS" });
    const user = await env.as("CUSTOMER_PORTAL_USER", mine);
    const list = (await user.get("/api/v1/accounts")).json();
    expect(list.items.map((a: { id: string }) => a.id)).toEqual(["MINE"]);
    expect((await user.get("/api/v1/accounts/THEIRS")).statusCode).toBe(404);
    expect((await user.post("/api/v1/accounts", { id: "NEW", name: "n", type: "CUSTOMER" })).statusCode).toBe(403);
  });
});
