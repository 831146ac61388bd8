import crypto from "node:crypto";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BROWSER_REQUIRED,
  CHROMIUM,
  HAVE_BROWSER,
  inPortalPage,
  labelled,
  launchBrowser,
  logInPage,
  login,
  type RunningServer,
  startServer,
} from "./harness.js";

/**
 * The real portal in Chromium against the real server (built CLI, SQLite in a temp directory).
 * Chromium comes from /usr/bin/chromium or LICENSOR_CHROMIUM; without it these tests are skipped,
 * unless LICENSOR_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
 */

if (!HAVE_BROWSER) {
  if (BROWSER_REQUIRED) {
    describe("portal in Chromium", () => {
      it("has a Chromium to drive", () => {
        throw new Error(`LICENSOR_REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM} (set LICENSOR_CHROMIUM).`);
      });
    });
  } else {
    console.warn(
      `\n[licensor tests] Browser (e2e) tests are NOT running: no Chromium at ${CHROMIUM}. Install chromium or set LICENSOR_CHROMIUM.\n`,
    );
  }
}

const ADMIN_EMAIL = "e2e-admin@example.test";
const ADMIN_PASSWORD = `e2e-${crypto.randomBytes(9).toString("base64url")}`;

describe.skipIf(!HAVE_BROWSER)("portal in Chromium", () => {
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer({ adminEmail: ADMIN_EMAIL, adminPassword: ADMIN_PASSWORD });
    const page = await fetch(`${server.url}/login`);
    if (!(page.headers.get("content-type") ?? "").includes("text/html")) {
      await server.stop();
      throw new Error(
        `The server does not serve the portal at /login (${page.status}): is web/dist built? Run \`npm run build\`.`,
      );
    }
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const inBrowser = (name: string, fn: (page: Page, context: BrowserContext) => Promise<void>) =>
    inPortalPage(server, browser, name, fn, { width: 1280, height: 720 });

  it("a producer admin creates a product with a feature", { timeout: 90_000 }, async () => {
    const tag = crypto.randomBytes(3).toString("hex");
    const productName = `E2E Widget ${tag}`;
    const featureName = `e2e_feature_${tag}`;

    await inBrowser("portal-product-created", async (page, context) => {
      await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);

      await page.getByRole("link", { name: "Products", exact: true }).first().click();
      await page.waitForURL(/\/products/);
      // A button or a button-styled link: either is a fine way to offer it.
      await page
        .getByRole("button", { name: "Create product" })
        .or(page.getByRole("link", { name: "Create product" }))
        .first()
        .click();

      await page.getByLabel(labelled("Name")).fill(productName);
      await page.getByLabel(labelled("Version")).fill("2.0");
      await page.getByLabel(labelled("Description")).fill("Made by the end-to-end test");
      await page.getByRole("button", { name: "Add feature" }).click();
      await page.getByLabel(labelled("Feature name")).fill(featureName);
      await page.getByLabel(labelled("Feature version")).fill("1.0");
      await page.getByLabel(labelled("Count")).fill("5");

      const posted = page.waitForResponse((r) => r.request().method() === "POST" && /\/api\/v1\/products\/?$/.test(r.url()));
      await page.getByRole("button", { name: "Save" }).click();
      const response = await posted;
      expect(response.status(), await response.text()).toBe(201);
      const created = (await response.json()) as { id: string };

      // The product page shows the feature: either Save lands there, or the product is one click away.
      const feature = page.getByText(featureName, { exact: true }).first();
      try {
        await feature.waitFor({ state: "visible", timeout: 10_000 });
      } catch {
        await page.getByRole("link", { name: productName }).first().click();
        await feature.waitFor({ state: "visible" });
      }
      await page.getByText(productName).first().waitFor({ state: "visible" });

      // And the API, with the browser's own session, agrees.
      const api = await context.request.get(`/api/v1/products/${encodeURIComponent(created.id)}`);
      expect(api.status()).toBe(200);
      const product = (await api.json()) as { name: string; version: string; features: unknown[] };
      expect(product).toMatchObject({ name: productName, version: "2.0" });
      expect(product.features).toEqual([expect.objectContaining({ name: featureName, version: "1.0", count: 5 })]);

      const list = await context.request.get(`/api/v1/products?q=${encodeURIComponent(productName)}`);
      expect(list.status()).toBe(200);
      const items = ((await list.json()) as { items: { id: string }[] }).items;
      expect(items.map((p) => p.id)).toContain(created.id);
    });
  });

  it("a customer portal user lands on /portal and sees only its own account", { timeout: 90_000 }, async () => {
    const tag = crypto.randomBytes(3).toString("hex").toUpperCase();
    const own = { id: `E2E-CUST-${tag}`, name: `Acme Customer ${tag}`, type: "CUSTOMER" };
    const other = { id: `E2E-OTHER-${tag}`, name: `Globex Other ${tag}`, type: "CUSTOMER" };
    const email = `customer-${tag.toLowerCase()}@example.test`;
    const password = `cust-${crypto.randomBytes(9).toString("base64url")}`;

    const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    for (const account of [own, other]) {
      const r = await admin.post("/api/v1/accounts", account);
      expect(r.status, await r.clone().text()).toBe(201);
    }
    const u = await admin.post("/api/v1/users", {
      email,
      firstName: "Casey",
      lastName: "Customer",
      password,
      memberships: [{ accountId: own.id, role: "CUSTOMER_PORTAL_USER" }],
    });
    expect(u.status, await u.clone().text()).toBe(201);

    await inBrowser("portal-customer-home", async (page, context) => {
      await logInPage(page, email, password);
      await page.waitForURL(/\/portal(\/|$|\?)/);
      await page.getByText(own.name).first().waitFor({ state: "visible" });
      await page.waitForLoadState("networkidle");
      expect(await page.getByText(other.name).count()).toBe(0);
      expect(await page.content()).not.toContain(other.id);

      const api = await context.request.get("/api/v1/accounts");
      expect(api.status()).toBe(200);
      const items = ((await api.json()) as { items: { id: string }[] }).items;
      expect(items.map((a) => a.id)).toEqual([own.id]);
      const forbidden = await context.request.get(`/api/v1/accounts/${other.id}`);
      expect([403, 404]).toContain(forbidden.status());
    });
  });
});
