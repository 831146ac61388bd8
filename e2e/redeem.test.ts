import crypto from "node:crypto";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { account, deployedBulk, deployedLicenseModel, deployedProduct } from "./factories.js";
import {
  type ApiSession,
  HAVE_BROWSER,
  inPortalPage,
  labelled,
  launchBrowser,
  logInPage,
  login,
  okJson,
  type RunningServer,
  requireBrowserFor,
  screenshotPath,
  startServer,
} from "./harness.js";

/**
 * Redeeming web register keys in the real portal, as a customer with a key card would: the QR code
 * opens /redeem?key=…, the customer creates an account and lands on the entitlement the key became;
 * registering the same key again says so and shows the same entitlement; another customer trying
 * the same key is refused without an account being made; a typo is caught as a typo. Producer staff
 * use Activate by key on List Entitlements. Runs the built server (SQLite in a temp directory) and
 * Chromium (/usr/bin/chromium or LICENSOR_CHROMIUM); without a browser the test is skipped, unless
 * LICENSOR_REQUIRE_BROWSER=1, where a missing browser is a failure.
 */

requireBrowserFor("redeeming keys in Chromium");

const ADMIN_EMAIL = "e2e-redeem-admin@example.test";
const ADMIN_PASSWORD = `e2e-${crypto.randomBytes(9).toString("base64url")}`;
const UNKNOWN_KEY = "We don't recognise this key, or it was already registered by someone else. Check it and try again.";
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** The key with one symbol changed (not a dash): a typo the check symbol catches. */
function withTypo(key: string): string {
  const i = key.indexOf("-") + 2; // second symbol of the second group
  const c = key[i] as string;
  const other = CROCKFORD[(CROCKFORD.indexOf(c) + 7) % CROCKFORD.length] as string;
  return key.slice(0, i) + other + key.slice(i + 1);
}

