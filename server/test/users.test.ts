import { expect, it } from "vitest";
import { systemContext } from "../src/actor.js";
import { adminCreator } from "../src/commands/bootstrap.js";
import { cookieOf, logIn } from "./factories.js";
import { describeEachDb, PUBLISHER_ID } from "./helpers.js";

describeEachDb("users", (env) => {
  it("creates a user with a generated password shown once, and edits its memberships", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const acc = await env.makeAccount({ id: "CUST-1" });
    const res = await admin.post("/api/v1/users", {
      email: "Jane@Example.com",
      firstName: "Jane",
      lastName: "Doe",
      memberships: [{ accountId: acc, role: "CUSTOMER_PORTAL_USER" }],
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.email).toBe("jane@example.com");
    expect(body.initialPassword).toMatch(/^.{20}$/);
    expect(body.memberships).toEqual([
      { accountId: "CUST-1", accountName: "Account CUST-1", accountType: "CUSTOMER", role: "CUSTOMER_PORTAL_USER" },
    ]);
    const stored = await env.db.selectFrom("users").select("password_hash").where("id", "=", body.id).executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^scrypt\$/);
    expect(stored.password_hash).not.toContain(body.initialPassword);

    const got = (await admin.get(`/api/v1/users/${body.id}`)).json();
    expect(got.initialPassword).toBeUndefined();

    const upd = await admin.patch(`/api/v1/users/${body.id}`, {
      lastName: "Smith",
      memberships: [{ accountId: acc, role: "CUSTOMER_PORTAL_ADMIN" }],
    });
    expect(upd.statusCode).toBe(200);
    expect(upd.json().memberships[0].role).toBe("CUSTOMER_PORTAL_ADMIN");
    const audit = await env.db
      .selectFrom("audit_events")
      .select(["action", "changes"])
      .where("object_id", "=", body.id)
      .orderBy("id")
      .execute();
    expect(audit.map((a) => a.action)).toEqual(["user.created", "user.updated"]);
    expect(JSON.stringify(audit)).not.toContain(body.initialPassword);
  });

  it("refuses roles that do not fit the account, mixed kinds, unknown accounts and duplicate emails", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const cust = await env.makeAccount({ id: "C1" });
    const partner = await env.makeAccount({ id: "P1", type: "CHANNEL_PARTNER" });
    const base = { firstName: "A", lastName: "B", password: "a long enough password" };
    const wrongRole = await admin.post("/api/v1/users", {
      ...base,
      email: "a@x.io",
      memberships: [{ accountId: cust, role: "PRODUCER_ADMIN" }],
    });
    expect(wrongRole.statusCode).toBe(400);
    expect(wrongRole.json()).toMatchObject({ field: "memberships[0].role" });
    expect(wrongRole.json().detail).toContain("PUBLISHER");

    const mixed = await admin.post("/api/v1/users", {
      ...base,
      email: "b@x.io",
      memberships: [
        { accountId: cust, role: "CUSTOMER_PORTAL_USER" },
        { accountId: partner, role: "PARTNER_PORTAL_USER" },
      ],
    });
    expect(mixed.statusCode).toBe(400);
    expect(mixed.json().field).toBe("memberships");

    const unknown = await admin.post("/api/v1/users", {
      ...base,
      email: "c@x.io",
      memberships: [{ accountId: "NOPE", role: "CUSTOMER_PORTAL_USER" }],
    });
    expect(unknown.json()).toMatchObject({ status: 400, field: "memberships[0].accountId" });

    const shortPw = await admin.post("/api/v1/users", {
      ...base,
      password: "short",
      email: "d@x.io",
      memberships: [{ accountId: cust, role: "CUSTOMER_PORTAL_USER" }],
    });
    expect(shortPw.json()).toMatchObject({ status: 400, field: "password" });

    const badEmail = await admin.post("/api/v1/users", {
      ...base,
      email: "not-an-email",
      memberships: [{ accountId: cust, role: "CUSTOMER_PORTAL_USER" }],
    });
    expect(badEmail.json()).toMatchObject({ status: 400, field: "email" });

    const ok = await admin.post("/api/v1/users", {
      ...base,
      email: "e@x.io",
      memberships: [{ accountId: cust, role: "CUSTOMER_PORTAL_USER" }],
    });
    expect(ok.statusCode).toBe(201);
    const dup = await admin.post("/api/v1/users", {
      ...base,
      email: "E@x.io",
      memberships: [{ accountId: cust, role: "CUSTOMER_PORTAL_USER" }],
    });
    expect(dup.json()).toMatchObject({ status: 409, code: "already_exists", field: "email" });
    const count = await env.db
      .selectFrom("users")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("email", "like", "%@x.io")
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it("deactivating a user disarms its tokens; the last producer admin cannot be removed", async () => {
    const admin = await env.makeUser({ role: "PRODUCER_ADMIN", accountId: PUBLISHER_ID });
    const adminCaller = env.caller(admin.token);
    const acc = await env.makeAccount();
    const victim = await env.makeUser({ role: "CUSTOMER_PORTAL_USER", accountId: acc });
    expect((await env.caller(victim.token).get("/api/v1/accounts")).statusCode).toBe(200);
    const res = await adminCaller.post(`/api/v1/users/${victim.userId}/actions/deactivate`);
    expect(res.json().status).toBe("INACTIVE");
    const refused = await env.caller(victim.token).get("/api/v1/accounts");
    expect(refused.statusCode).toBe(401);
    expect(refused.json().code).toBe("unauthenticated");
    await adminCaller.post(`/api/v1/users/${victim.userId}/actions/activate`);
    expect((await env.caller(victim.token).get("/api/v1/accounts")).statusCode).toBe(200);

    const self = await adminCaller.post(`/api/v1/users/${admin.userId}/actions/deactivate`);
    expect(self.statusCode).toBe(409);
    const demote = await adminCaller.patch(`/api/v1/users/${admin.userId}`, {
      memberships: [{ accountId: PUBLISHER_ID, role: "PRODUCER_VIEWER" }],
    });
    expect(demote.statusCode).toBe(409);
    expect(demote.json().detail).toContain("no active producer admin");
  });

  it("refuses common and patterned passwords with the reason in words, on create and on reset", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const acc = await env.makeAccount();
    for (const password of ["password1234", "123456789012", "qwertyuiop12", "abcabcabcabc"]) {
      const res = await admin.post("/api/v1/users", {
        email: `weak-${password}@x.io`,
        firstName: "Weak",
        lastName: "Pass",
        password,
        memberships: [{ accountId: acc, role: "CUSTOMER_PORTAL_USER" }],
      });
      expect(res.statusCode, password).toBe(400);
      expect(res.json()).toMatchObject({ code: "validation_failed", field: "password" });
      expect(res.json().detail).toContain("too easy to guess");
    }
    const victim = await env.makeUser({ role: "CUSTOMER_PORTAL_USER", accountId: acc });
    const weak = await admin.post(`/api/v1/users/${victim.userId}/actions/reset-password`, { password: "password1234" });
    expect(weak.json()).toMatchObject({ status: 400, field: "password" });
    expect(weak.json().detail).toMatch(/too easy to guess \(this is (similar to )?a commonly used password\)/);
    const row = await env.db
      .selectFrom("users")
      .select("password_hash")
      .where("id", "=", victim.userId)
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toBeNull();
    const generated = await admin.post(`/api/v1/users/${victim.userId}/actions/reset-password`, {});
    expect(generated.statusCode).toBe(200);
    expect(generated.json().password).toMatch(/^.{20}$/);
    // The first admin (LICENSOR_ADMIN_PASSWORD, `licensor admin create --password`) too.
    await expect(
      adminCreator(env.db, systemContext(), PUBLISHER_ID, { email: "first@x.io", password: "123456789012" }),
    ).rejects.toMatchObject({ status: 400, field: "password" });
  });

  it("a password reset ends all the user's sessions and, when asked, revokes its API tokens", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const acc = await env.makeAccount();
    const victim = await env.makeUser({ role: "CUSTOMER_PORTAL_USER", accountId: acc });
    const password = "correct horse battery staple";
    const logInAs = async (pw: string) => (await logIn(env.app, victim.email, pw)).res;
    const sessionWorks = async (cookie: string) =>
      (await env.app.inject({ method: "GET", url: "/api/v1/session", headers: { cookie } })).statusCode === 200;

    expect((await admin.post(`/api/v1/users/${victim.userId}/actions/reset-password`, { password })).statusCode).toBe(200);
    const first = cookieOf(await logInAs(password));
    expect(await sessionWorks(first)).toBe(true);
    const keep = await admin.post(`/api/v1/users/${victim.userId}/actions/reset-password`, { password: `${password}!` });
    expect(keep.json()).toMatchObject({ password: null, sessionsEnded: 1, tokensRevoked: 0 });
    expect(await sessionWorks(first)).toBe(false);
    expect((await env.caller(victim.token).get("/api/v1/accounts")).statusCode).toBe(200);

    const second = cookieOf(await logInAs(`${password}!`));
    const revoke = await admin.post(`/api/v1/users/${victim.userId}/actions/reset-password`, { password, revokeTokens: true });
    expect(revoke.json()).toMatchObject({ sessionsEnded: 1, tokensRevoked: 1 });
    expect(await sessionWorks(second)).toBe(false);
    expect((await env.caller(victim.token).get("/api/v1/accounts")).statusCode).toBe(401);
    const audit = await env.db
      .selectFrom("audit_events")
      .select("changes")
      .where("action", "=", "user.password_reset")
      .where("object_id", "=", victim.userId)
      .orderBy("id")
      .execute();
    expect(audit).toHaveLength(3);
    expect(JSON.parse(String(audit[2]?.changes)).apiAccessRevoked).toEqual({ before: null, after: 1 });
  });

  it("lets a customer portal admin manage only its own account's users", async () => {
    const mine = await env.makeAccount({ id: "MINE" });
    const other = await env.makeAccount({ id: "OTHER" });
    const portalAdmin = await env.as("CUSTOMER_PORTAL_ADMIN", mine);
    const colleague = await env.makeUser({ role: "CUSTOMER_PORTAL_USER", accountId: mine });
    const stranger = await env.makeUser({ role: "CUSTOMER_PORTAL_USER", accountId: other });

    const created = await portalAdmin.post("/api/v1/users", {
      email: "new@mine.io",
      firstName: "N",
      lastName: "U",
      memberships: [{ accountId: mine, role: "CUSTOMER_PORTAL_USER" }],
    });
    expect(created.statusCode).toBe(201);
    const foreign = await portalAdmin.post("/api/v1/users", {
      email: "new@other.io",
      firstName: "N",
      lastName: "U",
      memberships: [{ accountId: other, role: "CUSTOMER_PORTAL_USER" }],
    });
    expect(foreign.statusCode).toBe(403);

    const list = (await portalAdmin.get("/api/v1/users")).json();
    const emails = list.items.map((u: { email: string }) => u.email);
    expect(emails).toContain(colleague.email);
    expect(emails).toContain("new@mine.io");
    expect(emails).not.toContain(stranger.email);
    expect((await portalAdmin.get(`/api/v1/users/${stranger.userId}`)).statusCode).toBe(404);
    expect((await portalAdmin.post(`/api/v1/users/${stranger.userId}/actions/deactivate`)).statusCode).toBe(404);
    expect((await portalAdmin.post(`/api/v1/users/${colleague.userId}/actions/deactivate`)).statusCode).toBe(200);

    const plain = env.caller(colleague.token);
    const own = (
      await env.caller((await env.makeUser({ role: "CUSTOMER_PORTAL_USER", accountId: mine })).token).get("/api/v1/users")
    ).json();
    expect(own.items).toHaveLength(1);
    expect((await plain.get("/api/v1/users")).statusCode).toBe(401); // deactivated above
  });

  it("lists with filters and keyset paging", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const acc = await env.makeAccount({ id: "LISTACC" });
    for (const n of ["a", "b", "c", "d"])
      await env.makeUser({ role: "CUSTOMER_PORTAL_USER", accountId: acc, email: `${n}@list.io` });
    const p1 = (await admin.get("/api/v1/users?accountId=LISTACC&limit=3")).json();
    expect(p1.items.map((u: { email: string }) => u.email)).toEqual(["a@list.io", "b@list.io", "c@list.io"]);
    const p2 = (await admin.get(`/api/v1/users?accountId=LISTACC&limit=3&cursor=${p1.nextCursor}`)).json();
    expect(p2.items.map((u: { email: string }) => u.email)).toEqual(["d@list.io"]);
    const f = (await admin.get("/api/v1/users?email=STARTS_WITH:b@")).json();
    expect(f.items.map((u: { email: string }) => u.email)).toEqual(["b@list.io"]);
  });
});
