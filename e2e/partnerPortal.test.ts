import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { account, deployedBulk, deployedProduct, userWithPassword } from "./factories.js";
import {
  deployedLicenseModel,
  HAVE_BROWSER,
  labelled,
  logInPage,
  login,
  okJson,
  portalForSuite,
  requireBrowserFor,
  tempDir,
} from "./harness.js";

/**
 * The channel partners' own portal (issue 15) in Chromium against the built server: a distributor
 * logs in (the partner portal), sees its bulk entitlement with counts, creates a reseller account
 * and its first user, splits 100 keys to it and logs out; the reseller logs in, sees the 100 keys,
 * downloads them as CSV and as printable key cards (PDF); a customer registers one key in the
 * customer portal; the reseller's Redemptions tab shows who redeemed it, and both partners'
 * reports count it (the distributor's below the reseller it split to). Skipped without a browser
 * unless LICENSOR_REQUIRE_BROWSER=1.
 */

requireBrowserFor("partner portal in Chromium");

const ADMIN_EMAIL = "e2e-partner-admin@example.test";
const ADMIN_PASSWORD = `e2e-${crypto.randomBytes(9).toString("base64url")}`;
const SHOTS = "/tmp/shots";

async function shot(page: Page, name: string) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function logOut(page: Page) {
  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL((u) => u.pathname.startsWith("/login"));
}

