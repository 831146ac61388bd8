import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { account, deployedBulk, deployedProduct } from "./factories.js";
import {
  deployedLicenseModel,
  HAVE_BROWSER,
  labelled,
  logInPage,
  login,
  okJson,
  portalForSuite,
  requireBrowserFor,
  screenshotPath,
} from "./harness.js";

/**
 * Split… in the producer portal (PRODUCT.md §3): on a deployed bulk entitlement of a distributor,
 * split 7 keys to a related reseller in a Reseller tier, into a new bulk entitlement; the dialog
 * shows the result with a link to it, and the counts on both sides add up. Runs the built server
 * (SQLite) and Chromium; skipped without a browser unless LICENSOR_REQUIRE_BROWSER=1.
 */

requireBrowserFor("split in Chromium");

const ADMIN_EMAIL = "e2e-split-admin@example.test";
const ADMIN_PASSWORD = `e2e-${crypto.randomBytes(9).toString("base64url")}`;

describe.skipIf(!HAVE_BROWSER)("split in Chromium", () => {
  const { server, inBrowser } = portalForSuite({ adminEmail: ADMIN_EMAIL, adminPassword: ADMIN_PASSWORD });

  it("a producer admin splits 7 keys of a bulk entitlement to a related reseller", { timeout: 180_000 }, async () => {
    const tag = crypto.randomBytes(3).toString("hex");
    const admin = await login(server().url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const lm = await deployedLicenseModel(admin, `Split model ${tag}`);
    const product = await deployedProduct(admin, { name: `Split CAD ${tag}`, licenseModelIds: [lm.id] });
    const distributor = await account(admin, `E2E-DIST-${tag}`, `E2E Distributor ${tag}`, "CHANNEL_PARTNER");
    const reseller = await account(admin, `E2E-RES-${tag}`, `E2E Reseller ${tag}`, "CHANNEL_PARTNER");
    await okJson(await admin.post(`/api/v1/accounts/${distributor.id}/related-accounts`, { accountId: reseller.id }), 200);
    const tier = `bo.constants.partnertiernames.reseller${tag}`;
    await okJson(await admin.post("/api/v1/partner-tiers", { name: tier, displayName: `Reseller ${tag}`, rank: 60 }));
    const { bulk } = await deployedBulk(admin, {
      soldTo: distributor.id,
      productId: product.id,
      licenseModelId: lm.id,
      keys: 20,
    });

    await inBrowser("split-done", async (page) => {
      await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      await page.goto(`/entitlements/${bulk.id}`);
      await page.getByRole("button", { name: "Split…", exact: true }).click();
      const dialog = page.getByRole("dialog", { name: `Split bulk entitlement ${bulk.entitlementId}` });
      await dialog.getByLabel(labelled("Target account")).click();
      await page.getByRole("option", { name: `E2E Reseller ${tag} (${reseller.id})` }).click();
      await dialog.getByLabel(labelled("Tier")).click();
      await page.getByRole("option", { name: `Reseller ${tag}` }).click();
      await dialog.getByText("20 unredeemed").waitFor();
      await dialog.getByLabel(labelled("Keys")).fill("7");
      await page.screenshot({ path: screenshotPath("split-dialog"), fullPage: true });
      const splitDone = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/actions/split"));
      await dialog.getByRole("button", { name: "Split", exact: true }).click();
      const res = await splitDone;
      expect(res.status(), await res.text()).toBe(201);
      const result = (await res.json()) as any;
      expect(result).toMatchObject({ moved: 7, created: true });
      await dialog.getByText("Split done").waitFor();
      await dialog.getByRole("link", { name: result.entitlement.entitlementId }).waitFor();
      await page.screenshot({ path: screenshotPath("split-done"), fullPage: true });
      expect(await okJson(await admin.get(`/api/v1/entitlements/${bulk.id}/keys/counts`), 200)).toEqual({
        total: 13,
        redeemed: 0,
        unredeemed: 13,
      });
      expect(await okJson(await admin.get(`/api/v1/entitlements/${result.entitlement.id}/keys/counts`), 200)).toEqual({
        total: 7,
        redeemed: 0,
        unredeemed: 7,
      });
      await dialog.getByRole("link", { name: result.entitlement.entitlementId }).click();
      await page.waitForURL(`**/entitlements/${result.entitlement.id}`);
    });
  });
});
