import type { ParsedMail } from "mailparser";
import { expect, it } from "vitest";
import { bulkEntitlement, type Json, logIn, ok, userWithPassword } from "./factories.js";
import { type Caller, describeEachDb, type TestEnv } from "./helpers.js";
import { mailDelivery, until } from "./smtpInbox.js";

const NEW_PASSWORD = "plum quartz harbour lantern 42";

describeEachDb("password reset by email and email verification", (env: TestEnv) => {
  const inbox = mailDelivery(env);
  const anon = () => env.caller(null);

  const configure = async (admin: Caller) =>
    ok(
      await admin.patch("/api/v1/settings/email", {
        host: "127.0.0.1",
        port: inbox().port,
        security: "NONE",
        fromAddress: "licensing@producer.example",
      }),
      200,
    );

  /** The message to `to` whose subject matches, once it has arrived over SMTP. */
  const mailTo = (to: string, subject: RegExp, nth = 1) =>
    until(`mail ${nth} to ${to}`, async () => {
      const got = inbox().received.filter(
        (m) => (m.to as { value: { address: string }[] }).value.some((v) => v.address === to) && subject.test(m.subject ?? ""),
      );
      return got.length >= nth ? (got[nth - 1] as ParsedMail) : null;
    });

  const linkIn = (mail: ParsedMail, path: string) => {
    const m = new RegExp(`(\\S+/${path}\\?token=([A-Za-z0-9_-]+))`).exec(mail.text ?? "");
    expect(m, mail.text).toBeTruthy();
    return { url: m?.[1] as string, token: m?.[2] as string };
  };

  const requestReset = (email: string) => anon().post("/api/v1/password-resets", { email });
  const confirm = (token: string, password: string) => anon().post("/api/v1/password-resets/confirm", { token, password });
  const messagesTo = (email: string) =>
    env.db.selectFrom("email_messages").select(["kind", "body_text"]).where("recipients", "like", `%${email}%`).execute();

  it("emails a working link over SMTP; the link resets the password once, ends every session, verifies the address", async () => {
    const { admin, user, password } = await userWithPassword(env, "CUSTOMER_PORTAL_USER");
    await configure(admin);
    const before = await logIn(env.app, user.email, password);
    expect(before.res.statusCode).toBe(200);

    const asked = await requestReset(user.email);
    expect(asked.statusCode).toBe(202);
    const mail = await mailTo(user.email, /Reset your/);
    const link = linkIn(mail, "reset-password");
    expect(link.url.startsWith(`${env.app.deps.config.publicUrl.replace(/\/$/, "")}/reset-password?token=`)).toBe(true);
    // Only the token's hash is stored.
    const stored = await env.db.selectFrom("user_email_tokens").selectAll().where("user_id", "=", user.id).execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.id).not.toContain(link.token);
    expect(stored[0]?.id).toMatch(/^[0-9a-f]{64}$/);

    expect((await confirm(link.token, NEW_PASSWORD)).statusCode).toBe(204);
    // The session made with the old password is gone; the old password no longer works, the new one does.
    const stale = await env.app.inject({ method: "GET", url: "/api/v1/session", headers: { cookie: before.cookie } });
    expect(stale.statusCode).toBe(401);
    expect((await logIn(env.app, user.email, password)).res.statusCode).toBe(401);
    const after = await logIn(env.app, user.email, NEW_PASSWORD);
    expect(after.res.statusCode).toBe(200);
    expect(after.res.json().user.emailVerified).toBe(true);

    // Once only.
    const again = await confirm(link.token, "another fine passphrase 77");
    expect(again.statusCode).toBe(400);
    expect(again.json()).toMatchObject({ code: "validation_failed", field: "token" });
    expect((await logIn(env.app, user.email, NEW_PASSWORD)).res.statusCode).toBe(200);

    const audit = await env.db
      .selectFrom("audit_events")
      .select("action")
      .where("object_id", "=", user.id)
      .where("action", "like", "user.password_reset%")
      .execute();
    expect(audit.map((a) => a.action).sort()).toEqual(["user.password_reset_by_email", "user.password_reset_requested"]);
  });

  it("answers an unknown or deactivated email exactly like a known one, and emails nobody", async () => {
    const { admin, user } = await userWithPassword(env, "CUSTOMER_PORTAL_USER");
    await configure(admin);
    const known = await requestReset(user.email);
    const unknown = await requestReset("nobody-here@example.com");
    expect(unknown.statusCode).toBe(known.statusCode);
    expect(unknown.body).toBe(known.body);

    const gone = await userWithPassword(env, "CUSTOMER_PORTAL_USER", { admin });
    ok(await admin.post(`/api/v1/users/${gone.user.id}/actions/deactivate`, {}), 200);
    const inactive = await requestReset(gone.user.email);
    expect(inactive.body).toBe(known.body);

    await mailTo(user.email, /Reset your/);
    expect(await messagesTo("nobody-here@example.com")).toEqual([]);
    expect((await messagesTo(gone.user.email)).filter((m) => m.kind === "PASSWORD_RESET")).toEqual([]);
    expect(inbox().received.filter((m) => /Reset your/.test(m.subject ?? ""))).toHaveLength(1);
  });

  it("refuses an expired link and a superseded one with the same words", async () => {
    const { admin, user } = await userWithPassword(env, "CUSTOMER_PORTAL_USER");
    await configure(admin);
    await requestReset(user.email);
    const first = linkIn(await mailTo(user.email, /Reset your/), "reset-password");
    await requestReset(user.email);
    const second = linkIn(await mailTo(user.email, /Reset your/, 2), "reset-password");
    expect(second.token).not.toBe(first.token);

    const superseded = await confirm(first.token, NEW_PASSWORD);
    expect(superseded.statusCode).toBe(400);
    await env.db
      .updateTable("user_email_tokens")
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where("user_id", "=", user.id)
      .execute();
    const expired = await confirm(second.token, NEW_PASSWORD);
    expect(expired.statusCode).toBe(400);
    const unknown = await confirm("no-such-token", NEW_PASSWORD);
    expect(expired.json().detail).toBe(superseded.json().detail);
    expect(unknown.json().detail).toBe(superseded.json().detail);
    expect((await logIn(env.app, user.email, NEW_PASSWORD)).res.statusCode).toBe(401);
  });

  it("refuses a weak password with the reason, and the link still works afterwards", async () => {
    const { admin, user } = await userWithPassword(env, "CUSTOMER_PORTAL_USER");
    await configure(admin);
    await requestReset(user.email);
    const { token } = linkIn(await mailTo(user.email, /Reset your/), "reset-password");
    const weak = await confirm(token, "password123");
    expect(weak.statusCode).toBe(400);
    expect(weak.json()).toMatchObject({ code: "validation_failed", field: "password" });
    expect(weak.json().detail).toMatch(/password: .+/);
    expect((await confirm(token, NEW_PASSWORD)).statusCode).toBe(204);
  });

  it("lets one of two concurrent confirms of a link win", async () => {
    const { admin, user } = await userWithPassword(env, "CUSTOMER_PORTAL_USER");
    await configure(admin);
    await requestReset(user.email);
    const { token } = linkIn(await mailTo(user.email, /Reset your/), "reset-password");
    const answers = await Promise.all([
      confirm(token, NEW_PASSWORD),
      confirm(token, "second concurrent passphrase 9"),
      confirm(token, "third concurrent passphrase 8"),
    ]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([204, 400, 400]);
    const events = await env.db
      .selectFrom("audit_events")
      .select("id")
      .where("object_id", "=", user.id)
      .where("action", "=", "user.password_reset_by_email")
      .execute();
    expect(events).toHaveLength(1);
  });

  it("clears the login lockout", async () => {
    const { admin, user } = await userWithPassword(env, "CUSTOMER_PORTAL_USER");
    await configure(admin);
    for (let i = 0; i < 6; i++) await logIn(env.app, user.email, "wrong password entirely");
    expect((await logIn(env.app, user.email, NEW_PASSWORD)).res.statusCode).toBe(429);
    await requestReset(user.email);
    const { token } = linkIn(await mailTo(user.email, /Reset your/), "reset-password");
    expect((await confirm(token, NEW_PASSWORD)).statusCode).toBe(204);
    expect((await logIn(env.app, user.email, NEW_PASSWORD)).res.statusCode).toBe(200);
  });

  it("throttles per address (answered alike, nothing sent) and per client address (429)", async () => {
    const { user } = await userWithPassword(env, "CUSTOMER_PORTAL_USER");
    const answers: Json[] = [];
    for (let i = 0; i < 5; i++) answers.push(await requestReset(user.email));
    expect(answers.map((a) => a.statusCode)).toEqual([202, 202, 202, 202, 202]);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect((await messagesTo(user.email)).filter((m) => m.kind === "PASSWORD_RESET")).toHaveLength(3);
    // Ten a minute per client address, whatever the emails.
    const more: number[] = [];
    for (let i = 0; i < 6; i++) more.push((await requestReset(`other-${i}@example.com`)).statusCode);
    expect(more.slice(0, 5)).toEqual([202, 202, 202, 202, 202]);
    expect(more[5]).toBe(429);
  });

  it("refuses a request or confirm with bad fields, naming them", async () => {
    const bad = await anon().post("/api/v1/password-resets", { email: "not an email" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toMatch(/email/);
    const missing = await anon().post("/api/v1/password-resets/confirm", { token: "x" });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().detail).toMatch(/password/);
  });

  verificationTests(env, inbox, () => ({ configure, mailTo, linkIn }));
});

/** Email verification of self-registered users. */
function verificationTests(
  env: TestEnv,
  _inbox: () => unknown,
  helpers: () => {
    configure: (admin: Caller) => Promise<Json>;
    mailTo: (to: string, subject: RegExp, nth?: number) => Promise<ParsedMail>;
    linkIn: (mail: ParsedMail, path: string) => { url: string; token: string };
  },
) {
  const register = async (admin: Caller, email: string) => {
    const { keys } = await bulkEntitlement(env, admin, { keys: 1 });
    const res = await env.app.inject({
      method: "POST",
      url: "/api/v1/registrations",
      payload: { key: keys[0], company: "Verify Ltd", firstName: "Vera", lastName: "Fy", email, password: NEW_PASSWORD },
    });
    expect(res.statusCode, res.body).toBe(201);
    const s = await logIn(env.app, email, NEW_PASSWORD);
    return { cookie: s.cookie, headers: { cookie: s.cookie, "x-csrf-token": s.csrfToken } };
  };
  const session = (cookie: string) =>
    env.app.inject({ method: "GET", url: "/api/v1/session", headers: { cookie } }).then((r) => r.json() as Json);

  it("emails a self-registered user a verification link that verifies the address once", async () => {
    const { configure, mailTo, linkIn } = helpers();
    const admin = await env.as("PRODUCER_ADMIN");
    await configure(admin);
    const email = "vera@verify.example";
    const s = await register(admin, email);
    expect((await session(s.cookie)).user.emailVerified).toBe(false);

    const { url, token } = linkIn(await mailTo(email, /Verify your email/), "verify-email");
    expect(url).toContain("/verify-email?token=");
    const ok1 = await env.caller(null).post("/api/v1/email-verifications/confirm", { token });
    expect(ok1.statusCode).toBe(204);
    expect((await session(s.cookie)).user.emailVerified).toBe(true);
    const twice = await env.caller(null).post("/api/v1/email-verifications/confirm", { token });
    expect(twice.json()).toMatchObject({ status: 400, field: "token" });
    // Already verified: nothing to resend.
    const resend = await env.app.inject({ method: "POST", url: "/api/v1/email-verifications", headers: s.headers });
    expect(resend.statusCode).toBe(409);
  });

  it("resends a new link to a logged-in unverified user (the older stops working), at most three an hour; expired links refused", async () => {
    const { configure, mailTo, linkIn } = helpers();
    const admin = await env.as("PRODUCER_ADMIN");
    await configure(admin);
    const email = "resend@verify.example";
    const s = await register(admin, email);
    const first = linkIn(await mailTo(email, /Verify your email/), "verify-email");
    const codes: number[] = [];
    for (let i = 0; i < 4; i++)
      codes.push((await env.app.inject({ method: "POST", url: "/api/v1/email-verifications", headers: s.headers })).statusCode);
    expect(codes).toEqual([202, 202, 202, 429]);
    const latest = linkIn(await mailTo(email, /Verify your email/, 4), "verify-email");
    expect((await env.caller(null).post("/api/v1/email-verifications/confirm", { token: first.token })).statusCode).toBe(400);
    await env.db
      .updateTable("user_email_tokens")
      .set({ expires_at: new Date(Date.now() - 1).toISOString() })
      .execute();
    expect((await env.caller(null).post("/api/v1/email-verifications/confirm", { token: latest.token })).statusCode).toBe(400);
    expect((await session(s.cookie)).user.emailVerified).toBe(false);
    // Not logged in: no resend.
    expect((await env.caller(null).post("/api/v1/email-verifications")).statusCode).toBe(401);
  });
}
