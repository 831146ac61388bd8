import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { account, deployedSimple, upgradeCatalog, yearOfFiveCopies } from "./factories.js";
import {
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
 * Lifecycle operations in the producer portal (PRODUCT.md §3): on a deployed simple entitlement,
 * Renew… a line item for a year, Upgrade… 2 of its 5 copies to the product it upgrades to, open
 * its Lineage and see both children, Transfer… the entitlement to another account and land on the
 * new entitlement, then merge the old customer's entitlements into a third account. Runs the
 * built server (SQLite in a temp directory) and Chromium (/usr/bin/chromium or LICENSOR_CHROMIUM);
 * without a browser the test is skipped, unless LICENSOR_REQUIRE_BROWSER=1.
 */

requireBrowserFor("lifecycle operations in Chromium");

const ADMIN_EMAIL = "e2e-lifecycle-admin@example.test";
const ADMIN_PASSWORD = `e2e-${crypto.randomBytes(9).toString("base64url")}`;

type Json = any;

describe.skipIf(!HAVE_BROWSER)("lifecycle operations in Chromium", () => {
  const { server, inBrowser } = portalForSuite({ adminEmail: ADMIN_EMAIL, adminPassword: ADMIN_PASSWORD });

  it("a producer admin renews, upgrades part of a line item, reads its lineage, transfers the entitlement and merges accounts", {
    timeout: 180_000,
  }, async () => {
    const tag = crypto.randomBytes(3).toString("hex");
    const admin = await login(server().url, ADMIN_EMAIL, ADMIN_PASSWORD);

    // The catalog: a deployed license model; product B, then product A that upgrades to B.
    const { lm, productA, productB } = await upgradeCatalog(admin, "E2E Studio", tag);

    // The accounts: the customer, the account it is transferred to, and one to merge into.
    const customer = await account(admin, `E2E-CUST-${tag}`, `E2E Customer ${tag}`);
    const target = await account(admin, `E2E-TARGET-${tag}`, `E2E New Owner ${tag}`);
    const mergeInto = await account(admin, `E2E-MERGE-${tag}`, `E2E Holding ${tag}`);

    // A deployed simple entitlement: one line item of A, 5 copies, 1 year from a fixed start.
    const e = await deployedSimple(admin, {
      soldTo: customer.id,
      description: `Lifecycle ${tag}`,
      lineItems: [yearOfFiveCopies(productA.id, lm.id, "2025-03-01")],
    });
    expect(e).toMatchObject({ kind: "SIMPLE", state: "DEPLOYED", soldTo: customer.id });
    const original = e.lineItems[0];
    expect(original).toMatchObject({ state: "DEPLOYED", numberOfCopies: 5, effectiveExpirationDate: "2026-03-01" });
    const entitlement = async (id: string) => okJson(await admin.get(`/api/v1/entitlements/${id}`), 200);

    await inBrowser("lifecycle-transferred", async (page) => {
      await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);

      await page.goto(`/entitlements/${e.id}`);
      const table = page.getByTestId("line-items");
      await table.getByText(original.activationId, { exact: true }).waitFor();
      const row = (id: string) => page.locator(`tr[data-line-item-id="${id}"]`);
      const copiesOf = async (id: string) => (await row(id).locator("td").nth(3).textContent())?.trim();
      const openActions = async (activationId: string, item: string) => {
        await page.getByRole("button", { name: `Actions for line item ${activationId}`, exact: true }).click();
        await page.getByRole("menuitem", { name: item, exact: true }).click();
      };

      // Renew… for one year: a RENEWAL line item, child of the original, from its expiry.
      await openActions(original.activationId, "Renew…");
      const renew = page.getByRole("dialog", { name: `Renew line item ${original.activationId}` });
      await renew.getByLabel(labelled("Term length")).fill("1");
      expect(await renew.getByLabel(labelled("Term unit")).inputValue()).toBe("Years");
      await renew.getByTestId("renew-preview").waitFor();
      await page.screenshot({ path: screenshotPath("lifecycle-renew-dialog"), fullPage: true });
      const renewed = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/actions/renew"));
      await renew.getByRole("button", { name: "Renew", exact: true }).click();
      const renewResponse = await renewed;
      expect(renewResponse.status(), await renewResponse.text()).toBe(201);
      const renewal = ((await renewResponse.json()) as Json).lineItem;
      expect(renewal).toMatchObject({
        lineItemType: "RENEWAL",
        parentLineItemId: original.id,
        numberOfCopies: 5,
        startDate: "2026-03-01",
        effectiveExpirationDate: "2027-03-01",
      });
      await renew.waitFor({ state: "detached" });
      await row(renewal.id).waitFor();
      expect(await row(renewal.id).getAttribute("data-highlighted")).toBe("true");
      await row(renewal.id).getByText("Renewal", { exact: true }).waitFor();
      expect(await row(renewal.id).getByTestId("parent-hint").textContent()).toBe(`renewal of ${original.activationId}`);

      // Upgrade… 2 of the 5 copies to B: an UPGRADE line item of 2 copies; the original keeps 3.
      await openActions(original.activationId, "Upgrade…");
      const upgrade = page.getByRole("dialog", { name: `Upgrade line item ${original.activationId}` });
      // B is the only "upgrade to" product of A, so it is chosen already.
      await upgrade.getByLabel(labelled("Upgrade to")).click();
      await page.getByRole("option", { name: `${productB.name} 2.0` }).waitFor();
      await page.keyboard.press("Escape");
      expect(await upgrade.getByLabel(labelled("Upgrade to")).inputValue()).toBe(`${productB.name} 2.0`);
      expect(await upgrade.getByLabel(labelled("Copies to upgrade")).inputValue()).toBe("5");
      await upgrade.getByLabel(labelled("Copies to upgrade")).fill("2");
      await upgrade.getByText(`keeps 3 copies`).waitFor();
      expect(await upgrade.getByRole("checkbox", { name: "Retire the original line item" }).isDisabled()).toBe(true);
      await page.screenshot({ path: screenshotPath("lifecycle-upgrade-dialog"), fullPage: true });
      const upgraded = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/actions/upgrade"));
      await upgrade.getByRole("button", { name: "Upgrade", exact: true }).click();
      const upgradeResponse = await upgraded;
      expect(upgradeResponse.status(), await upgradeResponse.text()).toBe(201);
      const upgradeItem = ((await upgradeResponse.json()) as Json).lineItem;
      expect(upgradeItem).toMatchObject({
        lineItemType: "UPGRADE",
        parentLineItemId: original.id,
        numberOfCopies: 2,
        products: [expect.objectContaining({ productId: productB.id })],
      });
      await upgrade.waitFor({ state: "detached" });
      await row(upgradeItem.id).waitFor();
      expect(await copiesOf(upgradeItem.id)).toBe("2");
      expect(await copiesOf(original.id)).toBe("3");
      expect(await row(upgradeItem.id).getByTestId("parent-hint").textContent()).toBe(`upgrade of ${original.activationId}`);
      await row(upgradeItem.id).getByText(`${productB.name} 2.0`).waitFor();
      await page.screenshot({ path: screenshotPath("lifecycle-line-items"), fullPage: true });

      // Lineage of the original: this line item, then both children.
      await openActions(original.activationId, "Lineage");
      const lineage = page.getByRole("dialog", { name: `Lineage of line item ${original.activationId}` });
      await lineage.getByTestId("lineage-self").waitFor();
      const entries = lineage.getByTestId("lineage-entry");
      await entries.nth(1).waitFor();
      expect(await entries.count()).toBe(2);
      const byActivation = async (activationId: string) => {
        const entry = lineage.locator(`[data-activation-id="${activationId}"]`);
        return {
          relation: await entry.getByTestId("lineage-relation").textContent(),
          copies: await entry.getByTestId("lineage-copies").textContent(),
        };
      };
      expect(await byActivation(renewal.activationId)).toEqual({ relation: "RENEWAL", copies: "5 copies" });
      expect(await byActivation(upgradeItem.activationId)).toEqual({ relation: "UPGRADE", copies: "2 copies" });
      expect(await byActivation(original.activationId)).toEqual({ relation: "ORIGINAL", copies: "3 copies" });
      await page.screenshot({ path: screenshotPath("lifecycle-lineage") });
      await page.keyboard.press("Escape");
      await lineage.waitFor({ state: "detached" });

      // Transfer… the entitlement to the target account (IDs kept): the new entitlement opens.
      await page.getByRole("button", { name: "Transfer…", exact: true }).click();
      const transfer = page.getByRole("dialog", { name: `Transfer entitlement ${e.entitlementId}` });
      await transfer.getByText("This entitlement becomes").waitFor();
      await transfer.getByText("Fulfillments must be returned first").waitFor();
      expect(await transfer.getByRole("checkbox", { name: "Keep entitlement and activation IDs" }).isChecked()).toBe(true);
      await transfer.getByLabel(labelled("To account")).fill(target.name);
      await page.getByRole("option", { name: new RegExp(target.name) }).click();
      await page.screenshot({ path: screenshotPath("lifecycle-transfer-dialog"), fullPage: true });
      const transferred = page.waitForResponse(
        (r) => r.request().method() === "POST" && r.url().endsWith(`/entitlements/${e.id}/actions/transfer`),
      );
      await transfer.getByRole("button", { name: "Transfer", exact: true }).click();
      const transferResponse = await transferred;
      expect(transferResponse.status(), await transferResponse.text()).toBe(201);
      const moved = (await transferResponse.json()) as Json;
      expect(moved.entitlement.id).not.toBe(e.id);
      await page.waitForURL((u) => u.pathname === `/entitlements/${moved.entitlement.id}`);
      await page.getByRole("heading", { name: e.entitlementId, exact: true }).waitFor();
      await page
        .getByRole("link", { name: `${target.name} (${target.id})` })
        .first()
        .waitFor();
      // All three line items moved (the IDs kept), each the child of its source item on the old entitlement.
      const kept = moved.entitlement.lineItems.find((li: Json) => li.activationId === original.activationId);
      expect(kept).toMatchObject({ numberOfCopies: 3 });
      await row(kept.id).waitFor();
      expect(await row(kept.id).getByTestId("parent-hint").textContent()).toBe("transferred from another entitlement · Lineage");
      expect(await page.getByTestId("parent-hint").count()).toBe(3);
    });

    const now = await entitlement((await (await admin.get(`/api/v1/entitlements?accountId=${target.id}`)).json()).items[0].id);
    expect(now).toMatchObject({ entitlementId: e.entitlementId, soldTo: target.id, state: "DEPLOYED" });
    expect(now.lineItems.map((li: Json) => li.numberOfCopies).sort()).toEqual([2, 3, 5]);
    const source = await entitlement(e.id);
    expect(source.state).toBe("OBSOLETE");
    expect(source.entitlementId).toMatch(new RegExp(`^${e.entitlementId}-TRANSFERRED-\\d+$`));

    // The old customer still holds the (now obsolete) source: merge its entitlements into a third account.
    await inBrowser("lifecycle-merged", async (page) => {
      await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      await page.goto(`/accounts/${customer.id}`);
      await page.getByRole("button", { name: "Merge entitlements into…" }).click();
      const merge = page.getByRole("dialog", { name: `Merge entitlements of ${customer.name}` });
      await merge.getByText(`1 entitlement involves ${customer.id}`).waitFor();
      await merge.getByLabel(labelled("Into account")).fill(mergeInto.name);
      await page.getByRole("option", { name: new RegExp(mergeInto.name) }).click();
      await merge.getByRole("button", { name: "Merge…" }).click();
      await merge.getByText("Confirm the merge").waitFor();
      await page.screenshot({ path: screenshotPath("lifecycle-merge-confirm"), fullPage: true });
      await merge.getByRole("button", { name: "Merge 1 entitlement" }).click();
      const result = merge.getByTestId("merge-result");
      await result.waitFor();
      expect(await result.textContent()).toContain(
        `1 entitlement changed: 1 partner tier moved from ${customer.id} to ${mergeInto.id}`,
      );
    });
    expect((await entitlement(e.id)).soldTo).toBe(mergeInto.id);
  });
});
