import { expect, it } from "vitest";
import { newId, nowIso } from "../src/util.js";
import { logIn } from "./factories.js";
import { describeEachDb, PUBLISHER_ID } from "./helpers.js";

describeEachDb("platform", (env) => {
  it("reports health with database reachability, without authentication", async () => {
    const res = await env.app.inject({ method: "GET", url: "/api/health" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok", database: { dialect: env.dialect, reachable: true } });
  });

  it("serves an OpenAPI 3.1 document listing every route, and browsable docs", async () => {
    const res = await env.app.inject({ method: "GET", url: "/api/openapi.json" });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe("3.1.0");
    for (const p of [
      "/api/v1/accounts",
      "/api/v1/accounts/{id}",
      "/api/v1/users",
      "/api/v1/tokens",
      "/api/v1/audit-events",
      "/api/v1/session",
      "/api/health",
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    const docs = await env.app.inject({ method: "GET", url: "/api/docs/" });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain("swagger");
  });

  it("describes the entitlement once, in full, and every route that answers one refers to it", async () => {
    const doc = (await env.app.inject({ method: "GET", url: "/api/openapi.json" })).json();
    const entitlement = doc.components.schemas.Entitlement;
    expect(Object.keys(entitlement.properties)).toEqual(
      expect.arrayContaining(["entitlementId", "kind", "state", "soldTo", "channelPartners", "product", "lineItems"]),
    );
    const lineItem = entitlement.properties.lineItems.items;
    expect(Object.keys(lineItem.properties)).toEqual(
      expect.arrayContaining(["activationId", "lineItemType", "parentLineItemId", "numberOfCopies", "availableCount"]),
    );
    expect(lineItem.properties.lineItemType.enum).toEqual(["UPGRADE", "UPSELL", "RENEWAL", null]);
    expect(Object.keys(entitlement.properties.channelPartners.items.properties)).toContain("currentOwner");
    const ref = { $ref: "#/components/schemas/Entitlement" };
    const body = (path: string, method: string, status: string) =>
      doc.paths[path][method].responses[status].content["application/json"].schema;
    expect(body("/api/v1/entitlements/{id}", "get", "200")).toEqual(ref);
    expect(body("/api/v1/redemptions", "post", "201").properties.entitlement).toEqual(ref);
    expect(body("/api/v1/registrations", "post", "201").properties.entitlement).toEqual(ref);
    const transfer = body("/api/v1/entitlements/{id}/actions/transfer", "post", "201");
    expect([transfer.properties.entitlement, transfer.properties.source]).toEqual([ref, ref]);
    const renew = body("/api/v1/entitlements/{id}/line-items/{lineItemId}/actions/renew", "post", "201");
    expect(renew.properties.entitlement).toEqual(ref);
    expect(renew.properties.lineItem.properties.activationId).toEqual({ type: "string" });
    // No entitlement route answers with an undescribed value any more.
    const untyped = Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, any> }>>)
      .filter(([p]) => p.startsWith("/api/v1/entitlements") || p === "/api/v1/redemptions" || p === "/api/v1/registrations")
      .flatMap(([p, ops]) =>
        Object.entries(ops).flatMap(([m, op]) =>
          Object.entries(op.responses ?? {})
            .filter(([, r]) => Object.values(r.content ?? {}).some((c: any) => JSON.stringify(c.schema).includes("{}")))
            .map(([s]) => `${m} ${p} ${s}`),
        ),
      );
    expect(untyped).toEqual([]);
  });

  it("answers unknown routes, malformed JSON and oversized bodies with problem+json, never 5xx", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const unknown = await admin.get("/api/v1/nope");
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: "route_not_found", status: 404 });

    const malformed = await env.app.inject({
      method: "POST",
      url: "/api/v1/accounts",
      headers: {
        authorization: (await env.makeUser({ role: "PRODUCER_ADMIN", accountId: "PUBLISHER" })).token.replace(/^/, "Bearer "),
        "content-type": "application/json",
      },
      payload: "{not json",
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers["content-type"]).toContain("application/problem+json");

    const huge = await admin.post("/api/v1/accounts", {
      id: "BIG",
      name: "x",
      type: "CUSTOMER",
      description: "x".repeat(2 * 1024 * 1024),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().code).toBe("payload_too_large");

    const wrongTypes = await admin.post("/api/v1/accounts", { id: 5, name: ["x"], type: "NOPE", extra: 1 });
    expect(wrongTypes.statusCode).toBe(400);
    const fields = wrongTypes.json().errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(["type", "extra"]));

    const badCursor = await admin.get("/api/v1/accounts?cursor=garbage");
    expect(badCursor.json()).toMatchObject({ status: 400, field: "cursor" });
    const badOp = await admin.get("/api/v1/accounts?createdAt=SOON:2020-01-01");
    expect(badOp.json()).toMatchObject({ status: 400, field: "createdAt" });
    expect((await env.caller(null).get("/api/v1/accounts")).json()).toMatchObject({ status: 401, code: "unauthenticated" });
  });

  it("echoes or assigns a request id and sets security headers", async () => {
    const given = await env.app.inject({ method: "GET", url: "/api/health", headers: { "x-request-id": "abc-123" } });
    expect(given.headers["x-request-id"]).toBe("abc-123");
    const assigned = await env.app.inject({ method: "GET", url: "/api/health" });
    expect(assigned.headers["x-request-id"]).toMatch(/^[A-Za-z0-9_-]{8,}$/);
    expect(assigned.headers["x-content-type-options"]).toBe("nosniff");
    expect(assigned.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(assigned.headers["x-frame-options"]).toBeDefined();
    // Left to the TLS-terminating proxy.
    expect(assigned.headers["strict-transport-security"]).toBeUndefined();
    // Every answer carries them, refusals and unknown routes included.
    const unknown = await env.app.inject({ method: "GET", url: "/api/v1/nope" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(unknown.headers["x-content-type-options"]).toBe("nosniff");
    const admin = await env.as("PRODUCER_ADMIN");
    const failed = await admin.get("/api/v1/accounts/none", { "x-request-id": "trace-me" });
    expect(failed.json().requestId).toBe("trace-me");
  });

  it("replays a creating call with the same Idempotency-Key and refuses the key with another body", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const body = { id: "IDEM-1", name: "Once", type: "CUSTOMER" };
    const first = await admin.post("/api/v1/accounts", body, { "idempotency-key": "k-1" });
    const second = await admin.post("/api/v1/accounts", body, { "idempotency-key": "k-1" });
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(second.json()).toEqual(first.json());
    const other = await admin.post("/api/v1/accounts", { ...body, id: "IDEM-2" }, { "idempotency-key": "k-1" });
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe("idempotency_key_reused");
    const audits = await env.db.selectFrom("audit_events").select("id").where("object_id", "=", "IDEM-1").execute();
    expect(audits).toHaveLength(1);
    // Another caller's identical key is its own.
    const other2 = await (await env.as("PRODUCER_ADMIN")).post(
      "/api/v1/accounts",
      { ...body, id: "IDEM-3" },
      { "idempotency-key": "k-1" },
    );
    expect(other2.statusCode).toBe(201);
  });

  it("never stores or replays a secret: a replayed token or user creation answers it null", async () => {
    const owner = await env.makeUser({ role: "PRODUCER_ADMIN", accountId: PUBLISHER_ID });
    const admin = env.caller(owner.token);
    const tokenBody = { name: "erp", accountId: PUBLISHER_ID, role: "PRODUCER_OPERATIONS" };
    const first = await admin.post("/api/v1/tokens", tokenBody, { "idempotency-key": "tok-1" });
    expect(first.statusCode).toBe(201);
    const secret = first.json().token as string;
    expect(secret).toMatch(/^lic_/);
    const again = await admin.post("/api/v1/tokens", tokenBody, { "idempotency-key": "tok-1" });
    expect(again.statusCode).toBe(201);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.json()).toEqual({ ...first.json(), token: null });

    const acc = await env.makeAccount();
    const userBody = {
      email: "idem@example.test",
      firstName: "I",
      lastName: "D",
      memberships: [{ accountId: acc, role: "CUSTOMER_PORTAL_USER" }],
    };
    const u1 = await admin.post("/api/v1/users", userBody, { "idempotency-key": "user-1" });
    expect(u1.statusCode).toBe(201);
    const password = u1.json().initialPassword as string;
    expect(password.length).toBeGreaterThan(10);
    const u2 = await admin.post("/api/v1/users", userBody, { "idempotency-key": "user-1" });
    expect(u2.json()).toEqual({ ...u1.json(), initialPassword: null });

    const stored = JSON.stringify(await env.db.selectFrom("idempotency_keys").selectAll().execute());
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(password);
  });

  it("keeps an idempotent answer 24 hours, then frees the key and deletes the row", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const aged = new Date(Date.now() - 25 * 3_600_000).toISOString();
    await env.db
      .insertInto("idempotency_keys")
      .values({ scope: "user:gone", key: "old", request_hash: "x", status_code: 201, response: "{}", created_at: aged })
      .execute();
    const body = { id: "EXP-1", name: "Once", type: "CUSTOMER" };
    expect((await admin.post("/api/v1/accounts", body, { "idempotency-key": "exp-1" })).statusCode).toBe(201);
    await env.db.updateTable("idempotency_keys").set({ created_at: aged }).where("key", "=", "exp-1").execute();
    // Under 24 hours the key still belongs to the first body; past them it is free for a new call.
    const reused = await admin.post("/api/v1/accounts", { ...body, id: "EXP-2" }, { "idempotency-key": "exp-1" });
    expect(reused.statusCode, reused.body).toBe(201);
    expect(reused.headers["idempotent-replayed"]).toBeUndefined();
    // Every other expired row was swept by the first call, whoever it belonged to.
    expect(await env.db.selectFrom("idempotency_keys").select("key").where("key", "=", "old").execute()).toEqual([]);
  });

  it("a revoked token or an ended session no longer reads a job, even right after polling it", async () => {
    const jobId = newId();
    const now = nowIso();
    await env.db
      .insertInto("jobs")
      .values({
        id: jobId,
        type: "keys.export",
        state: "SUCCEEDED",
        bulk_id: null,
        params: "{}",
        total: 1,
        done: 1,
        result: JSON.stringify({ rows: 1, format: "csv" }),
        error: null,
        cancel_requested: 0,
        worker: null,
        attempts: 1,
        created_by: null,
        created_by_label: "test",
        created_at: now,
        started_at: now,
        heartbeat_at: null,
        finished_at: now,
      })
      .execute();
    // A token revoked in the database (by an admin, the CLI or another process) stops at once.
    const viewer = await env.makeUser({ role: "PRODUCER_VIEWER", accountId: PUBLISHER_ID });
    const byToken = env.caller(viewer.token);
    expect((await byToken.get(`/api/v1/jobs/${jobId}`)).statusCode).toBe(200);
    await env.db.updateTable("api_tokens").set({ revoked_at: nowIso() }).where("user_id", "=", viewer.userId).execute();
    expect((await byToken.get(`/api/v1/jobs/${jobId}`)).statusCode).toBe(401);

    // A session logged out stops at once too.
    const admin = await env.as("PRODUCER_ADMIN");
    const user = (
      await admin.post("/api/v1/users", {
        email: "poller@example.test",
        firstName: "Pol",
        lastName: "Ler",
        password: "a long and unusual passphrase 42",
        memberships: [{ accountId: PUBLISHER_ID, role: "PRODUCER_VIEWER" }],
      })
    ).json();
    const { res: login, cookie } = await logIn(env.app, user.email, "a long and unusual passphrase 42");
    expect(login.statusCode, login.body).toBe(200);
    const poll = () => env.app.inject({ method: "GET", url: `/api/v1/jobs/${jobId}`, headers: { cookie } });
    expect((await poll()).statusCode).toBe(200);
    await env.db.deleteFrom("sessions").execute();
    expect((await poll()).statusCode).toBe(401);
  });

  it("searches the audit log by object, action and date, newest first, for producer staff only", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    await admin.post("/api/v1/accounts", { id: "AUD-1", name: "A", type: "CUSTOMER" });
    await admin.patch("/api/v1/accounts/AUD-1", { name: "B" });
    const res = (await admin.get("/api/v1/audit-events?objectType=account&objectId=AUD-1")).json();
    expect(res.items.map((e: { action: string }) => e.action)).toEqual(["account.updated", "account.created"]);
    expect(res.items[0].changes).toEqual({ name: { before: "A", after: "B" } });
    expect(res.items[0].actor.label).toContain("(token)");
    const today = new Date().toISOString().slice(0, 10);
    expect((await admin.get(`/api/v1/audit-events?objectId=AUD-1&at=ON:${today}`)).json().items).toHaveLength(2);
    expect((await admin.get("/api/v1/audit-events?objectId=AUD-1&at=BEFORE:2000-01-01")).json().items).toHaveLength(0);
    expect((await admin.get("/api/v1/audit-events?action=STARTS_WITH:account.upd&objectId=AUD-1")).json().items).toHaveLength(1);
    const customer = await env.as("CUSTOMER_PORTAL_ADMIN");
    expect((await customer.get("/api/v1/audit-events")).statusCode).toBe(403);
  });
});