describe.skipIf(!HAVE_BROWSER)("partner portal in Chromium", () => {
  const { server, inBrowser } = portalForSuite({ adminEmail: ADMIN_EMAIL, adminPassword: ADMIN_PASSWORD });

  it("a distributor sells 100 keys to a new reseller, who exports and prints them; a redemption shows", {
    timeout: 300_000,
  }, async () => {
    const tag = crypto.randomBytes(3).toString("hex");
    const admin = await login(server().url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const lm = await deployedLicenseModel(admin, `Partner model ${tag}`);
    const product = await deployedProduct(admin, { name: `Web register ${tag}`, licenseModelIds: [lm.id] });
    const distributor = await account(admin, `E2E-PDIST-${tag}`, `E2E Distribution ${tag}`, "CHANNEL_PARTNER");
    const tierName = `Reseller ${tag}`;
    await okJson(
      await admin.post("/api/v1/partner-tiers", {
        name: `bo.constants.partnertiernames.res${tag}`,
        displayName: tierName,
        rank: 60,
      }),
    );
    const { bulk } = await deployedBulk(admin, {
      soldTo: distributor.id,
      productId: product.id,
      licenseModelId: lm.id,
      keys: 150,
    });
    const password = `e2e-${crypto.randomBytes(9).toString("base64url")}`;
    const distEmail = `e2e-dist-${tag}@example.test`;
    await userWithPassword(admin, { email: distEmail, password, accountId: distributor.id, role: "PARTNER_PORTAL_ADMIN" });
    const customer = await account(admin, `E2E-PCUST-${tag}`, `E2E Bakery ${tag}`);
    const custEmail = `e2e-cust-${tag}@example.test`;
    await userWithPassword(admin, { email: custEmail, password, accountId: customer.id, role: "CUSTOMER_PORTAL_USER" });
    const resellerId = `E2E-PRES-${tag}`;
    const resellerName = `E2E Reseller ${tag}`;
    const resellerEmail = `e2e-res-${tag}@example.test`;
    let resellerBulkId = "";

    // 1. The distributor: lands in the partner portal, sees its bulk entitlement with counts,
    //    creates the reseller and its first user, splits 100 keys to it.
    await inBrowser("partner-distributor", async (page) => {
      await logInPage(page, distEmail, password);
      await page.waitForURL((u) => u.pathname === "/partner");
      await page.getByText("partner portal").first().waitFor();
      const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: bulk.entitlementId }) });
      await row.waitFor();
      expect((await row.textContent()) ?? "").toContain("Current owner");
      expect(await row.getByRole("cell").nth(4).textContent()).toBe("150");
      expect(await row.getByRole("cell").nth(6).textContent()).toBe("150");
      await shot(page, "partner-home");

      await page.getByRole("link", { name: "Related accounts" }).click();
      await page.getByRole("button", { name: "New account" }).click();
      const create = page.getByRole("dialog", { name: "New related account" });
      await create.getByLabel(labelled("Type")).click();
      await page.getByRole("option", { name: "Reseller (channel partner)" }).click();
      await create.getByLabel(labelled("Account ID")).fill(resellerId);
      await create.getByLabel(labelled("Name")).fill(resellerName);
      await create.getByRole("button", { name: "Create account" }).click();
      const first = page.getByRole("dialog", { name: `First user of ${resellerName}` });
      await first.getByLabel(labelled("Email")).fill(resellerEmail);
      await first.getByLabel(labelled("First name")).fill("Rita");
      await first.getByLabel(labelled("Last name")).fill("Seller");
      await first.getByLabel(labelled("Role")).click();
      await page.getByRole("option", { name: "Partner portal admin" }).click();
      await first.getByLabel(labelled("Password")).fill(password);
      const made = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/v1/users"));
      await first.getByRole("button", { name: "Add user" }).click();
      expect((await made).status()).toBe(201);
      await first.waitFor({ state: "detached" });
      const related = page.getByRole("row").filter({ hasText: resellerName });
      await related.waitFor();
      expect((await related.textContent()) ?? "").toContain("Partner");
      await shot(page, "partner-accounts");

      await page.getByRole("link", { name: "Bulk entitlements" }).click();
      await page.getByRole("link", { name: bulk.entitlementId }).click();
      await page.getByTestId("count-unredeemed").getByText("150").waitFor();
      await page.getByRole("button", { name: "Split…", exact: true }).click();
      const dialog = page.getByRole("dialog", { name: `Split bulk entitlement ${bulk.entitlementId}` });
      await dialog.getByLabel(labelled("Target account")).click();
      await page.getByRole("option", { name: `${resellerName} (${resellerId})` }).click();
      await dialog.getByLabel(labelled("Tier")).click();
      await page.getByRole("option", { name: tierName }).click();
      await dialog.getByText("150 unredeemed").waitFor();
      await dialog.getByLabel(labelled("Keys")).fill("100");
      const split = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/actions/split"));
      await dialog.getByRole("button", { name: "Split", exact: true }).click();
      const res = await split;
      expect(res.status(), await res.text()).toBe(201);
      const result = (await res.json()) as any;
      expect(result).toMatchObject({ moved: 100, created: true });
      resellerBulkId = result.entitlement.id;
      await dialog.getByText("Split done").waitFor();
      await dialog.getByRole("button", { name: "Close" }).click();
      await page.getByTestId("count-unredeemed").getByText("50").waitFor();
      await shot(page, "partner-bulk");
      await logOut(page);
    });

    // 2. The reseller: its 100 keys, the CSV and the key cards.
    const dir = tempDir("partner-e2e-");
    let aKey = "";
    await inBrowser("partner-reseller", async (page) => {
      await logInPage(page, resellerEmail, password);
      await page.waitForURL((u) => u.pathname === "/partner");
      const row = page.getByRole("row").filter({ hasText: "Current owner" });
      await row.waitFor();
      expect(await row.getByRole("cell").nth(4).textContent()).toBe("100");
      await row.getByRole("link").click();
      await page.getByTestId("count-keys").getByText("100").waitFor();
      await page.getByRole("tab", { name: "Keys" }).click();
      await page.getByRole("button", { name: "Export CSV" }).click();
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("menuitem", { name: "All keys" }).click(),
      ]);
      const csv = path.join(dir, "keys.csv");
      await download.saveAs(csv);
      const lines = fs.readFileSync(csv, "utf8").trim().split(/\r?\n/);
      expect(lines).toHaveLength(101);
      aKey = (lines[1] as string).split(",")[0]?.replace(/"/g, "") as string;
      expect(aKey).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{5})+$/);

      await page.getByRole("button", { name: "Print key cards (PDF)" }).click();
      const open = page.getByRole("link", { name: "Open the PDF" });
      const href = (await open.getAttribute("href")) as string;
      const pdf = await page.context().request.get(href);
      expect(pdf.status()).toBe(200);
      expect(pdf.headers()["content-type"]).toContain("application/pdf");
      expect((await pdf.body()).subarray(0, 5).toString()).toBe("%PDF-");
      await shot(page, "partner-reseller-keys");
    });

    // 3. A customer registers one of the reseller's keys in the customer portal.
    await inBrowser("partner-customer", async (page) => {
      await logInPage(page, custEmail, password);
      await page.waitForURL((u) => u.pathname.startsWith("/portal"));
      await page.goto("/portal/register-key");
      await page.getByLabel(labelled("Key")).fill(aKey);
      const posted = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/v1/redemptions"));
      await page.getByRole("button", { name: "Register" }).click();
      expect((await posted).status()).toBe(201);
    });

    // 4. The reseller sees the redemption: when, which customer, the entitlement it became.
    await inBrowser("partner-redemptions", async (page) => {
      await logInPage(page, resellerEmail, password);
      await page.goto(`/partner/entitlements/${resellerBulkId}`);
      await page.getByTestId("count-redeemed").getByText("1").waitFor();
      await page.getByRole("tab", { name: "Redemptions" }).click();
      const row = page.getByRole("row").filter({ hasText: `E2E Bakery ${tag}` });
      await row.waitFor();
      const text = (await row.textContent()) ?? "";
      expect(text).toContain(customer.id);
      expect(text).toContain(`${aKey}ENT`);
      await shot(page, "partner-redemptions");

      // 5. Its report counts the redemption by that customer.
      await page.getByRole("link", { name: "Reports" }).click();
      const byCustomer = page.getByRole("table", { name: "Redemptions by end customer" });
      const bakery = byCustomer.getByRole("row").filter({ hasText: `E2E Bakery ${tag}` });
      await bakery.waitFor();
      expect(await bakery.getByRole("cell").nth(1).textContent()).toBe("1");
    });

    // 6. The distributor's report sees it too, below the reseller it split to.
    await inBrowser("partner-distributor-report", async (page) => {
      await logInPage(page, distEmail, password);
      await page.waitForURL((u) => u.pathname === "/partner");
      await page.getByRole("link", { name: "Reports" }).click();
      const bakery = page
        .getByRole("table", { name: "Redemptions by end customer" })
        .getByRole("row")
        .filter({ hasText: `E2E Bakery ${tag}` });
      await bakery.waitFor();
      expect(await bakery.getByRole("cell").nth(1).textContent()).toBe("1");
      const reseller = page.getByRole("table", { name: "Top resellers" }).getByRole("row").filter({ hasText: resellerName });
      await reseller.waitFor();
      // Received, redeemed, unredeemed.
      expect(await reseller.getByRole("cell").nth(1).textContent()).toBe("100");
      expect(await reseller.getByRole("cell").nth(2).textContent()).toBe("1");
      expect(await reseller.getByRole("cell").nth(3).textContent()).toBe("99");
      await page.getByTestId("keys-chart").locator("svg.recharts-surface").first().waitFor();
      await shot(page, "partner-distributor-report");
    });
  });
});
