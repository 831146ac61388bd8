import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { account, deployedBulk, deployedLicenseModel, deployedProduct } from "./factories.js";
import { HAVE_BROWSER, labelled, logInPage, login, okJson, portalForSuite, requireBrowserFor } from "./harness.js";

/**
 * Settings and redeemed entitlements in the portal (issue 11, items 6, 8, 9, 10): a producer
 * admin sets the key format and the redeemed entitlement's ID template in Settings; a key
 * redeemed afterwards gets an entitlement with that ID, whose page opens at its entitlement ID
 * and shows none of the retailer's order data; once transferred, the old owner's My Entitlements
 * shows no available copies. Runs the built server (SQLite) and Chromium; skipped without one
 * unless LICENSOR_REQUIRE_BROWSER=1.
 */

requireBrowserFor("redeemed entitlements in Chromium");

const ADMIN_EMAIL = "e2e-redeemed-admin@example.test";
const ADMIN_PASSWORD = `e2e-${crypto.randomBytes(9).toString("base64url")}`;

type Json = any;

describe.skipIf(!HAVE_BROWSER)("redeemed entitlements in Chromium", () => {
  const { server, inBrowser } = portalForSuite({ adminEmail: ADMIN_EMAIL, adminPassword: ADMIN_PASSWORD });

  it("Settings sets the key format and the redeemed ID; the entitlement opens at its ID, without the retailer's data", {
    timeout: 180_000,
  }, async () => {
    const tag = crypto.randomBytes(3).toString("hex");
    const admin = await login(server().url, ADMIN_EMAIL, ADMIN_PASSWORD);

    await inBrowser("redeemed-settings", async (page) => {
      await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      await page.goto("/settings/id-generators");
      const template = page.getByLabel(labelled("Template"));
      await expect.poll(() => template.inputValue()).toBe("{key}ENT");
      await template.fill("RED-{key}");
      const saved = page.waitForResponse((r) => r.request().method() === "PATCH" && r.url().endsWith("/api/v1/settings"));
      await page.getByRole("button", { name: "Save" }).last().click();
      expect((await saved).status()).toBe(200);
      await page.getByTestId("redeemed-id-example").filter({ hasText: /^RED-/ }).waitFor();

      // The key format: 4 groups of 7 (135 random bits), saved from its own card.
      const keyCard = page.locator("form").filter({ hasText: "Crockford base32" });
      await keyCard.getByLabel(labelled("Groups")).fill("4");
      await keyCard.getByLabel(labelled("Group length")).fill("7");
      await keyCard.getByText("135 random bits").waitFor();
      const savedFormat = page.waitForResponse((r) => r.request().method() === "PATCH" && r.url().endsWith("/api/v1/settings"));
      await keyCard.getByRole("button", { name: "Save" }).click();
      expect((await savedFormat).status()).toBe(200);
      await page
        .getByTestId("key-format-example")
        .filter({ hasText: /^[0-9A-Z]{7}(-[0-9A-Z]{7}){3}$/ })
        .waitFor();
    });
    const settings = await okJson(await admin.get("/api/v1/settings"), 200);
    expect(settings.redeemedEntitlementIdTemplate).toBe("RED-{key}");
    expect(settings.keyFormat).toMatchObject({ groups: 4, groupLength: 7, separator: "-" });

    // A deployed bulk entitlement with the retailer's order, one key redeemed for a customer.
    const lm = await deployedLicenseModel(admin, `E2E Redeemed model ${tag}`);
    const product = await deployedProduct(admin, { name: `E2E Boxed ${tag}`, licenseModelIds: [lm.id] });
    const dist = await account(admin, `E2E-DIST-${tag}`, `E2E Retailer ${tag}`, "CHANNEL_PARTNER");
    const customer = await account(admin, `E2E-CUST-${tag}`, `E2E Customer ${tag}`);
    const target = await account(admin, `E2E-NEW-${tag}`, `E2E New owner ${tag}`);
    const { bulk, keys } = await deployedBulk(admin, {
      soldTo: dist.id,
      productId: product.id,
      licenseModelId: lm.id,
      keys: 1,
      body: { orderId: `RETAIL-${tag}`, description: `Retail shelf ${tag}` },
      line: { numberOfCopies: 3 },
    });
    const key = keys[0] as string;
    const red = await okJson(await admin.post("/api/v1/redemptions", { key, soldTo: customer.id }));
    const e: Json = red.entitlement;
    expect(key).toMatch(/^[0-9A-Z]{7}(-[0-9A-Z]{7}){3}$/);
    expect(e.entitlementId).toBe(`RED-${key}`);

    await inBrowser("redeemed-by-entitlement-id", async (page) => {
      await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      // The address users know: the entitlement ID, not the internal id.
      await page.goto(`/entitlements/${encodeURIComponent(e.entitlementId)}`);
      await page.getByTestId("redeemed-from").waitFor();
      await page.getByText(e.entitlementId, { exact: true }).first().waitFor();
      const text = (await page.locator("main").textContent()) ?? "";
      expect(text).not.toContain(`RETAIL-${tag}`);
      expect(text).not.toContain(`Retail shelf ${tag}`);
    });

    // Transferred: the old owner's copy is OBSOLETE and shows no available copies.
    await okJson(await admin.post(`/api/v1/entitlements/${e.id}/actions/transfer`, { accountId: target.id }));
    const source = await okJson(await admin.get(`/api/v1/entitlements/${e.id}`), 200);
    expect(source.lineItems[0]).toMatchObject({ state: "OBSOLETE", availableCount: 0 });
    const keyRow = (await okJson(await admin.get(`/api/v1/entitlements/${bulk.id}/keys`), 200)).items[0];
    expect(keyRow).toMatchObject({ soldTo: target.id, owner: null, redeemedBy: null });
  });
});
