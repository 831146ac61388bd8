import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { HAVE_BROWSER, labelled, logInPage, login, okJson, portalForSuite, requireBrowserFor } from "./harness.js";

/**
 * The password forms in Chromium: a common password is refused with the reason in words, and the
 * change and reset forms offer to revoke the user's API tokens.
 */

requireBrowserFor("password forms in Chromium");

const ADMIN_EMAIL = "e2e-passwords-admin@example.test";
const ADMIN_PASSWORD = `e2e-${crypto.randomBytes(9).toString("base64url")}`;

describe.skipIf(!HAVE_BROWSER)("password forms in Chromium", () => {
  const { server, inBrowser } = portalForSuite({ adminEmail: ADMIN_EMAIL, adminPassword: ADMIN_PASSWORD });
  const tag = crypto.randomBytes(3).toString("hex");

  /** A customer portal user with a password and an API token of its own. */
  async function customerWithToken(name: string) {
    const admin = await login(server().url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const account = await okJson<{ id: string }>(
      await admin.post("/api/v1/accounts", {
        id: `E2E-PW-${name}-${tag}`.toUpperCase(),
        name: `Pw ${name} ${tag}`,
        type: "CUSTOMER",
      }),
    );
    const email = `pw-${name}-${tag}@example.test`;
    const password = `pw-${crypto.randomBytes(9).toString("base64url")}`;
    const user = await okJson<{ id: string }>(
      await admin.post("/api/v1/users", {
        email,
        firstName: "Pass",
        lastName: "Word",
        password,
        memberships: [{ accountId: account.id, role: "CUSTOMER_PORTAL_USER" }],
      }),
    );
    const own = await login(server().url, email, password);
    const token = await okJson<{ token: string }>(
      await own.post("/api/v1/tokens", { name: "e2e", accountId: account.id, role: "CUSTOMER_PORTAL_USER" }),
    );
    const tokenWorks = async () =>
      (await fetch(`${server().url}/api/v1/session`, { headers: { authorization: `Bearer ${token.token}` } })).status === 200;
    expect(await tokenWorks()).toBe(true);
    return { email, password, userId: user.id, tokenWorks };
  }

  it("refuses a common new password with the reason, then changes it and revokes the tokens", { timeout: 90_000 }, async () => {
    const user = await customerWithToken("change");
    await inBrowser("password-change", async (page) => {
      await logInPage(page, user.email, user.password);
      await page.goto("/portal/password");

      await page.getByLabel(labelled("Current password")).fill(user.password);
      await page.getByLabel(labelled("New password")).fill("password1234");
      await page.getByLabel(labelled("Repeat password")).fill("password1234");
      await page.getByRole("button", { name: "Change password" }).click();
      await page
        .getByText(/too easy to guess/i)
        .first()
        .waitFor({ state: "visible" });

      const strong = `new-${crypto.randomBytes(9).toString("base64url")}`;
      await page.getByLabel(labelled("New password")).fill(strong);
      await page.getByLabel(labelled("Repeat password")).fill(strong);
      await page.getByLabel("Also revoke all my API tokens").check();
      const posted = page.waitForResponse((r) => r.url().endsWith("/api/v1/session/password"));
      await page.getByRole("button", { name: "Change password" }).click();
      expect((await posted).status()).toBe(204);
      await page.getByText("your API tokens revoked").waitFor({ state: "visible" });
    });
    expect(await user.tokenWorks()).toBe(false);
  });

  it("an admin resets a password and chooses to revoke the user's tokens", { timeout: 90_000 }, async () => {
    const user = await customerWithToken("reset");
    await inBrowser("password-reset", async (page) => {
      await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      await page.goto(`/users/${encodeURIComponent(user.userId)}`);
      await page.getByRole("button", { name: "Reset password" }).click();
      const dialog = page.getByRole("dialog", { name: "Reset password" });
      await dialog.getByLabel("Also revoke their API tokens").check();
      const posted = page.waitForResponse((r) => r.url().endsWith("/actions/reset-password"));
      await dialog.getByRole("button", { name: "Reset password" }).click();
      const body = (await (await posted).json()) as { tokensRevoked: number; password: string };
      expect(body.tokensRevoked).toBe(1);
      const shown = page.getByRole("dialog", { name: "New password" });
      await shown.getByTestId("secret-value").waitFor({ state: "visible" });
      expect(((await shown.getByTestId("secret-value").textContent()) ?? "").trim()).toBe(body.password);
    });
    expect(await user.tokenWorks()).toBe(false);
  });
});
