import { expect, it } from "vitest";
import { describeEachDb, PUBLISHER_ID } from "./helpers.js";

describeEachDb("api tokens", (env) => {
  it("creates a token shown once, stores only its hash, authenticates with it, and revokes it", async () => {
    const owner = await env.makeUser({ role: "PRODUCER_ADMIN", accountId: PUBLISHER_ID });
    const admin = env.caller(owner.token);
    const res = await admin.post("/api/v1/tokens", { name: "erp", accountId: PUBLISHER_ID, role: "PRODUCER_OPERATIONS" });
    expect(res.statusCode).toBe(201);
    const { token, id, prefix } = res.json();
    expect(token).toMatch(/^lic_/);
    expect(token.startsWith(prefix)).toBe(true);
    const row = await env.db.selectFrom("api_tokens").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    expect(row.token_hash).not.toContain(token);
    expect(JSON.stringify(await env.db.selectFrom("audit_events").selectAll().execute())).not.toContain(token);

    const erp = env.caller(token);
    const me = (await erp.get("/api/v1/session")).json();
    expect(me.authMethod).toBe("token");
    expect(me.user.memberships).toEqual([expect.objectContaining({ role: "PRODUCER_OPERATIONS" })]);
    // Operations may create accounts but not users (admin only).
    expect((await erp.post("/api/v1/accounts", { id: "T1", name: "t", type: "CUSTOMER" })).statusCode).toBe(201);
    expect(
      (
        await erp.post("/api/v1/users", {
          email: "z@z.io",
          firstName: "z",
          lastName: "z",
          memberships: [{ accountId: "T1", role: "CUSTOMER_PORTAL_USER" }],
        })
      ).statusCode,
    ).toBe(403);

    const list = (await admin.get("/api/v1/tokens")).json();
    expect(list.items.map((t: { id: string }) => t.id)).toContain(id);
    expect(JSON.stringify(list)).not.toContain(token);

    expect((await admin.delete(`/api/v1/tokens/${id}`)).statusCode).toBe(204);
    expect((await erp.get("/api/v1/accounts")).statusCode).toBe(401);
  });

  it("refuses a role stronger than the owner's, a past expiry, and a foreign account; an expired token fails", async () => {
    const acc = await env.makeAccount();
    const u = await env.makeUser({ role: "CUSTOMER_PORTAL_USER", accountId: acc });
    const c = env.caller(u.token);
    const stronger = await c.post("/api/v1/tokens", { name: "x", accountId: acc, role: "CUSTOMER_PORTAL_ADMIN" });
    expect(stronger.json()).toMatchObject({ status: 400, field: "role" });
    const foreign = await c.post("/api/v1/tokens", { name: "x", accountId: PUBLISHER_ID, role: "PRODUCER_VIEWER" });
    expect(foreign.json()).toMatchObject({ status: 400, field: "role" });
    const past = await c.post("/api/v1/tokens", {
      name: "x",
      accountId: acc,
      role: "CUSTOMER_PORTAL_USER",
      expiresAt: "2001-01-01T00:00:00Z",
    });
    expect(past.json()).toMatchObject({ status: 400, field: "expiresAt" });
    const ok = await c.post("/api/v1/tokens", {
      name: "x",
      accountId: acc,
      role: "CUSTOMER_PORTAL_USER",
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(ok.statusCode).toBe(201);
    await env.db
      .updateTable("api_tokens")
      .set({ expires_at: "2001-01-01T00:00:00.000Z" })
      .where("id", "=", ok.json().id)
      .execute();
    expect((await env.caller(ok.json().token).get("/api/v1/accounts")).statusCode).toBe(401);
  });

  it("does not let one user revoke another's token, but a producer admin can", async () => {
    const acc = await env.makeAccount();
    const a = await env.makeUser({ role: "CUSTOMER_PORTAL_USER", accountId: acc });
    const b = await env.makeUser({ role: "CUSTOMER_PORTAL_USER", accountId: acc });
    const tb = (
      await env.caller(b.token).post("/api/v1/tokens", { name: "b", accountId: acc, role: "CUSTOMER_PORTAL_USER" })
    ).json();
    expect((await env.caller(a.token).delete(`/api/v1/tokens/${tb.id}`)).statusCode).toBe(404);
    const admin = await env.as("PRODUCER_ADMIN");
    expect((await admin.delete(`/api/v1/tokens/${tb.id}`)).statusCode).toBe(204);
  });

  it("rejects malformed and unknown bearer tokens", async () => {
    const bad = await env.app.inject({ method: "GET", url: "/api/v1/accounts", headers: { authorization: "Basic abc" } });
    expect(bad.statusCode).toBe(401);
    const unknown = await env.caller("lic_unknown").get("/api/v1/accounts");
    expect(unknown.statusCode).toBe(401);
    expect(unknown.headers["content-type"]).toContain("application/problem+json");
  });
});
