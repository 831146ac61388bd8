import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAVE_BROWSER, labelled, logInPage, portalForSuite, requireBrowserFor } from "./harness.js";

/**
 * Settings > Webhooks in Chromium against the built server: an admin adds an endpoint for a real
 * receiver, copies its secret, sends a test event that the receiver verifies with the Standard
 * Webhooks library, and redelivers it from the delivery log.
 */

requireBrowserFor("webhooks in Chromium");

const ADMIN_EMAIL = "e2e-webhooks-admin@example.test";
const ADMIN_PASSWORD = `e2e-${crypto.randomBytes(9).toString("base64url")}`;

describe.skipIf(!HAVE_BROWSER)("webhooks in Chromium", () => {
  const { inBrowser } = portalForSuite({
    adminEmail: ADMIN_EMAIL,
    adminPassword: ADMIN_PASSWORD,
    env: { LICENSOR_WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true" },
  });
  const got: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  let receiver: http.Server;
  let url = "";
  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        got.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/licensor`;
  });
  afterAll(async () => {
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));
  });

  it("adds an endpoint, shows its secret, delivers a signed test event and redelivers it", { timeout: 120_000 }, async () => {
    await inBrowser("webhooks", async (page) => {
      await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      await page.goto("/settings/webhooks");
      await page.getByRole("button", { name: "Add endpoint" }).click();
      await page.getByLabel(labelled("URL")).fill(url);
      await page.getByLabel(labelled("Description")).fill("E2E receiver");
      await page.getByRole("checkbox", { name: /All events/ }).click();
      await page.getByRole("checkbox", { name: "key.*", exact: true }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Add endpoint" }).click();
      const secret = (await page.getByTestId("webhook-secret").textContent())?.trim() ?? "";
      expect(secret).toMatch(/^whsec_/);
      await page.keyboard.press("Escape");
      const row = page.getByRole("row").filter({ hasText: "E2E receiver" });
      await row.getByText("key.*").waitFor();
      await row.getByRole("button", { name: "Send test event" }).click();
      await expect.poll(() => got.length, { timeout: 15_000 }).toBe(1);
      const first = got[0] as (typeof got)[number];
      const verified = new Webhook(secret).verify(first.body, {
        "webhook-id": String(first.headers["webhook-id"]),
        "webhook-timestamp": String(first.headers["webhook-timestamp"]),
        "webhook-signature": String(first.headers["webhook-signature"]),
      }) as { type: string };
      expect(verified.type).toBe("webhook.test");
      // The delivery log: the test event, delivered (204), then Redeliver sends it again with the same id.
      await row.getByText(url).click();
      const log = page.getByRole("dialog");
      await log.getByText("SUCCEEDED").waitFor({ timeout: 15_000 });
      await log.getByRole("cell", { name: "204" }).waitFor();
      await log.getByRole("button", { name: "Redeliver" }).click();
      await expect.poll(() => got.length, { timeout: 15_000 }).toBe(2);
      expect(got[1]?.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
    });
  });
});
