import crypto from "node:crypto";
import type { Locator, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { account, deployedBulk, deployedSimple, upgradeCatalog, userWithPassword, yearOfFiveCopies } from "./factories.js";
import {
  type ApiSession,
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
 * The portal slips of issue 11 (items 12, 13 and 15), in Chromium against the built server:
 * the Upgrade dialog keeps its product when the chosen one is clicked again; on a phone (390 px)
 * the key field shows a whole key and the end-user tables show copies and expiry without sideways
 * scrolling; at 1366 px no state badge is cut off; the typo check answers while the key is typed;
 * every page has a tab title of its own; producer staff are warned before printing key cards that
 * would point at localhost.
 */

requireBrowserFor("portal slips in Chromium");

const ADMIN_EMAIL = "e2e-slips-admin@example.test";
const ADMIN_PASSWORD = `e2e-${crypto.randomBytes(9).toString("base64url")}`;
const CUSTOMER_PASSWORD = `cust-${crypto.randomBytes(9).toString("base64url")}`;
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1366, height: 768 };

type Json = any;

/** The key with one symbol changed (not a dash): a typo the check symbol catches. */
function withTypo(key: string): string {
  const i = key.indexOf("-") + 2;
  const c = key[i] as string;
  return key.slice(0, i) + (CROCKFORD[(CROCKFORD.indexOf(c) + 7) % CROCKFORD.length] as string) + key.slice(i + 1);
}

/** The element's box lies inside the viewport's width (nothing cut off at the right or left). */
async function expectWithinWidth(page: Page, el: Locator, what: string) {
  const box = await el.boundingBox();
  const width = page.viewportSize()?.width ?? 0;
  expect(box, `${what} is not rendered`).not.toBeNull();
  expect(box?.x ?? -1, `${what} starts left of the screen`).toBeGreaterThanOrEqual(0);
  expect((box?.x ?? 0) + (box?.width ?? 0), `${what} ends past the screen's right edge (${width} px)`).toBeLessThanOrEqual(width);
}

/** The page does not scroll sideways. */
async function expectNoSidewaysScroll(page: Page, what: string) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  expect(scroll, `${what} scrolls sideways`).toBeLessThanOrEqual(client);
}

/** Every element matched shows its whole content: nothing clipped inside its own box or by a scrolling ancestor. */
async function expectNotClipped(el: Locator, what: string) {
  const clipped = await el.evaluateAll((els) =>
    els
      .map((e) => {
        const r = e.getBoundingClientRect();
        if (e.scrollWidth > e.clientWidth + 1) return `${e.textContent} (content ${e.scrollWidth} px in ${e.clientWidth} px)`;
        for (let a = e.parentElement; a; a = a.parentElement) {
          const s = getComputedStyle(a);
          if (s.overflowX === "visible") continue;
          const ar = a.getBoundingClientRect();
          if (r.left < ar.left - 0.5 || r.right > ar.right + 0.5)
            return `${e.textContent} (cut off by ${a.className || a.tagName})`;
        }
        return null;
      })
      .filter((x) => x !== null),
  );
  expect(clipped, `${what} cut off`).toEqual([]);
}

