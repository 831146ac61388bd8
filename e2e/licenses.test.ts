import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeActivationRequest } from "../verifier/src/index.js";
import { account, deployedBulk, deployedProduct } from "./factories.js";
import {
  HAVE_BROWSER,
  labelled,
  logInPage,
  login,
  okJson,
  portalForSuite,
  requireBrowserFor,
  runCli,
  screenshotPath,
  tempDir,
} from "./harness.js";

/**
 * Licenses in the real portal (issue 14): a customer redeems a key card, activates the line item
 * it became for their machine, and downloads the license, from the activate dialog and again from
 * My licenses; the CLI (`licensor license verify`, the verifier a producer's application embeds)
 * accepts the file for that host and refuses it, WRONG_HOST, for another. Producer staff find the
 * license under Licenses and rehost it within the license model's policy. Runs the built server
 * and Chromium, on SQLite and, when LICENSOR_TEST_PG_URL is set, on PostgreSQL.
 */

requireBrowserFor("licenses in Chromium");

const PG_URL = process.env.LICENSOR_TEST_PG_URL || "";
const ADMIN_EMAIL = "e2e-licenses-admin@example.test";
const ADMIN_PASSWORD = `e2e-${crypto.randomBytes(9).toString("base64url")}`;

async function pgAdmin(q: string) {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return await c.query(q);
  } finally {
    await c.end();
  }
}

