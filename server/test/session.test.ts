import { expect, it } from "vitest";
import { buildApp } from "../src/app.js";
import { LOGIN_MAX_FAILURES } from "../src/commands/sessionCreator.js";
import { loadConfig } from "../src/config.js";
import { cookieOf, logIn, userWithPassword as makeUserWithPassword, PASSWORD } from "./factories.js";
import { describeEachDb, testConfig } from "./helpers.js";

describeEachDb("session", (env) => {
  const userWithPassword = (role: "PRODUCER_ADMIN" | "CUSTOMER_PORTAL_USER" = "CUSTOMER_PORTAL_USER") =>
    makeUserWithPassword(env, role);
  const login = async (email: string, password: string) => (await logIn(env.app, email, password)).res;

  /** The session cookie's attributes, lower-cased names ("secure", "httponly", "samesite=strict"). */
  function cookieAttributes(res: { headers: Record<string, unknown> }): string[] {
    const set = res.headers["set-cookie"];
    const first = String(Array.isArray(set) ? set[0] : set);
    return first
      .split(";")
      .slice(1)
      .map((a) => a.trim().toLowerCase());
  }

  it("logs in with an HTTP-only SameSite cookie, needs the CSRF token for changes, and logs out", async () => {
    const { user } = await userWithPassword("PRODUCER_ADMIN");
    const res = await login(user.email.toUpperCase(), PASSWORD);
    expect(res.statusCode).toBe(200);
    const attributes = cookieAttributes(res);
    expect(attributes).toContain("httponly");
    expect(attributes).toContain("samesite=strict");
    // Plain HTTP, no proxy trusted, LICENSOR_SECURE_COOKIES unset: a Secure cookie would never come back.
    expect(attributes).not.toContain("secure");
    const { csrfToken, portal } = res.json();
    expect(portal).toBe("producer");
    const cookie = cookieOf(res);

    const me = await env.app.inject({ method: "GET", url: "/api/v1/session", headers: { cookie } });
    expect(me.json()).toMatchObject({ user: { email: user.email }, csrfToken, authMethod: "session" });

    const body = { id: "CSRF-1", name: "x", type: "CUSTOMER" };
    const noCsrf = await env.app.inject({ method: "POST", url: "/api/v1/accounts", headers: { cookie }, payload: body });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().code).toBe("csrf_token_invalid");
    const withCsrf = await env.app.inject({
      method: "POST",
      url: "/api/v1/accounts",
      headers: { cookie, "x-csrf-token": csrfToken },
      payload: body,
    });
    expect(withCsrf.statusCode).toBe(201);

    const out = await env.app.inject({
      method: "DELETE",
      url: "/api/v1/session",
      headers: { cookie, "x-csrf-token": csrfToken },
    });
    expect(out.statusCode).toBe(204);
    const after = await env.app.inject({ method: "GET", url: "/api/v1/session", headers: { cookie } });
    expect(after.statusCode).toBe(401);
    // The logout is audited with the session's end.
    const ended = await env.db.selectFrom("audit_events").select("object_id").where("action", "=", "session.ended").execute();
    expect(ended).toEqual([{ object_id: user.id }]);
  });

  it("marks the cookie Secure under LICENSOR_SECURE_COOKIES or HTTPS forwarded by a trusted proxy, and not otherwise", async () => {
    const { user } = await userWithPassword();
    // Other server instances on the same database, each configured from its environment variables.
    const apps: Awaited<ReturnType<typeof buildApp>>[] = [];
    const serverWith = async (vars: Record<string, string>) => {
      const { trustProxy, secureCookies } = loadConfig(vars);
      const app = await buildApp({ ...env.app.deps, config: testConfig({ trustProxy, secureCookies }) }, { logger: false });
      await app.ready();
      apps.push(app);
      return async (request: { remoteAddress?: string; proto?: string }) => {
        const res = await app.inject({
          method: "POST",
          url: "/api/v1/session",
          remoteAddress: request.remoteAddress ?? "127.0.0.1",
          headers: request.proto ? { "x-forwarded-proto": request.proto } : {},
          payload: { email: user.email, password: PASSWORD },
        });
        expect(res.statusCode).toBe(200);
        return cookieAttributes(res).includes("secure");
      };
    };
    try {
      // TLS ends at a proxy the server is told about: Secure over plain HTTP.
      expect(await (await serverWith({ LICENSOR_SECURE_COOKIES: "true" }))({})).toBe(true);
      // X-Forwarded-Proto counts only from a trusted proxy, and only when it says https.
      const anyProxy = await serverWith({ LICENSOR_TRUST_PROXY: "true" });
      expect(await anyProxy({ proto: "https" })).toBe(true);
      expect(await anyProxy({ proto: "http" })).toBe(false);
      const listed = await serverWith({ LICENSOR_TRUST_PROXY: "10.0.0.0/8" });
      expect(await listed({ remoteAddress: "10.1.2.3", proto: "https" })).toBe(true);
      expect(await listed({ remoteAddress: "203.0.113.9", proto: "https" })).toBe(false);
      expect(await (await serverWith({}))({ proto: "https" })).toBe(false);
    } finally {
      for (const app of apps) await app.close();
    }
  }, 90_000);

  it("gives the same answer for an unknown email and a wrong password, then locks the email out", async () => {
    const { user } = await userWithPassword();
    const unknown = await login("nobody@example.com", PASSWORD);
    const wrong = await login(user.email, "wrong password!!");
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.json().detail).toBe(wrong.json().detail);
    for (let i = 1; i < LOGIN_MAX_FAILURES; i++) await login(user.email, "wrong password!!");
    const locked = await login(user.email, PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(locked.json().code).toBe("login_locked");
    expect(Number(locked.headers["retry-after"])).toBeGreaterThan(0);
    const audit = await env.db.selectFrom("audit_events").select("action").where("object_id", "=", user.id).execute();
    expect(audit.map((a) => a.action)).toContain("session.locked_out");
  });

  it("refuses a deactivated user's login exactly like a wrong password, and ends its sessions", async () => {
    const { admin, user } = await userWithPassword();
    const res = await login(user.email, PASSWORD);
    const cookie = cookieOf(res);
    await admin.post(`/api/v1/users/${user.id}/actions/deactivate`);
    expect((await env.app.inject({ method: "GET", url: "/api/v1/session", headers: { cookie } })).statusCode).toBe(401);
    const right = await login(user.email, PASSWORD);
    const wrong = await login(user.email, "wrong password!!");
    // Today's oracle was 403 "deactivated" for the right password and 401 for a wrong one.
    expect(right.statusCode).toBe(401);
    const { requestId: _r, ...rightBody } = right.json();
    const { requestId: _w, ...wrongBody } = wrong.json();
    expect(rightBody).toEqual(wrongBody);
    expect(right.headers["set-cookie"]).toBeUndefined();
  });

  it("evaluates at most the limit of 100 concurrent wrong passwords, then the right one is locked out", async () => {
    const { user } = await userWithPassword();
    // From 100 addresses, so the per-IP limit does not hide the lockout.
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        env.app.inject({
          method: "POST",
          url: "/api/v1/session",
          remoteAddress: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
          payload: { email: user.email, password: `wrong guess ${i}!!` },
        }),
      ),
    );
    const codes = answers.map((a) => a.statusCode);
    expect(codes.filter((c) => c === 401).length).toBeLessThanOrEqual(LOGIN_MAX_FAILURES);
    expect(codes.filter((c) => c !== 401).every((c) => c === 429)).toBe(true);
    const evaluated = await env.db
      .selectFrom("audit_events")
      .select("action")
      .where("object_id", "=", user.id)
      .where("action", "in", ["session.login_failed", "session.locked_out"])
      .execute();
    expect(evaluated.length).toBeLessThanOrEqual(LOGIN_MAX_FAILURES);
    expect(evaluated.map((e) => e.action)).toContain("session.locked_out");
    const lock = await env.db.selectFrom("login_failures").selectAll().where("email", "=", user.email).executeTakeFirst();
    expect(lock?.locked_until && lock.locked_until > new Date().toISOString()).toBe(true);
    const right = await login(user.email, PASSWORD);
    expect(right.statusCode).toBe(429);
    expect(right.json().code).toBe("login_locked");
  });

  it("changes the password: wrong current refused, weak new refused, old password stops working", async () => {
    const { user } = await userWithPassword();
    const res = await login(user.email, PASSWORD);
    const cookie = cookieOf(res);
    const headers = { cookie, "x-csrf-token": res.json().csrfToken };
    const bad = await env.app.inject({
      method: "POST",
      url: "/api/v1/session/password",
      headers,
      payload: { currentPassword: "nope", newPassword: "another long password" },
    });
    expect(bad.json()).toMatchObject({ status: 400, field: "currentPassword" });
    const weak = await env.app.inject({
      method: "POST",
      url: "/api/v1/session/password",
      headers,
      payload: { currentPassword: PASSWORD, newPassword: "short" },
    });
    expect(weak.json()).toMatchObject({ status: 400, field: "newPassword" });
    const ok = await env.app.inject({
      method: "POST",
      url: "/api/v1/session/password",
      headers,
      payload: { currentPassword: PASSWORD, newPassword: "another long password" },
    });
    expect(ok.statusCode).toBe(204);
    expect((await login(user.email, PASSWORD)).statusCode).toBe(401);
    expect((await login(user.email, "another long password")).statusCode).toBe(200);
  });

  it("refuses a common new password with the reason; a change keeps this session, ends the others and on request revokes tokens", async () => {
    const { user, accountId } = await userWithPassword();
    const first = await login(user.email, PASSWORD);
    const other = cookieOf(await login(user.email, PASSWORD));
    const headers = { cookie: cookieOf(first), "x-csrf-token": first.json().csrfToken };
    const change = (payload: object) => env.app.inject({ method: "POST", url: "/api/v1/session/password", headers, payload });
    const works = async (h: Record<string, string>) =>
      (await env.app.inject({ method: "GET", url: "/api/v1/session", headers: h })).statusCode === 200;
    const token = await env.app.inject({
      method: "POST",
      url: "/api/v1/tokens",
      headers,
      payload: { name: "ci", accountId, role: "CUSTOMER_PORTAL_USER" },
    });
    expect(token.statusCode).toBe(201);
    const bearer = { authorization: `Bearer ${token.json().token}` };

    for (const weak of ["password1234", "123456789012"]) {
      const r = await change({ currentPassword: PASSWORD, newPassword: weak });
      expect(r.json()).toMatchObject({ status: 400, field: "newPassword" });
      expect(r.json().detail).toContain("too easy to guess");
    }
    expect(await works(headers)).toBe(true);
    expect(await works({ cookie: other })).toBe(true);

    const ok = await change({ currentPassword: PASSWORD, newPassword: "another long password" });
    expect(ok.statusCode).toBe(204);
    expect(await works(headers)).toBe(true);
    expect(await works({ cookie: other })).toBe(false);
    expect(await works(bearer)).toBe(true);

    const revoking = await change({
      currentPassword: "another long password",
      newPassword: "yet another long password",
      revokeTokens: true,
    });
    expect(revoking.statusCode).toBe(204);
    expect(await works(headers)).toBe(true);
    expect(await works(bearer)).toBe(false);
    const audit = await env.db
      .selectFrom("audit_events")
      .select("changes")
      .where("action", "=", "user.password_changed")
      .where("object_id", "=", user.id)
      .orderBy("id")
      .execute();
    expect(audit.map((a) => JSON.parse(String(a.changes)))).toEqual([
      { sessionsEnded: { before: null, after: 1 }, apiAccessRevoked: { before: null, after: 0 } },
      { sessionsEnded: { before: null, after: 0 }, apiAccessRevoked: { before: null, after: 1 } },
    ]);
  });

  it("shares the per-address login limit between two server instances on one database", async () => {
    // A second app on the same database, nothing else shared: the limit lives in the database.
    const other = await buildApp({ ...env.app.deps, config: testConfig() }, { logger: false });
    await other.ready();
    try {
      // An empty body is refused (400) after the limit has counted it: no password work needed.
      const attempt = (app: typeof other) =>
        app.inject({ method: "POST", url: "/api/v1/session", remoteAddress: "198.51.100.30", payload: {} });
      const codes: number[] = [];
      for (let i = 0; i < 20; i++) codes.push((await attempt(env.app)).statusCode, (await attempt(other)).statusCode);
      expect(codes.filter((c) => c === 400)).toHaveLength(30);
      expect(codes.filter((c) => c === 429)).toHaveLength(10);
      const elsewhere = await env.app.inject({
        method: "POST",
        url: "/api/v1/session",
        remoteAddress: "198.51.100.31",
        payload: {},
      });
      expect(elsewhere.statusCode).toBe(400);
    } finally {
      await other.close();
    }
  });

  it("routes customer users to the end-user portal", async () => {
    const { user } = await userWithPassword("CUSTOMER_PORTAL_USER");
    expect((await login(user.email, PASSWORD)).json().portal).toBe("enduser");
  });
});
