import crypto from "node:crypto";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { deployedLicenseModel } from "./factories.js";
import { HAVE_BROWSER, labelled, logInPage, login, okJson, portalForSuite, requireBrowserFor } from "./harness.js";

/**
 * The producer's catalog and directory pages in Chromium, each as a user goes through it: create
 * from the list page's button, land on the detail page, find the new row in the list. License
 * models (and deploying one), part numbers, accounts and users; products are in portal.test.ts.
 */

requireBrowserFor("catalog pages in Chromium");

const ADMIN_EMAIL = "e2e-catalog-admin@example.test";
const ADMIN_PASSWORD = `e2e-${crypto.randomBytes(9).toString("base64url")}`;

describe.skipIf(!HAVE_BROWSER)("catalog pages in Chromium", () => {
  const { server, inBrowser } = portalForSuite({ adminEmail: ADMIN_EMAIL, adminPassword: ADMIN_PASSWORD });
  const tag = crypto.randomBytes(3).toString("hex");

  async function logIn(page: Page) {
    await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  }

  /** Opens a section from the navigation and presses its create button. */
  async function startCreating(page: Page, section: string, button: string, path: RegExp) {
    await page.getByRole("link", { name: section, exact: true }).first().click();
    await page.getByRole("link", { name: button }).click();
    await page.waitForURL(path);
  }

  async function choose(page: Page, label: string, option: string | RegExp) {
    await page.getByLabel(labelled(label)).click();
    await page.getByRole("option", { name: option }).click();
  }

  it("a producer admin creates a license model, deploys it, and finds it in the list", { timeout: 90_000 }, async () => {
    const name = `E2E Floating ${tag}`;
    await inBrowser("catalog-license-model", async (page) => {
      await logIn(page);
      await startCreating(page, "License Models", "Create license model", /\/license-models\/new$/);
      await page.getByLabel(labelled("Name")).fill(name);
      await choose(page, "Technology", "Signed certificate");
      await choose(page, "Model type", "Floating (served, counted)");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByRole("heading", { name, level: 2 }).waitFor();
      expect(page.url()).toMatch(/\/license-models\/[^/]+$/);

      await page.getByRole("button", { name: "Deploy", exact: true }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Deploy", exact: true }).click();
      await page.getByText(`License model ${name} deployed.`).waitFor();

      await page.getByRole("link", { name: "License model list" }).click();
      await page.waitForURL(/\/license-models$/);
      const row = page.getByRole("row", { name: new RegExp(name) });
      await row.waitFor();
      expect(await row.textContent()).toMatch(/Floating \(served, counted\).*Deployed/);
    });
  });

  it("a producer admin creates a part number for a product and a license model", { timeout: 90_000 }, async () => {
    const admin = await login(server().url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const modelName = `E2E Part model ${tag}`;
    const productName = `E2E Part product ${tag}`;
    const lm = await deployedLicenseModel(admin, modelName);
    await okJson(await admin.post("/api/v1/products", { name: productName, version: "3.0", licenseModelIds: [lm.id] }));
    const partId = `E2E-PN-${tag.toUpperCase()}`;

    await inBrowser("catalog-part-number", async (page) => {
      await logIn(page);
      await startCreating(page, "Part Numbers", "Create part number", /\/part-numbers\/new$/);
      await page.getByLabel(labelled("Part number")).fill(partId);
      await choose(page, "Product", new RegExp(productName));
      await choose(page, "License model", modelName);
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByRole("heading", { name: partId, level: 2 }).waitFor();
      await page.getByText(productName).first().waitFor();

      // Edit in place: the form replaces the page under an "Edit" title, and the page comes back.
      await page.getByRole("button", { name: "Edit", exact: true }).click();
      await page.getByRole("heading", { name: `Edit ${partId}`, level: 2 }).waitFor();
      await page.getByLabel(labelled("Description")).fill("Retail SKU, Q4");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByRole("heading", { name: partId, level: 2 }).waitFor();
      await page.getByText("Retail SKU, Q4").waitFor();

      await page.getByRole("link", { name: "Part number list" }).click();
      await page.waitForURL(/\/part-numbers$/);
      await page.getByRole("row", { name: new RegExp(partId) }).waitFor();

      // An address that names no part number says so under the list's breadcrumb.
      await page.goto("/part-numbers/NO-SUCH-PART");
      await page.getByRole("heading", { name: "Part number", level: 2 }).waitFor();
      await page.getByText("Could not load the part number").waitFor();
      await page.getByRole("link", { name: "Part number list" }).waitFor();
    });
    const found = (await (await admin.get(`/api/v1/part-numbers?partId=EQUALS:${partId}`)).json()) as {
      items: { partId: string; licenseModelId: string | null; description: string | null }[];
    };
    expect(found.items).toMatchObject([{ partId, licenseModelId: lm.id, description: "Retail SKU, Q4" }]);
  });

  it("a producer admin creates a customer account and a user who belongs to it", { timeout: 90_000 }, async () => {
    const accountId = `E2E-ACME-${tag.toUpperCase()}`;
    const accountName = `E2E Acme ${tag}`;
    const email = `e2e-user-${tag}@example.test`;
    let password = "";
    await inBrowser("catalog-account-and-user", async (page) => {
      await logIn(page);
      await startCreating(page, "Accounts", "Create account", /\/accounts\/new$/);
      await page.getByLabel(labelled("Account ID")).fill(accountId);
      await page.getByLabel(labelled("Name")).fill(accountName);
      await choose(page, "Type", "Customer");
      await page.getByLabel(labelled("City")).fill("Lyon");
      await page.getByLabel(labelled("Country")).fill("France");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByRole("heading", { name: accountName, level: 2 }).waitFor();

      await startCreating(page, "Users", "Create user", /\/users\/new$/);
      await page.getByLabel(labelled("Email")).fill(email);
      await page.getByLabel(labelled("First name")).fill("Grace");
      await page.getByLabel(labelled("Last name")).fill("Hopper");
      // The form starts with one account row to fill.
      await page.locator("input[aria-label='Account']").fill(accountName);
      await page.getByRole("option", { name: new RegExp(accountName) }).click();
      await page.locator("input[aria-label='Role']").click();
      await page.getByRole("option", { name: /Customer portal admin/i }).click();
      await page.getByRole("button", { name: "Save" }).click();
      // No password typed: one is generated and shown once.
      const shown = page.getByRole("dialog", { name: "Initial password" });
      await shown.getByText(`Give this password to ${email}`).waitFor();
      password = ((await shown.getByTestId("secret-value").textContent()) ?? "").trim();
      await shown.getByRole("button", { name: "Done" }).click();
      await shown.waitFor({ state: "hidden" });

      // The user's page lists the account too: wait for the list before reading its row.
      await page.getByRole("link", { name: "Accounts", exact: true }).first().click();
      await page.waitForURL(/\/accounts$/);
      await page.getByRole("heading", { name: "Accounts", level: 2 }).waitFor();
      const row = page.getByRole("row", { name: new RegExp(accountId) });
      await row.waitFor();
      expect(await row.textContent()).toMatch(/Customer.*Lyon, France/);
    });
    const admin = await login(server().url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const users = (await (await admin.get(`/api/v1/users?email=EQUALS:${email}`)).json()) as {
      items: { email: string; firstName: string; memberships: { accountId: string; role: string }[] }[];
    };
    expect(users.items).toMatchObject([
      { email, firstName: "Grace", memberships: [{ accountId, role: "CUSTOMER_PORTAL_ADMIN" }] },
    ]);
    // The password the dialog showed is the user's.
    expect(password.length).toBeGreaterThanOrEqual(12);
    const grace = await login(server().url, email, password);
    expect((await grace.get("/api/v1/session")).status).toBe(200);
  });
});
