import crypto from "node:crypto";
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { account, deployedBulk, deployedProduct } from "./factories.js";
import { deployedLicenseModel, HAVE_BROWSER, logInPage, login, okJson, portalForSuite, requireBrowserFor } from "./harness.js";

/**
 * Reports and the chain view in the producer portal (issue 15 items 3–4): a distributor's bulk
 * entitlement with redemptions by two customers and a split to a reseller, whose customer redeems
 * one more. The producer opens Reports for the bulk entitlement and sees the chart (recharts' SVG)
 * and the customer table, then the chain view from the entitlement's page, and the home figures.
 * Runs the built server (SQLite) and Chromium; screenshots in /tmp/shots/reports-*.png.
 */

requireBrowserFor("reports in Chromium");

const ADMIN_EMAIL = "e2e-reports-admin@example.test";
const ADMIN_PASSWORD = `e2e-${crypto.randomBytes(9).toString("base64url")}`;
const SHOTS = "/tmp/shots";
const shot = (name: string) => {
  fs.mkdirSync(SHOTS, { recursive: true });
  return `${SHOTS}/reports-${name}.png`;
};

describe.skipIf(!HAVE_BROWSER)("reports in Chromium", () => {
  const { server, inBrowser } = portalForSuite({ adminEmail: ADMIN_EMAIL, adminPassword: ADMIN_PASSWORD });

  it("the producer sees a bulk entitlement's report with its chart and customers, and its chain", {
    timeout: 240_000,
  }, async () => {
    const tag = crypto.randomBytes(3).toString("hex");
    const admin = await login(server().url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const lm = await deployedLicenseModel(admin, `Report model ${tag}`);
    const product = await deployedProduct(admin, { name: `Report CAD ${tag}`, licenseModelIds: [lm.id] });
    const distributor = await account(admin, `E2E-RDIST-${tag}`, `Northwind Distribution ${tag}`, "CHANNEL_PARTNER");
    const reseller = await account(admin, `E2E-RRES-${tag}`, `Contoso Reseller ${tag}`, "CHANNEL_PARTNER");
    const custA = await account(admin, `E2E-RCA-${tag}`, `Alpine Design ${tag}`, "CUSTOMER");
    const custB = await account(admin, `E2E-RCB-${tag}`, `Birch Studio ${tag}`, "CUSTOMER");
    const custC = await account(admin, `E2E-RCC-${tag}`, `Cedar Works ${tag}`, "CUSTOMER");
    await okJson(await admin.post(`/api/v1/accounts/${distributor.id}/related-accounts`, { accountId: reseller.id }), 200);
    const tier = `bo.constants.partnertiernames.rreseller${tag}`;
    await okJson(await admin.post("/api/v1/partner-tiers", { name: tier, displayName: `Reseller ${tag}`, rank: 60 }));
    const { bulk, keys } = await deployedBulk(admin, {
      soldTo: distributor.id,
      productId: product.id,
      licenseModelId: lm.id,
      keys: 30,
    });
    const redeem = async (key: string, soldTo: string) => okJson(await admin.post("/api/v1/redemptions", { key, soldTo }));
    for (const k of keys.slice(0, 4)) await redeem(k, custA.id);
    for (const k of keys.slice(4, 6)) await redeem(k, custB.id);
    const split = await okJson(
      await admin.post(`/api/v1/entitlements/${bulk.id}/actions/split`, { targetAccountId: reseller.id, tier, count: 10 }),
    );
    const child = split.entitlement;
    const childKeys = await okJson(await admin.get(`/api/v1/entitlements/${child.id}/keys?limit=5`), 200);
    await redeem(childKeys.items[0].key, custC.id);

    await inBrowser("reports", async (page) => {
      await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      // The home page's figures and redemptions chart.
      await page.getByTestId("home-figures").waitFor();
      await page.getByText("Keys redeemed this week").waitFor();
      await page.locator("svg.recharts-surface").first().waitFor();
      await page.screenshot({ path: shot("home"), fullPage: true });

      // Reports from the menu, then the bulk entitlement's report.
      await page.getByRole("link", { name: "Reports", exact: true }).click();
      await page.waitForURL("**/reports");
      await page.goto(`/reports?bulk=${bulk.id}`);
      const chart = page.getByTestId("keys-chart").locator("svg.recharts-surface");
      await chart.waitFor();
      // The picker names the bulk entitlement by its entitlement ID.
      await expect.poll(() => page.getByPlaceholder("Search entitlement IDs").inputValue()).toBe(bulk.entitlementId);
      expect(await chart.count()).toBe(1);
      const customers = page.getByRole("table", { name: "Redemptions by end customer" });
      await customers.getByRole("row", { name: `Alpine Design ${tag} 4` }).waitFor();
      await customers.getByRole("row", { name: `Birch Studio ${tag} 2` }).waitFor();
      await customers.getByRole("row", { name: `Cedar Works ${tag} 1` }).waitFor();
      const resellers = page.getByRole("table", { name: "Top resellers" });
      await resellers.getByRole("row", { name: new RegExp(`Contoso Reseller ${tag}.* 10 1 9`) }).waitFor();
      // The CSV download is the same figures.
      const href = await page.getByRole("link", { name: "CSV" }).nth(1).getAttribute("href");
      expect(href).toContain(`/reports/bulk-entitlements/${bulk.id}/customers.csv`);
      const csv = await page.evaluate(async (u) => (await fetch(u as string)).text(), href);
      expect(csv).toContain(`Alpine Design ${tag},4`);
      await page.screenshot({ path: shot("bulk"), fullPage: true });

      // The chain view, from the entitlement's page.
      await page.goto(`/entitlements/${bulk.id}`);
      await page.getByRole("link", { name: "Chain view" }).click();
      await page.waitForURL(`**/entitlements/${bulk.id}/chain`);
      const nodes = page.getByTestId("chain-node");
      await nodes.nth(1).waitFor();
      expect(await nodes.count()).toBe(2);
      await expect.poll(() => nodes.nth(0).textContent()).toContain("20 keys");
      expect(await nodes.nth(0).textContent()).toContain("6 redeemed");
      expect(await nodes.nth(1).textContent()).toContain(`Contoso Reseller ${tag}`);
      expect(await nodes.nth(1).textContent()).toContain("10 keys");
      // End customers are collapsed until asked for.
      await nodes.nth(0).getByRole("button", { name: "2 end customers" }).click();
      await page
        .getByRole("table", { name: `End customers of ${bulk.entitlementId}` })
        .getByText(`Alpine Design ${tag}`)
        .waitFor();
      await page.screenshot({ path: shot("chain"), fullPage: true });
    });
  });
});
