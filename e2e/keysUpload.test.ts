import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Locator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { account, deployedBulk, deployedLicenseModel, deployedProduct } from "./factories.js";
import {
  HAVE_BROWSER,
  labelled,
  logInPage,
  login,
  portalForSuite,
  requireBrowserFor,
  screenshotPath,
  tempDir,
} from "./harness.js";

/**
 * Web register keys in the real portal: on a deployed bulk entitlement, Load Web Register Keys →
 * Upload a file (20 keys, a background job followed by its progress bar) → Total 20; a file with
 * two bad lines → the failure report names both lines and nothing is loaded; Generate keys (15,
 * answered at once) → Total 35. Runs the built server (SQLite in a temp directory) and Chromium
 * (/usr/bin/chromium or LICENSOR_CHROMIUM); without a browser the test is skipped, unless
 * LICENSOR_REQUIRE_BROWSER=1, where a missing browser is a failure.
 */

requireBrowserFor("web register keys in Chromium");

const ADMIN_EMAIL = "e2e-keys-admin@example.test";
const ADMIN_PASSWORD = `e2e-${crypto.randomBytes(9).toString("base64url")}`;

describe.skipIf(!HAVE_BROWSER)("web register keys in Chromium", () => {
  const { server, inBrowser } = portalForSuite({ adminEmail: ADMIN_EMAIL, adminPassword: ADMIN_PASSWORD });
  let files: string;

  beforeAll(() => {
    files = tempDir("licensor-keyfiles-");
  });

  afterAll(() => {
    if (files) fs.rmSync(files, { recursive: true, force: true });
  });

  it("a producer admin uploads a key file, sees a bad file refused line by line, and generates keys", {
    timeout: 120_000,
  }, async () => {
    const tag = crypto.randomBytes(3).toString("hex").toUpperCase();

    // The catalog, a distributor and a deployed bulk entitlement, through the API.
    const admin = await login(server().url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const lm = await deployedLicenseModel(admin, `E2E Keys model ${tag}`);
    const product = await deployedProduct(admin, { name: `E2E Keys product ${tag}`, licenseModelIds: [lm.id] });
    const distributor = await account(admin, `E2E-KEYS-${tag}`, `E2E Key Distribution ${tag}`, "CHANNEL_PARTNER");
    const { bulk } = await deployedBulk(admin, {
      soldTo: distributor.id,
      productId: product.id,
      licenseModelId: lm.id,
      body: { description: `Key cards ${tag}` },
      line: { isPermanent: true, numberOfCopies: 1 },
    });

    // Twenty good keys, then a file whose lines 3 and 5 are bad (a forbidden '#', a key already loaded).
    const good = Array.from({ length: 20 }, (_, i) => `E2E-${tag}-${String(i + 1).padStart(2, "0")}`);
    const goodFile = path.join(files, "keys-20.txt");
    fs.writeFileSync(goodFile, `${good.join("\n")}\n`);
    const brokenFile = path.join(files, "keys-broken.txt");
    fs.writeFileSync(
      brokenFile,
      [`E2E-${tag}-NEW-1`, `E2E-${tag}-NEW-2`, `E2E-${tag}#BAD`, `E2E-${tag}-NEW-3`, good[4], `E2E-${tag}-NEW-4`].join("\n"),
    );

    await inBrowser("keys-upload-finished", async (page, context) => {
      await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);

      // The bulk entitlement's page → its Web register keys tab.
      await page.goto(`/entitlements/${bulk.id}`);
      await page.getByText(`Key cards ${tag}`).first().waitFor();
      await page.getByRole("tab", { name: /Web register keys/ }).click();
      await page.waitForURL((u) => u.search.includes("tab=keys"));
      const total = page.getByTestId("key-count-total");
      await expect.poll(() => total.textContent()).toBe("0");
      await page.getByText("No keys yet").waitFor();

      const openLoad = async () => {
        await page.getByRole("button", { name: "Load Web Register Keys" }).click();
        const dialog = page.getByRole("dialog", { name: "Load Web Register Keys" });
        await dialog.waitFor();
        return dialog;
      };
      /** Follows the job's progress bar in the dialog until it ends; returns the states it showed. */
      const followJob = async (dialog: Locator) => {
        const bar = dialog.getByTestId("job-progress");
        await bar.waitFor();
        const seen: string[] = [];
        await expect
          .poll(
            async () => {
              const state = (await bar.getAttribute("data-state")) ?? "";
              if (seen[seen.length - 1] !== state) seen.push(state);
              return state;
            },
            { timeout: 60_000, interval: 100 },
          )
          .toMatch(/^(SUCCEEDED|PARTIAL_FAILURE|FAILED|CANCELLED)$/);
        return seen;
      };

      // 1. Upload a file: 20 keys, as a background job followed by its progress bar.
      let dialog = await openLoad();
      await dialog.getByRole("tab", { name: "Upload a file" }).waitFor();
      await expect
        .poll(() => dialog.getByTestId("key-file-formats").textContent())
        .toContain("<webregkeys><webregkey>KEY</webregkey>");
      await dialog.getByLabel("Key file").setInputFiles(goodFile);
      const polled = new Set<string>();
      page.on("response", (r) => {
        const m = /\/api\/v1\/jobs\/([^/?]+)$/.exec(new URL(r.url()).pathname);
        if (m && r.request().method() === "GET") polled.add(m[1] as string);
      });
      const imported = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith(`/keys/import`));
      await dialog.getByRole("button", { name: "Upload", exact: true }).click();
      const ir = await imported;
      expect(ir.status(), await ir.text()).toBe(202);
      const { jobId } = (await ir.json()) as { jobId: string };
      expect(await followJob(dialog)).toContain("SUCCEEDED");
      expect(polled.has(jobId)).toBe(true);
      const outcome = dialog.getByTestId("load-outcome");
      await expect.poll(() => outcome.getAttribute("data-status")).toBe("SUCCESS");
      expect(await outcome.textContent()).toContain("Loaded 20 keys");
      await expect.poll(() => dialog.getByTestId("job-state").textContent()).toBe("Succeeded");
      await page.screenshot({ path: screenshotPath("keys-upload-job"), fullPage: true });
      await dialog.getByRole("button", { name: "Close", exact: true }).click();
      await dialog.waitFor({ state: "detached" });
      await expect.poll(() => total.textContent()).toBe("20");
      await expect.poll(() => page.getByTestId("key-count-unredeemed").textContent()).toBe("20");
      await page.getByText(good[0] as string, { exact: true }).waitFor();
      await page.getByText(good[19] as string, { exact: true }).waitFor();

      // 2. A file with two bad lines: refused whole, the report names lines 3 and 5.
      dialog = await openLoad();
      await dialog.getByLabel("Key file").setInputFiles(brokenFile);
      const counted = page.waitForResponse((r) => r.url().endsWith(`/entitlements/${bulk.id}/keys/counts`), {
        timeout: 60_000,
      });
      await dialog.getByRole("button", { name: "Upload", exact: true }).click();
      expect(await followJob(dialog)).toContain("FAILED");
      const failure = dialog.getByTestId("load-outcome");
      await expect.poll(() => failure.getAttribute("data-status")).toBe("FAILURE");
      await failure.getByText("Nothing was loaded").waitFor();
      const badRows = dialog.getByTestId("bad-lines").locator("tbody tr");
      await expect.poll(() => badRows.count()).toBe(2);
      const cells = async (i: number) => (await badRows.nth(i).locator("td").allTextContents()).map((t) => t.trim());
      const [first, second] = [await cells(0), await cells(1)];
      expect(first[0]).toBe("3");
      expect(first[2]).toMatch(/#/);
      expect(second[0]).toBe("5");
      expect(second[2]).toMatch(/already exists/);
      await page.screenshot({ path: screenshotPath("keys-upload-refused"), fullPage: true });
      await dialog.getByRole("button", { name: "Close", exact: true }).click();
      await dialog.waitFor({ state: "detached" });
      // The portal asked for the counts again when the job ended: still 20.
      const recount = await counted;
      expect(await recount.json()).toMatchObject({ total: 20 });
      expect(await total.textContent()).toBe("20");

      // 3. Generate 15 keys: answered at once with the report.
      dialog = await openLoad();
      await dialog.getByRole("tab", { name: "Generate keys" }).click();
      await dialog.getByLabel(labelled("Number of keys")).fill("15");
      const generated = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/keys/generate"));
      await dialog.getByRole("button", { name: "Generate", exact: true }).click();
      const gr = await generated;
      expect(gr.status(), await gr.text()).toBe(200);
      const genOutcome = dialog.getByTestId("load-outcome");
      await expect.poll(() => genOutcome.getAttribute("data-status")).toBe("SUCCESS");
      expect(await genOutcome.textContent()).toContain("Loaded 15 keys");
      await dialog.getByRole("button", { name: "Close", exact: true }).click();
      await dialog.waitFor({ state: "detached" });
      await expect.poll(() => total.textContent()).toBe("35");
      await expect.poll(() => page.getByTestId("key-tab-total").textContent()).toBe("35");

      // Only the Unredeemed filter, and a prefix: the 20 uploaded keys.
      // (A segmented control: its radio inputs are visually hidden behind their labels.)
      await page
        .locator("label")
        .filter({ hasText: /^Unredeemed$/ })
        .click();
      expect(await page.getByRole("radio", { name: "Unredeemed" }).isChecked()).toBe(true);
      await page.getByLabel("Key starts with").fill(`E2E-${tag}-`);
      await expect
        .poll(() =>
          page
            .getByRole("row")
            .filter({ hasText: `E2E-${tag}-` })
            .count(),
        )
        .toBe(20);

      // The API, with the browser's own session, agrees; the jobs page lists both imports.
      const api = await context.request.get(`/api/v1/entitlements/${bulk.id}/keys/counts`);
      expect(await api.json()).toEqual({ total: 35, redeemed: 0, unredeemed: 35 });
      await page.getByRole("link", { name: "Jobs", exact: true }).click();
      await page.waitForURL((u) => u.pathname === "/jobs");
      const importRows = page.getByRole("row").filter({ hasText: "Key import" });
      await expect.poll(() => importRows.count()).toBe(2);
      expect((await importRows.nth(0).textContent()) ?? "").toContain("Failed");
      expect((await importRows.nth(1).textContent()) ?? "").toContain("Succeeded");
      await importRows.nth(0).click();
      await page.waitForURL((u) => u.pathname.startsWith("/jobs/"));
      await page.getByTestId("bad-lines").waitFor();
      await page.goto(`/entitlements/${bulk.id}?tab=keys`);
      await expect.poll(() => page.getByTestId("key-count-total").textContent()).toBe("35");

      // 4. "Load the valid keys and report the rest": 3 new keys kept, 2 lines refused — the job
      // ends PARTIAL_FAILURE, not SUCCEEDED, in the dialog and in the Jobs list.
      const mixedFile = path.join(files, "keys-mixed.txt");
      fs.writeFileSync(mixedFile, `P-${tag}-1\nbad#key\nP-${tag}-2\n${good[0]}\nP-${tag}-3\n`);
      dialog = await openLoad();
      await dialog.getByLabel("Key file").setInputFiles(mixedFile);
      await dialog.getByLabel("Load the valid keys and report the rest").check();
      await dialog.getByRole("button", { name: "Upload", exact: true }).click();
      expect(await followJob(dialog)).toContain("PARTIAL_FAILURE");
      await expect.poll(() => dialog.getByTestId("job-state").textContent()).toBe("Partial failure");
      const partialOutcome = dialog.getByTestId("load-outcome");
      await expect.poll(() => partialOutcome.getAttribute("data-status")).toBe("PARTIAL_FAILURE");
      expect(await partialOutcome.textContent()).toContain("Loaded 3 keys");
      await expect.poll(() => dialog.getByTestId("bad-lines").locator("tbody tr").count()).toBe(2);
      await dialog.getByRole("button", { name: "Close", exact: true }).click();
      await dialog.waitFor({ state: "detached" });
      await expect.poll(() => page.getByTestId("key-count-total").textContent()).toBe("38");
      await page.getByRole("link", { name: "Jobs", exact: true }).click();
      await page.waitForURL((u) => u.pathname === "/jobs");
      await expect.poll(() => importRows.count()).toBe(3);
      await expect.poll(async () => (await importRows.nth(0).textContent()) ?? "").toContain("Partial failure");
      expect(await importRows.nth(0).getByTestId("job-refused").textContent()).toBe("2 lines refused");
    });
  });
});