/** The address of a fresh PostgreSQL database for one suite (see withDatabase). */
function pgDatabaseUrl(): string {
  const name = `licensor_e2e_lic_${crypto.randomBytes(4).toString("hex")}`;
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

const DBS: { name: string; url?: string }[] = [
  { name: "SQLite" },
  ...(PG_URL ? [{ name: "PostgreSQL", url: pgDatabaseUrl() }] : []),
];

/** Clicks `button` and saves the file the browser downloads; returns its path. */
async function download(page: Page, click: () => Promise<void>, dir: string): Promise<string> {
  const [d] = await Promise.all([page.waitForEvent("download"), click()]);
  const file = path.join(dir, d.suggestedFilename());
  await d.saveAs(file);
  return file;
}

const today = () => new Date().toISOString().slice(0, 10);

for (const db of DBS) {
  describe.skipIf(!HAVE_BROWSER)(`licenses in Chromium (${db.name})`, () => {
    if (db.url) {
      const dbName = new URL(db.url).pathname.slice(1);
      withDatabase(dbName);
    }
    const { server, inBrowser } = portalForSuite({
      adminEmail: ADMIN_EMAIL,
      adminPassword: ADMIN_PASSWORD,
      env: db.url ? { DATABASE_URL: db.url } : {},
    });

    it("a customer redeems a key, activates it for a host and downloads the license; the CLI accepts it there only", {
      timeout: 240_000,
    }, async () => {
      const tag = crypto.randomBytes(3).toString("hex").toUpperCase();
      const dir = tempDir("licensor-e2e-lic-");
      const admin = await login(server().url, ADMIN_EMAIL, ADMIN_PASSWORD);

      // The catalog: a node-locked model allowing one rehost a year, a product, a bulk entitlement with one key.
      const lm = await okJson(
        await admin.post("/api/v1/license-models", {
          name: `E2E Licenses model ${tag}`,
          technology: "CERTIFICATE",
          modelType: "NODE_LOCKED_UNCOUNTED",
          policies: { allowedReturns: 1, allowedRehosts: 1, allowedRepairs: 0, window: { count: 1, unit: "YEARS" } },
        }),
      );
      await okJson(await admin.post(`/api/v1/license-models/${lm.id}/actions/change-state`, { state: "DEPLOYED" }), 200);
      const productName = `E2E Licensed CAD ${tag}`;
      const product = await deployedProduct(admin, { name: productName, version: "3.1", licenseModelIds: [lm.id] });
      const dist = await account(admin, `E2E-LD-${tag}`, `E2E License Distribution ${tag}`, "CHANNEL_PARTNER");
      const { keys } = await deployedBulk(admin, {
        soldTo: dist.id,
        productId: product.id,
        licenseModelId: lm.id,
        keys: 1,
        line: { startDateOption: "DEFINE_AT_FIRST_ACTIVATION", isPermanent: true, numberOfCopies: 2 },
      });
      const key = keys[0] as string;
      const hostA = `e2e-host-a-${tag.toLowerCase()}`;
      const hostB = `e2e-host-b-${tag.toLowerCase()}`;
      const hostC = `e2e-host-c-${tag.toLowerCase()}`;
      const hostD = `e2e-host-d-${tag.toLowerCase()}`;
      const customer = {
        email: `grace-${tag.toLowerCase()}@example.test`,
        password: `pw-${crypto.randomBytes(9).toString("base64url")}`,
      };
      let fid = "";
      let fromDialog = "";
      let fromDetail = "";
      let offline = "";

      await inBrowser(`licenses-customer-${db.name}`, async (page) => {
        // The key card's QR code: a new customer registers the key and lands on the entitlement it became.
        await page.goto(`/redeem?key=${encodeURIComponent(key)}`);
        await page.getByRole("heading", { name: "Register a key" }).waitFor();
        await page.getByLabel(labelled("Company")).fill(`E2E Hopper Labs ${tag}`);
        await page.getByLabel(labelled("First name")).fill("Grace");
        await page.getByLabel(labelled("Last name")).fill("Hopper");
        await page.getByLabel(labelled("Email")).fill(customer.email);
        await page.getByLabel(labelled("Password")).fill(customer.password);
        await page.getByLabel(labelled("Repeat password")).fill(customer.password);
        const registered = page.waitForResponse(
          (r) => r.request().method() === "POST" && r.url().endsWith("/api/v1/registrations"),
        );
        await page.getByRole("button", { name: "Register" }).click();
        expect((await registered).status()).toBe(201);
        await page.waitForURL((u) => u.pathname.startsWith("/portal/entitlements/"), { timeout: 45_000 });
        const items = page.getByTestId("line-items");
        await items.getByTestId("activation-id").waitFor();

        // Activate: one host, the start date the line item leaves to its first activation.
        await page.getByRole("button", { name: `Activate ${key}` }).click();
        const dialog = page.getByRole("dialog");
        await dialog.getByLabel("Host 1 ID").fill(hostA);
        await dialog.getByLabel(labelled("Start date")).fill(today());
        // The license is emailed to the customer unless they change the address.
        expect(await dialog.getByLabel(labelled("Ship-to email")).inputValue()).toBe(customer.email);
        await page.screenshot({ path: screenshotPath(`licenses-a-activate-dialog-${db.name}`), fullPage: true });
        const activated = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/v1/activations"));
        await dialog.getByRole("button", { name: "Activate", exact: true }).click();
        const res = await activated;
        expect(res.status(), await res.text()).toBe(201);
        fid = ((await res.json()) as { fulfillment: { id: string } }).fulfillment.id;
        expect(fid).toMatch(/^FID/);
        await dialog.getByTestId("issued-license").waitFor();
        expect(await dialog.getByTestId("issued-fid").textContent()).toBe(fid);
        // Uncounted and node-locked: one copy per host, so 1 of the 2 is left.
        expect(await dialog.getByTestId("available-after").textContent()).toContain("1 copy is left");
        await dialog.getByText(`It is also being emailed to ${customer.email}.`).waitFor();
        await page.screenshot({ path: screenshotPath(`licenses-b-issued-${db.name}`), fullPage: true });
        fromDialog = await download(page, () => dialog.getByTestId("download-issued").click(), dir);
        await dialog.getByRole("button", { name: "Close" }).click();
        await expect.poll(() => items.getByTestId("available-count").textContent()).toBe("1");

        // My licenses: the list, the license's page and its download.
        await page.getByRole("link", { name: "My licenses", exact: true }).click();
        await page.waitForURL((u) => u.pathname === "/portal/licenses");
        const link = page.getByRole("link", { name: fid, exact: true });
        await link.waitFor();
        const row = page.getByRole("row").filter({ has: link });
        expect(await row.textContent()).toContain(hostA);
        expect(await row.textContent()).toContain(`${productName} 3.1`);
        await page.screenshot({ path: screenshotPath(`licenses-c-my-licenses-${db.name}`), fullPage: true });
        await link.click();
        await page.getByRole("heading", { name: fid }).waitFor();
        expect(await page.getByTestId("license-host").first().textContent()).toBe(hostA);
        await page.screenshot({ path: screenshotPath(`licenses-d-my-license-${db.name}`), fullPage: true });
        fromDetail = await download(page, () => page.getByTestId("download-license").click(), dir);
        // Email license: to the customer's own address; queued in the outbox (no SMTP here).
        await page.getByRole("button", { name: "Email license" }).click();
        const mail = page.getByRole("dialog", { name: "Email license" });
        await mail.getByLabel(labelled("To")).fill("not an address");
        await mail.getByRole("button", { name: "Send" }).click();
        await mail.getByText("'not an address' is not an email address").waitFor();
        await mail.getByLabel(labelled("To")).fill("it@customer.example");
        await mail.getByRole("button", { name: "Send" }).click();
        await mail.getByText(`The license ${fid} goes to it@customer.example`).waitFor();
        await page.screenshot({ path: screenshotPath(`licenses-d3-email-${db.name}`), fullPage: true });
        await mail.getByRole("button", { name: "Close" }).click();

        // Offline: the air-gapped machine's request file, uploaded from My licenses, gives the last copy's license.
        const req = path.join(dir, "activation.req");
        fs.writeFileSync(req, writeActivationRequest({ activationId: key, hosts: [{ type: "STRING", id: hostD }] }));
        await page.getByRole("navigation", { name: "Main menu" }).getByRole("link", { name: "My licenses" }).click();
        await page.waitForURL((u) => u.pathname === "/portal/licenses");
        await page.getByRole("button", { name: "Upload activation request" }).click();
        const upload = page.getByRole("dialog");
        await upload.locator('input[type="file"]').setInputFiles(req);
        await page.screenshot({ path: screenshotPath(`licenses-d2-upload-request-${db.name}`), fullPage: true });
        const uploaded = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/upload-request"));
        await upload.getByRole("button", { name: "Upload and activate" }).click();
        const up = await uploaded;
        expect(up.status(), await up.text()).toBe(201);
        await upload.getByTestId("issued-license").waitFor();
        expect(await upload.getByTestId("available-after").textContent()).toContain("0 copies are left");
        offline = await download(page, () => upload.getByTestId("download-issued").click(), dir);
      });

      // The same signed license both ways, and the verifier's answer for each host.
      expect(path.basename(fromDetail)).toBe(`${fid}.lic`);
      const lic = fs.readFileSync(fromDialog, "utf8");
      expect(fs.readFileSync(fromDetail, "utf8")).toBe(lic);
      const ok = await runCli(["license", "verify", fromDialog, "--host", hostA, "--server", server().url]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain("VALID");
      const elsewhere = await runCli(["license", "verify", fromDialog, "--host", hostB, "--server", server().url]);
      expect(elsewhere.code).toBe(2);
      expect(elsewhere.stderr).toContain("WRONG_HOST");
      const carried = await runCli(["license", "verify", offline, "--host", hostD, "--server", server().url]);
      expect(carried.code, carried.stderr).toBe(0);

      // Producer staff: Licenses finds it by host ID; a rehost within the policy (1 a year) issues a new license.
      let rehosted = "";
      await inBrowser(`licenses-producer-${db.name}`, async (page) => {
        await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);
        await page.getByRole("link", { name: "Licenses", exact: true }).click();
        await page.waitForURL((u) => u.pathname === "/licenses");
        await page.getByLabel("Host ID").fill(hostA);
        const link = page.getByRole("link", { name: fid, exact: true });
        await link.waitFor();
        // Only the license on that host (not the one the offline request made for another).
        await expect.poll(() => page.getByRole("link", { name: /^FID_/ }).count()).toBe(1);
        await page.screenshot({ path: screenshotPath(`licenses-e-producer-list-${db.name}`), fullPage: true });
        await link.click();
        await page.getByRole("heading", { name: fid }).waitFor();
        expect(await page.getByTestId("policy-usage").textContent()).toContain("0 of 1 rehost used per 1 year");
        await page.screenshot({ path: screenshotPath(`licenses-f-producer-license-${db.name}`), fullPage: true });

        await page.getByRole("button", { name: "Rehost" }).click();
        const dialog = page.getByRole("dialog");
        expect(await dialog.getByTestId("policy-left").textContent()).toContain("1 left");
        await dialog.getByLabel("Host 1 ID").fill(hostC);
        await page.screenshot({ path: screenshotPath(`licenses-g-rehost-dialog-${db.name}`), fullPage: true });
        const posted = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/actions/rehost"));
        await dialog.getByRole("button", { name: "Rehost", exact: true }).click();
        const res = await posted;
        expect(res.status(), await res.text()).toBeLessThan(300);
        await dialog.getByTestId("issued-license").waitFor();
        rehosted = (await dialog.getByTestId("issued-fid").textContent()) ?? "";
        const file = await download(page, () => dialog.getByTestId("download-issued").click(), dir);
        const moved = await runCli(["license", "verify", file, "--host", hostC, "--server", server().url]);
        expect(moved.code, moved.stderr).toBe(0);
        await dialog.getByRole("button", { name: "Close" }).click();
        await page.getByTestId("license-history").getByRole("link", { name: rehosted }).waitFor();
        await page.screenshot({ path: screenshotPath(`licenses-h-after-rehost-${db.name}`), fullPage: true });

        // The license model shows the period its policies are counted over.
        await page.goto(`/license-models/${lm.id}`);
        await page.getByText("Per 1 year", { exact: true }).waitFor();

        // The Outbox holds the license emailed to the customer at activation (no SMTP server here), with the file attached.
        await page.goto("/outbox");
        // (The newest is the one sent again to it@customer.example from My licenses.)
        const sent = page.getByRole("row").filter({ hasText: fid }).filter({ hasText: customer.email }).first();
        await sent.waitFor();
        await sent.click();
        await page.getByText(customer.email).first().waitFor();
        await page.getByText(`${fid}.lic`).first().waitFor();
        await page.screenshot({ path: screenshotPath(`licenses-i-outbox-${db.name}`), fullPage: true });
      });
      const old = await okJson(await admin.get(`/api/v1/fulfillments/${encodeURIComponent(fid)}`), 200);
      expect(old.fulfillment.state).toBe("OBSOLETE");
      expect(old.usage.rehosts).toEqual({ used: 1, allowed: 1 });
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });
}

/**
 * Creates the suite's PostgreSQL database before its server starts and drops it after the server
 * stopped: registered before portalForSuite's hooks, and vitest runs after-hooks in reverse order.
 */
function withDatabase(dbName: string) {
  beforeAll(async () => {
    await pgAdmin(`CREATE DATABASE ${dbName}`);
  });
  afterAll(async () => {
    await pgAdmin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  });
}
