import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { userWithPassword } from "./factories.js";
import { HAVE_BROWSER, labelled, logInPage, login, okJson, portalForSuite, requireBrowserFor } from "./harness.js";

/**
 * A user who forgot their password, in Chromium: "Forgot password?" on the login page, the emailed
 * link (read from the Outbox, as an operator would find it without SMTP), a weak password refused
 * with the reason, the new password set, and a login with it.
 */

requireBrowserFor("password reset by email in Chromium");

const ADMIN_EMAIL = "e2e-reset-admin@example.test";
const ADMIN_PASSWORD = `e2e-${crypto.randomBytes(9).toString("base64url")}`;

describe.skipIf(!HAVE_BROWSER)("password reset by email in Chromium", () => {
  const { server, inBrowser } = portalForSuite({ adminEmail: ADMIN_EMAIL, adminPassword: ADMIN_PASSWORD });
  const tag = crypto.randomBytes(3).toString("hex");

  it("a user resets a forgotten password through the emailed link and logs in with the new one", {
    timeout: 120_000,
  }, async () => {
    const admin = await login(server().url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const account = await okJson<{ id: string }>(
      await admin.post("/api/v1/accounts", { id: `E2E-RST-${tag}`.toUpperCase(), name: `Reset ${tag}`, type: "CUSTOMER" }),
    );
    const email = `reset-${tag}@example.test`;
    const oldPassword = `old-${crypto.randomBytes(9).toString("base64url")}`;
    await userWithPassword(admin, { email, password: oldPassword, accountId: account.id, role: "CUSTOMER_PORTAL_USER" });
    const newPassword = `new-${crypto.randomBytes(9).toString("base64url")}`;

    await inBrowser("reset-flow", async (page) => {
      await page.goto("/login");
      await page.waitForLoadState("networkidle");
      await page.getByRole("link", { name: "Forgot password?" }).click();
      await page.waitForURL((u) => u.pathname === "/forgot-password");
      // The router keeps the login page on screen while the page's chunk loads: wait for the page itself.
      await page.getByRole("heading", { name: "Forgot your password?" }).waitFor({ state: "visible" });
      await page.waitForLoadState("networkidle");
      await page.getByLabel(labelled("Email")).fill(email);
      await page.screenshot({ path: "/tmp/shots/reset-1-forgot.png", fullPage: true });
      await page.getByRole("button", { name: "Send reset link" }).click();
      await page.getByText("If an account exists for this address, we sent it a link").waitFor({ state: "visible" });
      await page.screenshot({ path: "/tmp/shots/reset-2-sent.png", fullPage: true });

      // The email, as the Outbox holds it (no SMTP here: it stays NOT_SENT_NO_SMTP with its body).
      const list = await okJson<{ items: { id: string; to: string[] }[] }>(
        await admin.get("/api/v1/email/messages?kind=PASSWORD_RESET"),
        200,
      );
      const mine = list.items.find((m) => m.to.includes(email));
      expect(mine).toBeTruthy();
      const message = await okJson<{ bodyText: string }>(await admin.get(`/api/v1/email/messages/${mine?.id}`), 200);
      const link = /(https?:\/\/\S+\/reset-password\?token=[A-Za-z0-9_-]+)/.exec(message.bodyText)?.[1];
      expect(link, message.bodyText).toBeTruthy();
      const url = new URL(link as string);
      await page.goto(`${url.pathname}${url.search}`);
      await page.waitForLoadState("networkidle");

      await page.getByLabel(labelled("New password")).fill("password1234");
      await page.getByLabel(labelled("Repeat password")).fill("password1234");
      await page.getByRole("button", { name: "Set new password" }).click();
      await page
        .getByText(/too easy to guess/i)
        .first()
        .waitFor({ state: "visible" });
      await page.screenshot({ path: "/tmp/shots/reset-3-weak.png", fullPage: true });

      await page.getByLabel(labelled("New password")).fill(newPassword);
      await page.getByLabel(labelled("Repeat password")).fill(newPassword);
      await page.getByRole("button", { name: "Set new password" }).click();
      await page.getByText("Password changed").waitFor({ state: "visible" });
      await page.screenshot({ path: "/tmp/shots/reset-4-done.png", fullPage: true });

      // The link works once.
      await page.goto(`${url.pathname}${url.search}`);
      await page.waitForLoadState("networkidle");
      await page.getByLabel(labelled("New password")).fill(`x-${newPassword}`);
      await page.getByLabel(labelled("Repeat password")).fill(`x-${newPassword}`);
      await page.getByRole("button", { name: "Set new password" }).click();
      await page.getByText(/this link is not valid/i).waitFor({ state: "visible" });
      await page.screenshot({ path: "/tmp/shots/reset-5-used.png", fullPage: true });

      await logInPage(page, email, newPassword);
      await page.waitForURL((u) => u.pathname.startsWith("/portal"));
      await page.getByRole("navigation", { name: "Main menu" }).waitFor({ state: "visible" });
      // The reset proved the address: no "verify your email" banner.
      await page.waitForLoadState("networkidle");
      await page.getByRole("heading", { name: "My account" }).waitFor({ state: "visible" });
      expect(await page.getByText("Verify your email").count()).toBe(0);
      await page.screenshot({ path: "/tmp/shots/reset-6-portal.png", fullPage: true });
    });
    const old = await fetch(`${server().url}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: oldPassword }),
    });
    expect(old.status).toBe(401);
  });

  it("an unverified user sees the banner, resends the link, and the link verifies the address", {
    timeout: 120_000,
  }, async () => {
    const admin = await login(server().url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const account = await okJson<{ id: string }>(
      await admin.post("/api/v1/accounts", { id: `E2E-VFY-${tag}`.toUpperCase(), name: `Verify ${tag}`, type: "CUSTOMER" }),
    );
    const email = `verify-${tag}@example.test`;
    const password = `vfy-${crypto.randomBytes(9).toString("base64url")}`;
    // A user an administrator made after verification existed starts unverified, like a self-registered one.
    await userWithPassword(admin, { email, password, accountId: account.id, role: "CUSTOMER_PORTAL_USER" });

    await inBrowser("verify-flow", async (page) => {
      await logInPage(page, email, password);
      await page.getByText("Verify your email").waitFor({ state: "visible" });
      const resent = page.waitForResponse((r) => r.url().endsWith("/api/v1/email-verifications"));
      await page.getByRole("button", { name: "Resend" }).click();
      expect((await resent).status()).toBe(202);
      await page.getByText("A new verification link is on its way").waitFor({ state: "visible" });
      await page.screenshot({ path: "/tmp/shots/reset-7-banner.png", fullPage: true });

      const list = await okJson<{ items: { id: string; to: string[] }[] }>(
        await admin.get("/api/v1/email/messages?kind=VERIFY_EMAIL"),
        200,
      );
      const mine = list.items.find((m) => m.to.includes(email));
      const message = await okJson<{ bodyText: string }>(await admin.get(`/api/v1/email/messages/${mine?.id}`), 200);
      const link = /(https?:\/\/\S+\/verify-email\?token=[A-Za-z0-9_-]+)/.exec(message.bodyText)?.[1];
      expect(link, message.bodyText).toBeTruthy();
      const url = new URL(link as string);
      await page.goto(`${url.pathname}${url.search}`);
      await page.getByText("Email verified").waitFor({ state: "visible" });
      await page.screenshot({ path: "/tmp/shots/reset-8-verified.png", fullPage: true });
      await page.getByRole("link", { name: "Go to the portal" }).click();
      await page.getByRole("navigation", { name: "Main menu" }).waitFor({ state: "visible" });
      await page.getByRole("heading", { name: "My account" }).waitFor({ state: "visible" });
      await page.waitForLoadState("networkidle");
      expect(await page.getByText("Verify your email").count()).toBe(0);
    });
  });
});
