import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { account, deployedLicenseModel, deployedProduct } from "./factories.js";
import { HAVE_BROWSER, labelled, logInPage, login, portalForSuite, requireBrowserFor, screenshotPath } from "./harness.js";

/**
 * The seed page in the real portal: Entitlements > Create Bulk, Add Product through the wizard,
 * Save, Change State > Deploy, then find it in List Entitlements. Runs the built server (SQLite in
 * a temp directory) and Chromium (/usr/bin/chromium or LICENSOR_CHROMIUM); without a browser the
 * test is skipped, unless LICENSOR_REQUIRE_BROWSER=1, where a missing browser is a failure.
 */

requireBrowserFor("bulk entitlement in Chromium");

const ADMIN_EMAIL = "e2e-bulk-admin@example.test";
const ADMIN_PASSWORD = `e2e-${crypto.randomBytes(9).toString("base64url")}`;

describe.skipIf(!HAVE_BROWSER)("bulk entitlement in Chromium", () => {
  const { server, inBrowser } = portalForSuite({ adminEmail: ADMIN_EMAIL, adminPassword: ADMIN_PASSWORD });

  it("a producer admin creates a bulk entitlement, adds its product, deploys it and finds it", { timeout: 120_000 }, async () => {
    const tag = crypto.randomBytes(3).toString("hex");
    const modelName = `E2E Node-locked ${tag}`;
    const productName = `E2E Retail Box ${tag}`;
    const distributor = { id: `E2E-DIST-${tag.toUpperCase()}`, name: `E2E Distribution ${tag}`, type: "CHANNEL_PARTNER" };
    const description = `Retail box Q4 ${tag}`;

    // The catalog and the distributor, through the API with the admin's session.
    const admin = await login(server().url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const lm = await deployedLicenseModel(admin, modelName);
    const product = await deployedProduct(admin, { name: productName, licenseModelIds: [lm.id] });
    await account(admin, distributor.id, distributor.name, "CHANNEL_PARTNER");

    await inBrowser("bulk-entitlement-listed", async (page, context) => {
      await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);

      // Entitlements > Create Bulk
      await page.getByRole("link", { name: "Create Bulk", exact: true }).click();
      await page.getByRole("heading", { name: "Create a Bulk Entitlement" }).waitFor();
      await page.getByLabel(labelled("Description")).fill(description);
      await page.getByLabel(labelled("Sold to")).fill(distributor.name);
      await page.getByRole("option", { name: new RegExp(distributor.name) }).click();

      // Add Product: the wizard.
      await page.getByRole("button", { name: "Add Product" }).click();
      const wizard = page.getByRole("dialog", { name: "Add Product" });
      await wizard.getByLabel(labelled("Product")).fill(productName);
      await page.getByRole("option", { name: new RegExp(productName) }).click();
      await wizard.getByText(`${productName} 1.0`).waitFor();
      await wizard.getByRole("button", { name: "Next" }).click(); // → quantities
      await wizard.getByLabel(`Quantity of ${productName} 1.0`).waitFor();
      await wizard.getByRole("button", { name: "Next" }).click(); // → license model
      await wizard.getByLabel(labelled("License model")).click();
      await page.getByRole("option", { name: modelName }).click();
      await wizard.getByRole("button", { name: "Next" }).click(); // → configure
      await wizard.getByRole("radio", { name: "Permanent" }).check();
      await wizard.getByLabel(labelled("Number of copies")).fill("1");
      await page.screenshot({ path: screenshotPath("bulk-entitlement-wizard"), fullPage: true });
      await wizard.getByRole("button", { name: "Finish" }).click();
      await wizard.waitFor({ state: "detached" });
      const summary = page.getByTestId("product-summary");
      await summary.getByText(`${productName} 1.0`).waitFor();
      await summary.getByText(modelName).waitFor();

      // Save → the entitlement page.
      const posted = page.waitForResponse((r) => r.request().method() === "POST" && /\/api\/v1\/entitlements\/?$/.test(r.url()));
      await page.getByRole("button", { name: "Save", exact: true }).click();
      const response = await posted;
      expect(response.status(), await response.text()).toBe(201);
      const created = (await response.json()) as {
        id: string;
        entitlementId: string;
        kind: string;
        state: string;
        soldTo: string;
        product: { products: { productId: string }[]; licenseModelId: string; isPermanent: boolean; numberOfCopies: number };
      };
      expect(created).toMatchObject({ kind: "BULK", state: "DRAFT", soldTo: distributor.id });
      expect(created.product).toMatchObject({
        products: [expect.objectContaining({ productId: product.id })],
        licenseModelId: lm.id,
        isPermanent: true,
        numberOfCopies: 1,
      });
      await page.waitForURL((u) => u.pathname === `/entitlements/${created.id}`);
      await page.getByText(description).first().waitFor();

      // Change State → Deploy, confirmed.
      await page.getByRole("button", { name: "Change State", exact: true }).click();
      await page.getByRole("menuitem", { name: "Deploy" }).click();
      const deployed = page.waitForResponse(
        (r) => r.request().method() === "POST" && r.url().endsWith(`/api/v1/entitlements/${created.id}/actions/change-state`),
      );
      await page.getByRole("dialog").getByRole("button", { name: "Deploy" }).click();
      const dr = await deployed;
      expect(dr.status(), await dr.text()).toBe(200);
      expect(((await dr.json()) as { state: string }).state).toBe("DEPLOYED");
      await page.getByRole("dialog").waitFor({ state: "detached" });
      await page.screenshot({ path: screenshotPath("bulk-entitlement-deployed"), fullPage: true });

      // List Entitlements, search by its ID: there, DEPLOYED.
      await page.getByRole("link", { name: "List Entitlements", exact: true }).click();
      await page.waitForURL((u) => u.pathname === "/entitlements");
      await page.getByLabel("Search", { exact: true }).fill(created.entitlementId);
      const link = page.getByRole("link", { name: created.entitlementId, exact: true });
      await link.waitFor();
      const row = page.getByRole("row").filter({ has: link });
      const rowText = async () => (await row.textContent()) ?? "";
      await expect.poll(async () => (await rowText()).toLowerCase()).toContain("deployed");
      expect(await rowText()).toContain(distributor.name);
      expect(await rowText()).toContain(`${productName} 1.0`);
      await expect.poll(async () => page.getByTestId("entitlement-count").textContent()).toBe("1 entitlement");

      // The API, with the browser's own session, agrees.
      const api = await context.request.get(
        `/api/v1/entitlements?entitlementId=${encodeURIComponent(`EQUALS:${created.entitlementId}`)}`,
      );
      expect(api.status()).toBe(200);
      const items = ((await api.json()) as { items: { id: string; state: string }[] }).items;
      expect(items).toEqual([expect.objectContaining({ id: created.id, state: "DEPLOYED" })]);
    });
  });
});
