import type { ParsedMail } from "mailparser";
import { expect, it } from "vitest";
import { type Jwks, verifyLicense } from "../../verifier/src/index.js";
import { type Json, ok } from "./factories.js";
import { type Caller, describeEachDb, type TestEnv } from "./helpers.js";
import { activatable, activate, auditOf } from "./licenses.js";
import { mailDelivery, until } from "./smtpInbox.js";

/** Licenses by email (issue 14.7): on activation to the ship-to list, and again on request. */
describeEachDb("license email", (env: TestEnv) => {
  const inbox = mailDelivery(env);

  const configureSmtp = async (admin: Caller) =>
    ok(
      await admin.patch("/api/v1/settings/email", {
        host: "127.0.0.1",
        port: inbox().port,
        security: "NONE",
        fromAddress: "licensing@producer.example",
      }),
      200,
    );
  const sent = (admin: Caller, id: string) =>
    until(`message ${id} sent`, async () => {
      const m = (await admin.get(`/api/v1/email/messages/${id}`)).json() as Json;
      return m.status === "SENT" ? m : null;
    });
  const licenseOf = (mail: ParsedMail) => {
    expect(mail.attachments).toHaveLength(1);
    return mail.attachments[0] as ParsedMail["attachments"][number];
  };

  it("emails the license to the activation's ship-to list: the attachment is the license, and it verifies for the host", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    await configureSmtp(admin);
    const a = await activatable(env, admin);
    const r = await activate(admin, {
      activationId: a.activationId,
      hosts: [{ id: "build-01" }],
      shipToEmail: "it@customer.example, cto@customer.example",
    });
    expect(r.emailMessageId).toEqual(expect.any(String));
    const m = await sent(admin, r.emailMessageId);
    expect(m).toMatchObject({ kind: "LICENSE", to: ["it@customer.example", "cto@customer.example"] });
    expect(inbox().received).toHaveLength(1);
    const mail = inbox().received[0] as ParsedMail;
    expect(mail.subject).toContain(r.fulfillment.id);
    const file = licenseOf(mail);
    expect(file.filename).toBe(`${r.fulfillment.id}.lic`);
    expect(file.content.toString("utf8")).toBe(r.licenseFile);
    const jwks = ok(await env.caller(null).get("/api/v1/license-keys"), 200) as Jwks;
    expect(verifyLicense(file.content.toString("utf8"), { publicKeys: jwks, host: "build-01" }).code).toBe("VALID");
  });

  it("sends nothing with sendEmail false, and nothing without a ship-to address", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, { copies: 5 });
    const quiet = await activate(admin, {
      activationId: a.activationId,
      hosts: [{ id: "h1" }],
      shipToEmail: "it@customer.example",
      sendEmail: false,
    });
    expect(quiet.emailMessageId).toBeNull();
    expect((await activate(admin, { activationId: a.activationId, hosts: [{ id: "h2" }] })).emailMessageId).toBeNull();
    expect(((await admin.get("/api/v1/email/messages")).json() as Json).items).toHaveLength(0);
  });

  it("keeps the license in the outbox without SMTP, and a rehost emails the new license to the same list", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, { copies: 5 });
    const r = await activate(admin, { activationId: a.activationId, hosts: [{ id: "old" }], shipToEmail: "it@customer.example" });
    // Queued with the license; the dispatcher, finding no SMTP server configured, keeps it in the outbox.
    const kept = await until("the license kept in the outbox", async () => {
      const m = (await admin.get(`/api/v1/email/messages/${r.emailMessageId}`)).json() as Json;
      return m.status === "NOT_SENT_NO_SMTP" ? m : null;
    });
    expect(kept).toMatchObject({ kind: "LICENSE", to: ["it@customer.example"] });
    const moved = ok(
      await admin.post(`/api/v1/fulfillments/${r.fulfillment.id}/actions/rehost`, { hosts: [{ id: "new" }] }),
      200,
    );
    expect(moved.issued.emailMessageId).toEqual(expect.any(String));
    const m = (await admin.get(`/api/v1/email/messages/${moved.issued.emailMessageId}`)).json() as Json;
    expect(m).toMatchObject({ kind: "LICENSE", to: ["it@customer.example"] });
  });

  it("emails a license again on request, to given addresses or the ship-to list, audited; the owner may, a stranger may not", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    await configureSmtp(admin);
    const a = await activatable(env, admin);
    const r = await activate(admin, { activationId: a.activationId, hosts: [{ id: "m1" }], sendEmail: false });
    const fid = r.fulfillment.id as string;

    const none = await admin.post(`/api/v1/fulfillments/${fid}/actions/email`, {});
    expect(none.statusCode).toBe(400);
    expect(none.json()).toMatchObject({ field: "to" });
    const bad = await admin.post(`/api/v1/fulfillments/${fid}/actions/email`, { to: "not-an-address" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toContain("not-an-address");

    const customer = await env.as("CUSTOMER_PORTAL_USER", a.customer);
    const again = customer.post(`/api/v1/fulfillments/${fid}/actions/email`, { to: "me@customer.example" });
    const res = ok(await again, 202);
    expect(res.recipients).toEqual(["me@customer.example"]);
    await sent(admin, res.messageId);
    expect(licenseOf(inbox().received[0] as ParsedMail).content.toString("utf8")).toBe(r.licenseFile);
    expect((await auditOf(env, fid)).map((e) => e.action)).toContain("fulfillment.emailed");

    const stranger = await env.as("CUSTOMER_PORTAL_USER");
    expect((await stranger.post(`/api/v1/fulfillments/${fid}/actions/email`, { to: "x@evil.example" })).statusCode).toBe(404);
  });
});
