import type { ParsedMail } from "mailparser";
import { expect, it } from "vitest";
import { systemContext } from "../src/actor.js";
import { queueLicenseEmail } from "../src/mail/outbox.js";
import { openSmtpPassword } from "../src/mail/smtp.js";
import { bulkEntitlement, type Json, ok, simpleEntitlement } from "./factories.js";
import { describeEachDb, type TestEnv } from "./helpers.js";
import { mailDelivery, until } from "./smtpInbox.js";

describeEachDb("email and outbox", (env: TestEnv) => {
  const inbox = mailDelivery(env);

  const configure = async (admin: Awaited<ReturnType<TestEnv["as"]>>, extra: Record<string, unknown> = {}) =>
    ok(
      await admin.patch("/api/v1/settings/email", {
        host: "127.0.0.1",
        port: inbox().port,
        security: "NONE",
        fromAddress: "licensing@producer.example",
        fromName: "Producer Licensing",
        ...extra,
      }),
      200,
    );

  const message = (admin: Awaited<ReturnType<TestEnv["as"]>>, id: string) =>
    admin.get(`/api/v1/email/messages/${id}`).then((r) => r.json() as Json);

  const settled = (admin: Awaited<ReturnType<TestEnv["as"]>>, id: string, status: string) =>
    until(`message ${id} ${status}`, async () => {
      const m = await message(admin, id);
      return m.status === status ? m : null;
    });

  it("sends a test email over SMTP: recipient, subject and sender as configured; status SENT", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    await configure(admin);
    const m = ok(await admin.post("/api/v1/settings/email/actions/test", { to: "ops@producer.example" }), 200);
    expect(m).toMatchObject({ kind: "TEST", status: "QUEUED", to: ["ops@producer.example"] });
    const sent = await settled(admin, m.id, "SENT");
    expect(sent).toMatchObject({ attempts: 1, lastError: null });
    expect(sent.sentAt).toBeTruthy();
    expect(inbox().received).toHaveLength(1);
    const mail = inbox().received[0] as ParsedMail;
    expect(mail.subject).toBe(m.subject);
    expect(mail.from?.value[0]).toMatchObject({ address: "licensing@producer.example", name: "Producer Licensing" });
    expect((mail.to as { value: { address: string }[] }).value.map((v) => v.address)).toEqual(["ops@producer.example"]);
  });

  it("with no SMTP configured keeps a deployed entitlement's certificate in the outbox; resent once configured, it arrives with the certificate attached", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { entitlement } = await simpleEntitlement(env, admin, {
      deploy: false,
      body: { shipToEmail: "buyer@customer.example, it@customer.example" },
    });
    expect((await admin.get("/api/v1/email/messages")).json().items).toHaveLength(0);
    ok(await admin.post(`/api/v1/entitlements/${entitlement.id}/actions/change-state`, { state: "DEPLOYED" }), 200);
    const list = ok(await admin.get("/api/v1/email/messages?kind=ENTITLEMENT_CERTIFICATE"), 200).items;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      to: ["buyer@customer.example", "it@customer.example"],
      objectType: "entitlement",
      objectId: entitlement.id,
    });
    const kept = await settled(admin, list[0].id, "NOT_SENT_NO_SMTP");
    expect(kept.lastError).toMatch(/No SMTP server is configured/);
    expect(kept.bodyText).toContain(entitlement.entitlementId);
    expect(kept.attachments).toHaveLength(1);
    const file = await admin.get(`/api/v1/email/messages/${kept.id}/attachments/0`);
    expect(file.statusCode).toBe(200);
    expect(file.body).toContain(entitlement.lineItems[0].activationId);
    expect(inbox().received).toHaveLength(0);

    await configure(admin);
    ok(await admin.post(`/api/v1/email/messages/${kept.id}/actions/resend`), 200);
    await settled(admin, kept.id, "SENT");
    const mail = inbox().received[0] as ParsedMail;
    expect(mail.subject).toContain(entitlement.entitlementId);
    expect(mail.attachments).toHaveLength(1);
    const att = mail.attachments[0];
    expect(att?.filename).toBe(`entitlement-certificate-${entitlement.entitlementId}.txt`);
    const text = att?.content.toString("utf8") ?? "";
    expect(text).toContain(`Entitlement ID:  ${entitlement.entitlementId}`);
    expect(text).toContain(`Activation ID: ${entitlement.lineItems[0].activationId}`);
    const audit = await env.db.selectFrom("audit_events").selectAll().where("action", "=", "email.resent").execute();
    expect(audit.map((a) => a.object_id)).toEqual([kept.id]);
  });

  it("queues a certificate on autoDeploy to the ship-to list, none without one, and none again when reactivated", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { entitlement } = await simpleEntitlement(env, admin, { body: { shipToEmail: "buyer@customer.example" } });
    await simpleEntitlement(env, admin);
    const certs = () => admin.get(`/api/v1/email/messages?kind=ENTITLEMENT_CERTIFICATE`).then((r) => ok(r, 200).items as Json[]);
    expect((await certs()).map((m) => [m.objectId, m.to])).toEqual([[entitlement.id, ["buyer@customer.example"]]]);
    for (const state of ["INACTIVE", "DEPLOYED"])
      ok(await admin.post(`/api/v1/entitlements/${entitlement.id}/actions/change-state`, { state }), 200);
    expect(await certs()).toHaveLength(1);
    // A refused deploy writes no email either: the message goes with the transaction.
    const draft = await simpleEntitlement(env, admin, { deploy: false, body: { shipToEmail: "x@customer.example" } });
    await env.db.updateTable("entitlements").set({ state: "OBSOLETE" }).where("id", "=", draft.entitlement.id).execute();
    expect(
      (await admin.post(`/api/v1/entitlements/${draft.entitlement.id}/actions/change-state`, { state: "DEPLOYED" })).statusCode,
    ).toBeGreaterThanOrEqual(400);
    expect(await certs()).toHaveLength(1);
  });

  it("retries a message SMTP refused for now (4xx), then sends it", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    await configure(admin);
    inbox().refuse = { code: 451, text: "Try again later", times: 1 };
    const m = ok(await admin.post("/api/v1/settings/email/actions/test", { to: "ops@producer.example" }), 200);
    const sent = await settled(admin, m.id, "SENT");
    expect(sent.attempts).toBe(2);
    expect(inbox().received).toHaveLength(1);
  });

  it("fails a message SMTP refuses for good (5xx) at once, with the server's answer", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    await configure(admin);
    inbox().refuse = { code: 554, text: "Message rejected as spam", times: 10 };
    const m = ok(await admin.post("/api/v1/settings/email/actions/test", { to: "ops@producer.example" }), 200);
    const failed = await settled(admin, m.id, "FAILED");
    expect(failed.attempts).toBe(1);
    expect(failed.lastError).toMatch(/554.*rejected as spam/);
    expect(inbox().received).toHaveLength(0);
  });

  it("gives up after the last attempt when the server keeps answering 4xx", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    await configure(admin);
    inbox().refuse = { code: 421, text: "Busy", times: 10 };
    const m = ok(await admin.post("/api/v1/settings/email/actions/test", { to: "ops@producer.example" }), 200);
    const failed = await settled(admin, m.id, "FAILED");
    expect(failed.attempts).toBe(3);
    expect(failed.lastError).toMatch(/Gave up after 3 attempts.*421/);
  });

  it("stores the SMTP password sealed, never returns or audits it; other changes keep it, null clears it", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const s = await configure(admin, { user: "mailer", password: "s3cret-smtp-pass" });
    expect(s).toMatchObject({ passwordSet: true, configured: true, user: "mailer" });
    expect(JSON.stringify(s)).not.toContain("s3cret");
    const row = await env.db.selectFrom("settings").select("value").where("key", "=", "email").executeTakeFirstOrThrow();
    expect(row.value).not.toContain("s3cret");
    const sealed = JSON.parse(row.value).passwordSealed as string;
    expect(openSmtpPassword(env.app.deps.config, sealed)).toBe("s3cret-smtp-pass");
    const kept = ok(await admin.patch("/api/v1/settings/email", { port: 2525 }), 200);
    expect(kept).toMatchObject({ port: 2525, passwordSet: true });
    expect(JSON.stringify((await admin.get("/api/v1/settings/email")).json())).not.toContain("s3cret");
    const audits = await env.db.selectFrom("audit_events").selectAll().where("action", "=", "settings.email_updated").execute();
    expect(audits.length).toBeGreaterThan(0);
    expect(JSON.stringify(audits)).not.toContain("s3cret");
    expect(JSON.stringify(audits)).not.toContain(sealed);
    expect(ok(await admin.patch("/api/v1/settings/email", { password: null }), 200).passwordSet).toBe(false);
    const bad = await admin.patch("/api/v1/settings/email", { fromAddress: "not an address" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors?.[0]?.field ?? bad.json().field).toBe("fromAddress");
    const ops = await env.as("PRODUCER_OPERATIONS");
    expect((await ops.patch("/api/v1/settings/email", { port: 25 })).statusCode).toBe(403);
  });

  it("previews templates with sample values, refuses an unknown placeholder by name, and sends with the edited template", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const templates = ok(await admin.get("/api/v1/settings/email/templates"), 200).items;
    expect(templates.map((t: Json) => t.name)).toEqual(["entitlementCertificate", "license", "passwordReset", "verifyEmail"]);
    expect(templates[0].placeholders.map((p: Json) => p.name)).toContain("activationIds");
    const preview = ok(
      await admin.post("/api/v1/settings/email/templates/license/actions/preview", {
        subject: "License {{fulfillmentId}}",
        body: "For {{hosts}} until {{expiry}}",
      }),
      200,
    );
    expect(preview).toEqual({ subject: "License FID_3K7M9Q", body: "For ETHERNET 00:1A:2B:3C:4D:5E until 2026-12-31" });
    const bad = await admin.post("/api/v1/settings/email/templates/license/actions/preview", {
      subject: "License {{fulfilmentId}}",
      body: "x",
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain("{{fulfilmentId}}");
    expect((await admin.patch("/api/v1/settings/email/templates/license", { body: "{{nope}}" })).statusCode).toBe(400);
    const unknown = await admin.patch("/api/v1/settings/email/templates/invoice", { body: "x" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain("invoice");
    const saved = ok(
      await admin.patch("/api/v1/settings/email/templates/license", { subject: "Lic {{fulfillmentId}} for {{product}}" }),
      200,
    );
    expect(saved).toMatchObject({ isDefault: false, subject: "Lic {{fulfillmentId}} for {{product}}" });

    await configure(admin);
    const id = await env.db.transaction().execute((trx) =>
      queueLicenseEmail(trx, systemContext(), {
        to: ["user@customer.example"],
        fulfillmentId: "FID_1",
        activationId: "ACT-1",
        entitlementId: "ENT-1",
        product: "Acme CAD 1.0",
        hosts: "STRING host-1",
        expiry: null,
        licenseFile: "LICENSE-TEXT-123",
        fileName: "FID_1.lic",
      }),
    );
    expect(id).toBeTruthy();
    expect(
      await env.db.transaction().execute((trx) =>
        queueLicenseEmail(trx, systemContext(), {
          to: [],
          fulfillmentId: "F",
          activationId: "A",
          entitlementId: "E",
          product: "P",
          hosts: "H",
          expiry: null,
          licenseFile: "L",
          fileName: "f",
        }),
      ),
    ).toBeNull();
    await settled(admin, id as string, "SENT");
    const mail = inbox().received[0] as ParsedMail;
    expect(mail.subject).toBe("Lic FID_1 for Acme CAD 1.0");
    expect(mail.attachments[0]?.filename).toBe("FID_1.lic");
    expect(mail.attachments[0]?.content.toString("utf8")).toBe("LICENSE-TEXT-123");
    expect(mail.text).toContain("Expires: permanent");
    const reset = ok(await admin.patch("/api/v1/settings/email/templates/license", { reset: true }), 200);
    expect(reset.isDefault).toBe(true);
  });

  it("queues a certificate to the portal user who redeems a key, and none for a producer's API redemption without an owner address", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk, keys, customer } = await bulkEntitlement(env, admin, { keys: 3 });
    const user = await env.makeUser({ role: "CUSTOMER_PORTAL_USER", accountId: customer });
    const r = await env.caller(user.token).post("/api/v1/redemptions", { key: keys[0] });
    expect(r.statusCode, r.body).toBe(201);
    const redeemed = r.json().entitlement;
    let items = ok(await admin.get("/api/v1/email/messages?kind=ENTITLEMENT_CERTIFICATE"), 200).items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ to: [user.email], objectId: redeemed.id });
    const detail = await message(admin, items[0].id);
    expect(detail.bodyText).toContain(keys[0]);

    ok(await admin.post("/api/v1/redemptions", { key: keys[1], soldTo: customer }), 201);
    items = ok(await admin.get("/api/v1/email/messages?kind=ENTITLEMENT_CERTIFICATE"), 200).items;
    expect(items).toHaveLength(1);
    ok(await admin.post("/api/v1/redemptions", { key: keys[2], soldTo: customer, owner: "owner@customer.example" }), 201);
    items = ok(await admin.get(`/api/v1/email/messages?q=owner@customer`), 200).items;
    expect(items).toHaveLength(1);
    expect(bulk.id).toBeTruthy();
  });

  it("lets producer staff read the outbox, admins and operations resend, and no customer or partner see it", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const m = ok(await admin.post("/api/v1/settings/email/actions/test", { to: "ops@producer.example" }), 200);
    const support = await env.as("PRODUCER_SUPPORT");
    expect((await support.get("/api/v1/email/messages")).statusCode).toBe(200);
    expect((await support.get(`/api/v1/email/messages/${m.id}`)).statusCode).toBe(200);
    expect((await support.post(`/api/v1/email/messages/${m.id}/actions/resend`)).statusCode).toBe(403);
    expect((await support.post("/api/v1/settings/email/actions/test", { to: "x@y.example" })).statusCode).toBe(403);
    await settled(admin, m.id, "NOT_SENT_NO_SMTP");
    const ops = await env.as("PRODUCER_OPERATIONS");
    expect((await ops.post(`/api/v1/email/messages/${m.id}/actions/resend`)).statusCode).toBe(200);
    for (const role of ["CUSTOMER_PORTAL_ADMIN", "PARTNER_PORTAL_ADMIN"] as const) {
      const c = await env.as(role);
      expect((await c.get("/api/v1/email/messages")).statusCode).toBe(403);
      expect((await c.get(`/api/v1/email/messages/${m.id}`)).statusCode).toBe(403);
      expect((await c.get(`/api/v1/email/messages/${m.id}/attachments/0`)).statusCode).toBe(403);
      expect((await c.get("/api/v1/settings/email")).statusCode).toBe(403);
    }
    expect((await admin.get("/api/v1/email/messages/nope")).statusCode).toBe(404);
    expect((await admin.get("/api/v1/email/messages?status=BOGUS")).statusCode).toBe(400);
  });
});