describe.skipIf(!HAVE_BROWSER)("portal slips in Chromium", () => {
  const phone = portalForSuite({ adminEmail: ADMIN_EMAIL, adminPassword: ADMIN_PASSWORD });
  const server = phone.server;
  const tag = crypto.randomBytes(3).toString("hex").toUpperCase();
  let admin: ApiSession;
  let productA: Json;
  let productB: Json;
  let simple: Json;
  let toUpgrade: Json;
  let bulk: Json;
  let keys: string[] = [];
  let redeemed: Json;
  const customerEmail = `slips-${tag.toLowerCase()}@example.test`;

  beforeAll(async () => {
    admin = await login(server().url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const catalog = await upgradeCatalog(admin, "E2E Slips", tag);
    const lm = catalog.lm;
    productA = catalog.productA;
    productB = catalog.productB;
    const customer = await account(admin, `E2E-SLIPS-${tag}`, `E2E Slips Customer ${tag}`);
    await userWithPassword(admin, {
      email: customerEmail,
      firstName: "Sam",
      lastName: "Slips",
      password: CUSTOMER_PASSWORD,
      accountId: customer.id,
      role: "CUSTOMER_PORTAL_ADMIN",
    });
    // Real account names run long: a user of two such accounts widens the Users list at 1366 px.
    for (const [i, role] of [
      [1, "CUSTOMER_PORTAL_ADMIN"],
      [2, "CUSTOMER_PORTAL_USER"],
    ] as const) {
      const a = await account(
        admin,
        `E2E-SLIPS-L${i}-${tag}`,
        `Northwind Traders International Software Distribution ${i} ${tag}`,
      );
      await userWithPassword(admin, {
        email: `procurement.department.licensing-${i}-${tag.toLowerCase()}@northwind-traders.example.test`,
        firstName: "Maximiliana",
        lastName: "Featherstonehaugh-Wolfeschlegel",
        password: CUSTOMER_PASSWORD,
        accountId: a.id,
        role,
      });
    }
    const simpleOf = () =>
      deployedSimple(admin, { soldTo: customer.id, lineItems: [yearOfFiveCopies(productA.id, lm.id, "2026-03-01")] });
    simple = await simpleOf();
    // The Upgrade test changes its own entitlement, not the one the layout tests read.
    toUpgrade = await simpleOf();
    const partner = await account(admin, `E2E-SLIPS-D-${tag}`, `E2E Slips Distribution ${tag}`, "CHANNEL_PARTNER");
    ({ bulk, keys } = await deployedBulk(admin, {
      soldTo: partner.id,
      productId: productA.id,
      licenseModelId: lm.id,
      keys: 3,
      line: { startDateOption: "DEFINE_AT_FIRST_ACTIVATION", isPermanent: true, numberOfCopies: 2 },
    }));
    // The customer registers one key: an entitlement with a long, key-shaped ID in My Entitlements.
    const customerApi = await login(server().url, customerEmail, CUSTOMER_PASSWORD);
    redeemed = (await okJson(await customerApi.post("/api/v1/redemptions", { key: keys[0] }))).entitlement;
  }, 90_000);

  it("the Upgrade dialog keeps its product and license model when the chosen product is clicked again", {
    timeout: 90_000,
  }, async () => {
    await phone.inBrowser("slips-upgrade-dialog", async (page) => {
      await page.setViewportSize(LAPTOP);
      await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      const li = toUpgrade.lineItems[0];
      await page.goto(`/entitlements/${toUpgrade.id}`);
      await page.getByRole("button", { name: `Actions for line item ${li.activationId}`, exact: true }).click();
      await page.getByRole("menuitem", { name: "Upgrade…", exact: true }).click();
      const dialog = page.getByRole("dialog", { name: `Upgrade line item ${li.activationId}` });
      const target = dialog.getByLabel(labelled("Upgrade to"));
      const model = dialog.getByLabel(labelled("License model"));
      // B is A's only "upgrade to" product: chosen already, with the line item's license model.
      await model.waitFor();
      expect(await target.inputValue()).toBe(`${productB.name} 2.0`);
      const modelBefore = await model.inputValue();
      expect(modelBefore).toContain("(current)");

      // Clicking the chosen product again keeps it, and the license model stays.
      for (let i = 0; i < 2; i++) {
        await target.click();
        await page.getByRole("option", { name: `${productB.name} 2.0` }).click();
        await page.getByRole("listbox").waitFor({ state: "detached" });
        expect(await target.inputValue()).toBe(`${productB.name} 2.0`);
        expect(await model.isVisible()).toBe(true);
        expect(await model.inputValue()).toBe(modelBefore);
      }
      await page.screenshot({ path: screenshotPath("slips-upgrade-dialog-reclicked"), fullPage: true });
      // And the upgrade still goes through with it.
      const upgraded = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/actions/upgrade"));
      await dialog.getByRole("button", { name: "Upgrade", exact: true }).click();
      const response = await upgraded;
      expect(response.status(), await response.text()).toBe(201);
      expect(((await response.json()) as Json).lineItem.products[0].productId).toBe(productB.id);
    });
  });

  it("on a phone (390 px) the key field shows a whole key and the end-user tables show copies and expiry", {
    timeout: 120_000,
  }, async () => {
    const key = keys[1] as string;
    const expectWholeKey = async (page: Page) => {
      const field = page.getByLabel(labelled("Key"));
      expect(await field.inputValue()).toBe(key);
      expect(key).toHaveLength(29);
      const { scroll, client } = await field.evaluate((e) => ({ scroll: e.scrollWidth, client: e.clientWidth }));
      expect(scroll, `the key field scrolls: ${scroll} px of text in ${client} px`).toBeLessThanOrEqual(client);
      await expectWithinWidth(page, field, "the key field");
      await expectNoSidewaysScroll(page, page.url());
    };
    await phone.inBrowser("slips-phone-redeem", async (page) => {
      await page.setViewportSize(PHONE);
      await page.goto(`/redeem?key=${encodeURIComponent(key)}`);
      await page.getByRole("heading", { name: "Register a key" }).waitFor();
      await expectWholeKey(page);
    });
    await phone.inBrowser("slips-phone-portal", async (page) => {
      await page.setViewportSize(PHONE);
      await logInPage(page, customerEmail, CUSTOMER_PASSWORD);
      await page.goto(`/portal/register-key?key=${encodeURIComponent(key)}`);
      await page.getByRole("heading", { name: "Register a key" }).waitFor();
      await expectWholeKey(page);
      await page.screenshot({ path: screenshotPath("slips-phone-register-key"), fullPage: true });

      // My Entitlements: each row's copies and expiry are on the screen, not behind a sideways scroll.
      await page.goto("/portal/entitlements");
      for (const [e, copies, expiry] of [
        [redeemed, "2", "Permanent"],
        [simple, "5", "Expires on Mar 01, 2027"],
      ] as const) {
        const link = page.getByRole("link", { name: e.entitlementId, exact: true });
        await link.waitFor();
        const row = page.getByRole("row").filter({ has: link });
        const cells = row.getByRole("cell");
        const copiesCell = cells.nth(2);
        const expiryCell = cells.nth(4);
        expect((await copiesCell.textContent())?.trim()).toContain(copies);
        expect(await expiryCell.textContent()).toContain(expiry);
        for (const [el, what] of [
          [link, `${e.entitlementId}`],
          [copiesCell, `copies of ${e.entitlementId}`],
          [expiryCell, `expiry of ${e.entitlementId}`],
          [cells.nth(6), `state of ${e.entitlementId}`],
        ] as const) {
          await expectWithinWidth(page, el, what);
          await expectNotClipped(el, what);
        }
      }
      await expectNoSidewaysScroll(page, "My Entitlements");
      await page.screenshot({ path: screenshotPath("slips-phone-my-entitlements"), fullPage: true });

      // One entitlement: the line item's activation ID, copies, available copies and expiry.
      await page.goto(`/portal/entitlements/${simple.id}`);
      const items = page.getByTestId("line-items");
      await items.waitFor();
      const row = items.getByRole("row").filter({ hasText: simple.lineItems[0].activationId });
      const cells = row.getByRole("cell");
      for (const [i, what, text] of [
        [1, "activation ID", simple.lineItems[0].activationId],
        [2, "copies", "5"],
        [3, "available", "5"],
        [5, "expiry", "Mar 01, 2027"],
      ] as const) {
        expect(await cells.nth(i).textContent(), what).toContain(text);
        await expectWithinWidth(page, cells.nth(i), what);
        await expectNotClipped(cells.nth(i), what);
      }
      await expectNoSidewaysScroll(page, "the entitlement page");
      await page.screenshot({ path: screenshotPath("slips-phone-entitlement"), fullPage: true });

      // Users of the account: the same, for the customer's admin.
      await page.goto("/portal/users");
      const me = page.getByRole("row").filter({ hasText: customerEmail });
      await me.waitFor();
      for (const cell of await me.getByRole("cell").all()) await expectWithinWidth(page, cell, "a user's cell");
      await expectNoSidewaysScroll(page, "Users");
      await page.screenshot({ path: screenshotPath("slips-phone-users"), fullPage: true });
    });
  });

  it("at 1366 px no state badge is cut off, in either portal", { timeout: 120_000 }, async () => {
    const STATES = /^(Draft|Deployed|Obsolete|Test|Active|Inactive|Redeemed|Unredeemed|Succeeded|Failed|Running|Queued)$/;
    const badges = async (page: Page, where: string) => {
      await page.waitForLoadState("networkidle");
      const states = page.locator(".mantine-Badge-root").filter({ hasText: STATES });
      await states.first().waitFor();
      await expectNotClipped(states, `state badges on ${where}`);
      await expectNotClipped(states.locator(".mantine-Badge-label"), `state badge words on ${where}`);
    };
    await phone.inBrowser("slips-laptop-producer", async (page) => {
      await page.setViewportSize(LAPTOP);
      await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      for (const url of [
        "/users",
        "/license-models",
        "/products",
        "/entitlements",
        "/keys",
        `/entitlements/${simple.id}`,
        `/entitlements/${bulk.id}?tab=keys`,
      ]) {
        await page.goto(url);
        await badges(page, url);
        await page.screenshot({ path: screenshotPath(`slips-laptop${url.replace(/[/?=]/g, "-")}`), fullPage: true });
      }
    });
    await phone.inBrowser("slips-laptop-portal", async (page) => {
      await page.setViewportSize(LAPTOP);
      await logInPage(page, customerEmail, CUSTOMER_PASSWORD);
      for (const url of ["/portal/entitlements", `/portal/entitlements/${simple.id}`, "/portal/users"]) {
        await page.goto(url);
        await badges(page, url);
        await page.screenshot({ path: screenshotPath(`slips-laptop${url.replace(/[/?=]/g, "-")}`), fullPage: true });
      }
    });
  });

  it("says a key has a typo while it is typed, before the field is left", { timeout: 60_000 }, async () => {
    const typo = withTypo(keys[2] as string);
    await phone.inBrowser("slips-typo-while-typing", async (page) => {
      await page.setViewportSize(PHONE);
      await page.goto("/redeem");
      const field = page.getByLabel(labelled("Key"));
      await field.click();
      await field.pressSequentially(typo.replace(/-/g, "").toLowerCase().slice(0, 24));
      // One symbol short: nothing to say yet.
      expect(await page.getByText("This key has a typo").count()).toBe(0);
      await field.press(typo.at(-1)?.toLowerCase() as string);
      await page.getByText("This key has a typo").waitFor();
      expect(await field.evaluate((e) => e === document.activeElement)).toBe(true);
      expect(await field.getAttribute("aria-invalid")).toBe("true");
      await page.screenshot({ path: screenshotPath("slips-typo-shown"), fullPage: true });
      // The right key, typed again, is fine.
      await field.fill("");
      await field.pressSequentially(keys[2] as string);
      expect(await field.inputValue()).toBe(keys[2]);
      expect(await page.getByText("This key has a typo").count()).toBe(0);
    });
  });

  it("gives every page a tab title of its own", { timeout: 120_000 }, async () => {
    const titles = new Map<string, string>();
    const titleOf = async (page: Page, url: string) => {
      await page.goto(url);
      await page.waitForFunction(() => document.title !== "Licensor" && document.title !== "");
      await page.waitForLoadState("networkidle");
      titles.set(url, await page.title());
    };
    await phone.inBrowser("slips-titles-public", async (page) => {
      await titleOf(page, "/login");
      await titleOf(page, `/redeem?key=${keys[1]}`);
    });
    await phone.inBrowser("slips-titles-producer", async (page) => {
      await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      for (const url of [
        "/",
        "/entitlements",
        `/entitlements/${simple.id}`,
        "/entitlements/new/simple",
        "/accounts",
        "/users",
        "/products",
        `/products/${productA.id}`,
        "/license-models",
        "/part-numbers",
        "/keys",
        "/jobs",
        "/audit",
        "/settings/partner-tiers",
        "/no-such-page",
      ])
        await titleOf(page, url);
    });
    await phone.inBrowser("slips-titles-portal", async (page) => {
      await logInPage(page, customerEmail, CUSTOMER_PASSWORD);
      for (const url of [
        "/portal",
        "/portal/entitlements",
        `/portal/entitlements/${redeemed.id}`,
        "/portal/users",
        "/portal/password",
      ])
        await titleOf(page, url);
    });
    // Within a portal no two pages share a title (each portal has its own Users page, say).
    const seen = new Map<string, string>();
    const portalOf = (url: string) =>
      url.startsWith("/portal") ? "portal" : url.startsWith("/login") || url.startsWith("/redeem") ? "public" : "producer";
    for (const [url, title] of titles) {
      expect(title, url).toMatch(/ · Licensor$/);
      const k = `${portalOf(url)} ${title}`;
      expect(seen.get(k), `${url} has the same tab title as ${seen.get(k)}: "${title}"`).toBeUndefined();
      seen.set(k, url);
    }
    expect(titles.get("/entitlements")).toBe("Entitlements · Licensor");
    expect(titles.get(`/entitlements/${simple.id}`)).toBe(`${simple.entitlementId} · Licensor`);
    expect(titles.get(`/portal/entitlements/${redeemed.id}`)).toBe(`${redeemed.entitlementId} · Licensor`);
    expect(titles.get(`/redeem?key=${keys[1]}`)).toBe("Register a key · Licensor");
  });

  it("warns producer staff that key cards would point at localhost before they print them", { timeout: 90_000 }, async () => {
    await phone.inBrowser("slips-public-url-warning", async (page) => {
      await page.setViewportSize(LAPTOP);
      await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      await page.goto("/keys");
      const onKeys = page.getByTestId("public-url-warning");
      await onKeys.waitFor();
      expect(await onKeys.textContent()).toContain(`http://localhost:${server().port}/redeem`);
      expect(await onKeys.textContent()).toContain("LICENSOR_PUBLIC_URL");

      await page.goto(`/entitlements/${bulk.id}?tab=keys`);
      await page.getByRole("button", { name: "Print key cards (PDF)" }).click();
      const dialog = page.getByRole("dialog", { name: "Print key cards (PDF)" });
      const warning = dialog.getByTestId("public-url-warning");
      await warning.waitFor();
      expect(await warning.textContent()).toMatch(/http:\/\/localhost:\d+\/redeem/);
      await page.screenshot({ path: screenshotPath("slips-print-cards-warning"), fullPage: true });
    });
  });

  it("the redeem page loads only its own part of the portal, compressed and cacheable, with no source map", {
    timeout: 60_000,
  }, async () => {
    const html = await fetch(`${server().url}/redeem?key=${encodeURIComponent(keys[1] as string)}`);
    expect(html.headers.get("cache-control")).toBe("no-cache");
    const entry = /<script type="module"[^>]* src="([^"]+)"/.exec(await html.text())?.[1] as string;
    expect(entry).toMatch(/^\/assets\/index-[A-Za-z0-9_-]{8}\.js$/);
    const script = await fetch(`${server().url}${entry}`, { headers: { "accept-encoding": "br, gzip" } });
    expect(script.headers.get("content-encoding")).toBe("br");
    expect(script.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await script.text()).not.toContain("sourceMappingURL");
    expect((await fetch(`${server().url}${entry}.map`)).status).toBe(404);

    await phone.inBrowser("slips-redeem-downloads", async (page) => {
      await page.setViewportSize(PHONE);
      const scripts: string[] = [];
      page.on("response", (r) => {
        if (r.request().resourceType() === "script") scripts.push(new URL(r.url()).pathname);
      });
      await page.goto(`/redeem?key=${encodeURIComponent(keys[1] as string)}`);
      await page.getByRole("heading", { name: "Register a key" }).waitFor();
      await page.waitForLoadState("networkidle");
      expect(scripts.some((s) => s.includes("/RedeemPage-"))).toBe(true);
      // Neither portal's pages: the producer's entitlements, keys, shells; the customer's lists.
      for (const other of [
        "/entitlements-",
        "/WebRegisterKeys-",
        "/Shells-",
        "/PortalEntitlementsPage-",
        "/DataTable-",
        "/settings-",
      ])
        expect(
          scripts.filter((s) => s.includes(other)),
          other,
        ).toEqual([]);
    });
  });

  it("a tab left open across a release loads the new release when a page's chunk is gone", { timeout: 60_000 }, async () => {
    await phone.inBrowser("slips-stale-chunk", async (page) => {
      await page.goto("/login");
      await page.getByRole("button", { name: "Log in" }).waitFor();
      // The redeem page's chunk of the release this tab loaded has been replaced: one 404.
      let refused = 0;
      await page.route(/\/assets\/RedeemPage-[^/]+\.js$/, async (route) => {
        if (refused++ === 0) await route.fulfill({ status: 404, body: "" });
        else await route.continue();
      });
      await page.getByRole("link", { name: "Got a key card? Register your key" }).click();
      await page.getByRole("heading", { name: "Register a key" }).waitFor();
      expect(refused).toBe(2);
      expect(new URL(page.url()).pathname).toBe("/redeem");
    });
  });
});