describe.skipIf(!HAVE_BROWSER)("redeeming keys in Chromium", () => {
  let server: RunningServer;
  let browser: Browser;
  let admin: ApiSession;
  const tag = crypto.randomBytes(3).toString("hex").toUpperCase();
  const productName = `E2E Redeem product ${tag}`;
  let bulk: { id: string; entitlementId: string };
  let customerAccount: { id: string; name: string };
  let keys: string[] = [];

  beforeAll(async () => {
    server = await startServer({ adminEmail: ADMIN_EMAIL, adminPassword: ADMIN_PASSWORD });
    const page = await fetch(`${server.url}/redeem`);
    if (!(page.headers.get("content-type") ?? "").includes("text/html")) {
      await server.stop();
      throw new Error(
        `The server does not serve the portal at /redeem (${page.status}): is web/dist built? Run \`npm run build\`.`,
      );
    }
    browser = await launchBrowser();

    // The catalog, a distributor, a deployed bulk entitlement and three generated keys, through the API.
    admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const lm = await deployedLicenseModel(admin, `E2E Redeem model ${tag}`);
    const product = await deployedProduct(admin, { name: productName, version: "2.0", licenseModelIds: [lm.id] });
    const distributor = await account(admin, `E2E-RD-${tag}`, `E2E Redeem Distribution ${tag}`, "CHANNEL_PARTNER");
    customerAccount = await account(admin, `E2E-RC-${tag}`, `E2E Walk-in Customer ${tag}`);
    ({ bulk, keys } = await deployedBulk(admin, {
      soldTo: distributor.id,
      productId: product.id,
      licenseModelId: lm.id,
      keys: 3,
      body: { description: `Key cards ${tag}` },
      line: { startDateOption: "DEFINE_AT_FIRST_ACTIVATION", isPermanent: true, numberOfCopies: 2 },
    }));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const inBrowser = (name: string, fn: (page: Page, context: BrowserContext) => Promise<void>) =>
    inPortalPage(server, browser, name, fn, { width: 1280, height: 900 });

  async function fillAccount(page: Page, p: { company: string; first: string; last: string; email: string; password: string }) {
    await page.getByLabel(labelled("Company")).fill(p.company);
    await page.getByLabel(labelled("First name")).fill(p.first);
    await page.getByLabel(labelled("Last name")).fill(p.last);
    await page.getByLabel(labelled("Email")).fill(p.email);
    await page.getByLabel(labelled("Password")).fill(p.password);
    await page.getByLabel(labelled("Repeat password")).fill(p.password);
  }

  async function usersWithEmail(email: string): Promise<unknown[]> {
    const r = await okJson<{ items: { email: string }[] }>(
      await admin.get(`/api/v1/users?email=${encodeURIComponent(`EQUALS:${email}`)}`),
      200,
    );
    return r.items.filter((u) => u.email.toLowerCase() === email.toLowerCase());
  }

  const first = {
    company: `E2E Labs ${tag}`,
    first: "Ada",
    last: "Lovelace",
    email: `ada-${tag.toLowerCase()}@example.test`,
    password: `pw-${crypto.randomBytes(9).toString("base64url")}`,
  };

  it("a customer registers a key from its QR code, sees it again as already registered, and nobody else can take it", {
    timeout: 120_000,
  }, async () => {
    const [k1, k2] = keys as [string, string, string];
    let entitlementPk = "";

    // (a) The QR code opens /redeem?key=<k1>: a new customer creates an account with it.
    await inBrowser("redeem-a-registered", async (page) => {
      await page.goto(`/redeem?key=${encodeURIComponent(k1)}`);
      await page.getByRole("heading", { name: "Register a key" }).waitFor();
      expect(await page.getByLabel(labelled("Key")).inputValue()).toBe(k1);
      await page.getByText("Create your account", { exact: true }).waitFor();
      const loginLink = page.getByRole("link", { name: "Already have an account? Log in" });
      expect(await loginLink.getAttribute("href")).toBe(
        `/login?next=${encodeURIComponent(`/redeem?key=${encodeURIComponent(k1)}`)}`,
      );
      await page.screenshot({ path: screenshotPath("redeem-a-form"), fullPage: true });
      await fillAccount(page, first);

      const posted = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/v1/registrations"));
      await page.getByRole("button", { name: "Register" }).click();
      const response = await posted;
      expect(response.status(), await response.text()).toBe(201);
      const body = (await response.json()) as { entitlement: { id: string; entitlementId: string; parentBulkId: string } };
      expect(body.entitlement).toMatchObject({ entitlementId: `${k1}ENT`, parentBulkId: bulk.id });
      entitlementPk = body.entitlement.id;

      await page.waitForURL((u) => u.pathname === `/portal/entitlements/${entitlementPk}`);
      await page.getByRole("heading", { name: `${k1}ENT` }).waitFor();
      const notice = page.getByTestId("redeem-notice");
      await notice.getByText("Your key is registered.").waitFor();
      expect(await notice.textContent()).toContain(`Entitlement ${k1}ENT`);
      const items = page.getByTestId("line-items");
      expect(await items.getByTestId("activation-id").textContent()).toBe(k1);
      expect(await items.textContent()).toContain(`${productName} 2.0`);
      expect(await items.textContent()).toContain("Permanent");
      expect(await items.textContent()).toContain("Set at first activation");
      await page.screenshot({ path: screenshotPath("redeem-a-entitlement"), fullPage: true });

      await page.getByRole("button", { name: "Log out" }).click();
      await page.waitForURL((u) => u.pathname === "/login");
    });

    // (b) Back through the QR code, "Already have an account? Log in" → Register a key in the portal with the key
    // filled in; then Register a key with k1 typed by hand (lower case, no dashes) → already registered, same entitlement.
    await inBrowser("redeem-b-already", async (page) => {
      await page.goto(`/redeem?key=${encodeURIComponent(k1)}`);
      await page.getByRole("link", { name: "Already have an account? Log in" }).click();
      await page.waitForURL((u) => u.pathname === "/login");
      // The portal's session check answers after the login page shows, and re-renders the form:
      // typed before it settles, the fields came back empty (CI saw "Email is required").
      await page.waitForLoadState("networkidle");
      await page.getByLabel(labelled("Email")).fill(first.email);
      await page.getByLabel(labelled("Password")).fill(first.password);
      await page.getByRole("button", { name: "Log in" }).click();
      // A login hashes with scrypt and then loads the portal's lazy chunks: on a loaded 2-core CI
      // machine that once took longer than the default 15 s.
      await page.waitForURL((u) => u.pathname === "/portal/register-key", { timeout: 45_000 });
      expect(new URL(page.url()).searchParams.get("key")).toBe(k1);
      expect(await page.getByLabel(labelled("Key")).inputValue()).toBe(k1);

      await page.getByRole("link", { name: "My Entitlements", exact: true }).click();
      await page.waitForURL((u) => u.pathname === "/portal/entitlements");
      const link = page.getByRole("link", { name: `${k1}ENT`, exact: true });
      await link.waitFor();
      const row = page.getByRole("row").filter({ has: link });
      expect(await row.textContent()).toContain(`${productName} 2.0`);
      expect(await row.textContent()).toContain("Permanent");
      await page.screenshot({ path: screenshotPath("redeem-b-my-entitlements"), fullPage: true });

      await page.getByRole("link", { name: "Register a key", exact: true }).first().click();
      await page.waitForURL((u) => u.pathname === "/portal/register-key");
      const keyField = page.getByLabel(labelled("Key"));
      await keyField.fill("");
      await keyField.pressSequentially(k1.replace(/-/g, "").toLowerCase());
      // Grouped while typed, in capitals once complete.
      expect(await keyField.inputValue()).toBe(k1);
      await page.getByLabel(labelled("Owner (person)")).fill("Ada Lovelace");
      const posted = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/v1/redemptions"));
      await page.getByRole("button", { name: "Register" }).click();
      const response = await posted;
      expect(response.status(), await response.text()).toBe(200);
      await page.waitForURL((u) => u.pathname === `/portal/entitlements/${entitlementPk}`);
      const notice = page.getByTestId("redeem-notice");
      await notice.getByText("You had already registered this key").waitFor();
      expect(await notice.textContent()).toContain(`${k1}ENT`);
      await page.getByRole("heading", { name: `${k1}ENT` }).waitFor();
    });

    // (c) Another new customer tries k1: refused with the same words as an unknown key, and no account is made.
    const second = {
      company: `E2E Other Co ${tag}`,
      first: "Charles",
      last: "Babbage",
      email: `charles-${tag.toLowerCase()}@example.test`,
      password: `pw-${crypto.randomBytes(9).toString("base64url")}`,
    };
    await inBrowser("redeem-c-refused", async (page) => {
      await page.goto(`/redeem?key=${encodeURIComponent(k1)}`);
      await page.getByRole("heading", { name: "Register a key" }).waitFor();
      await fillAccount(page, second);
      const posted = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/v1/registrations"));
      await page.getByRole("button", { name: "Register" }).click();
      expect((await posted).status()).toBe(404);
      await page.getByText(UNKNOWN_KEY).waitFor();
      expect(new URL(page.url()).pathname).toBe("/redeem");
      await page.screenshot({ path: screenshotPath("redeem-c-refused-form"), fullPage: true });

      // (d) A typo in k2: caught as a typo under the Key field, before anything is sent.
      const typo = withTypo(k2);
      let sent = 0;
      page.on("request", (r) => {
        if (r.url().includes("/api/v1/registrations")) sent++;
      });
      await page.getByLabel(labelled("Key")).fill(typo);
      await page.getByRole("button", { name: "Register" }).click();
      await page.getByText("This key has a typo").waitFor();
      expect(await page.getByText(UNKNOWN_KEY).count()).toBe(0);
      expect(sent).toBe(0);
      await page.screenshot({ path: screenshotPath("redeem-d-typo"), fullPage: true });
    });
    expect(await usersWithEmail(second.email)).toEqual([]);
    expect(await usersWithEmail(first.email)).toHaveLength(1);

    // The server words the typo the same way, without a lookup.
    const typoAnswer = await fetch(`${server.url}/api/v1/registrations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        key: withTypo(k2),
        company: "X",
        firstName: "X",
        lastName: "Y",
        email: "x@example.test",
        password: "correct-horse-battery",
      }),
    });
    expect(typoAnswer.status).toBe(400);
    const problem = (await typoAnswer.json()) as { field: string; errors: { field: string; message: string }[] };
    expect(problem.field).toBe("key");
    expect(problem.errors[0]?.message).toMatch(/typo/i);
  });

  it("a producer admin activates a key for a customer with Activate by key", { timeout: 90_000 }, async () => {
    const k3 = keys[2] as string;
    await inBrowser("redeem-e-activate-by-key", async (page) => {
      await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);

      // A producer scanning a key card sees a pointer, not the customer form.
      await page.goto(`/redeem?key=${encodeURIComponent(k3)}`);
      await page.getByText('"Activate by key"', { exact: false }).waitFor();
      await page.getByRole("link", { name: "Activate by key" }).click();
      await page.waitForURL((u) => u.pathname === "/entitlements");
      const dialog = page.getByRole("dialog", { name: "Activate by key" });
      expect(await dialog.getByLabel(labelled("Key")).inputValue()).toBe(k3);
      await dialog.getByLabel(labelled("Sold to")).fill(customerAccount.name);
      await page.getByRole("option", { name: new RegExp(customerAccount.name) }).click();
      await dialog.getByLabel(labelled("Owner (person)")).fill("Grace Hopper");
      const posted = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/v1/redemptions"));
      await dialog.getByRole("button", { name: "Activate" }).click();
      const response = await posted;
      expect(response.status(), await response.text()).toBe(201);
      const { entitlement } = (await response.json()) as { entitlement: { id: string; soldTo: string } };
      expect(entitlement.soldTo).toBe(customerAccount.id);
      await page.waitForURL((u) => u.pathname === `/entitlements/${entitlement.id}`);
      await page.getByRole("heading", { name: `${k3}ENT` }).waitFor();
      const from = page.getByTestId("redeemed-from");
      await from.getByRole("link", { name: bulk.entitlementId }).waitFor();
      await page.screenshot({ path: screenshotPath("redeem-e-activated"), fullPage: true });

      // The bulk entitlement's keys table links each redeemed key to its entitlement.
      await from.getByRole("link", { name: bulk.entitlementId }).click();
      await page.waitForURL((u) => u.pathname === `/entitlements/${bulk.id}`);
      await page.getByRole("tab", { name: /Web register keys/ }).click();
      const keyRow = page.getByRole("row").filter({ hasText: k3 });
      await keyRow.getByRole("link", { name: `Entitlement ${k3}ENT` }).click();
      await page.waitForURL((u) => u.pathname === `/entitlements/${entitlement.id}`);
    });
  });
});
