import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { account, deployedBulk, deployedLicenseModel, deployedProduct } from "./factories.js";
import { HAVE_BROWSER, labelled, logInPage, login, okJson, portalForSuite, requireBrowserFor } from "./harness.js";

/**
 * The producer's Events page (issue 17): a key loaded and a key redeemed show as events, newest
 * first; the type filter narrows the list; a row opens to its JSON payload, where the key is
 * masked. Runs the built server and Chromium (skipped without one unless LICENSOR_REQUIRE_BROWSER=1).
 */

requireBrowserFor("the Events page in Chromium");

const ADMIN_EMAIL = "e2e-events-admin@example.test";
const ADMIN_PASSWORD = `e2e-${crypto.randomBytes(9).toString("base64url")}`;

describe.skipIf(!HAVE_BROWSER)("the Events page in Chromium", () => {
  const portal = portalForSuite({ adminEmail: ADMIN_EMAIL, adminPassword: ADMIN_PASSWORD });

  it("lists events newest first, filters by type, and shows a payload with the key masked", async () => {
    const url = portal.server().url;
    const admin = await login(url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const tag = crypto.randomBytes(3).toString("hex").toUpperCase();
    const lm = await deployedLicenseModel(admin, `E2E Events LM ${tag}`);
    const p = await deployedProduct(admin, { name: `E2E Events product ${tag}`, licenseModelIds: [lm.id] });
    const dist = await account(admin, `DIST-${tag}`, `Distributor ${tag}`, "CHANNEL_PARTNER");
    const cust = await account(admin, `CUST-${tag}`, `Customer ${tag}`);
    const { keys } = await deployedBulk(admin, { soldTo: dist.id, productId: p.id, licenseModelId: lm.id, keys: 3 });
    const key = keys[0] as string;
    await okJson(await admin.post("/api/v1/redemptions", { key, soldTo: cust.id }));

    await portal.inBrowser("events-page", async (page) => {
      await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      await page.getByRole("link", { name: "Events" }).click();
      await page.waitForURL("**/events");
      await expect.poll(() => page.getByText("key.redeemed").count()).toBeGreaterThan(0);
      // Newest first: the redemption's entitlement.created is the newest event, key.redeemed just before.
      const rows = page.locator("tbody tr");
      await expect.poll(async () => ((await rows.first().textContent()) ?? "").includes("entitlement.created")).toBe(true);
      await page.getByLabel(labelled("Type")).click();
      await page.getByRole("option", { name: "key.redeemed", exact: true }).click();
      await expect.poll(() => page.getByText("account.created").count()).toBe(0);
      await page.locator("tbody tr", { hasText: "key.redeemed" }).first().click();
      const payload = page.locator("pre").first();
      await expect.poll(() => payload.textContent()).toContain(`…${key.slice(-4)}`);
      expect(await page.content()).not.toContain(key);
    });
  });
});
