import crypto from "node:crypto";
import { expect, it } from "vitest";
import { account, deployedProduct, deployedSimple } from "./factories.js";
import { HAVE_BROWSER, labelled, logInPage, login, okJson, portalForSuite, requireBrowserFor } from "./harness.js";

/**
 * Extra activations in the real portal (issue 14 item 5): with the line item's copies used up, the
 * producer's activate dialog says how many extra activations the license model still allows,
 * activates past the copies, and once none is left says so, disables Activate, and offers the
 * policy override with a reason. Runs the built server (SQLite) and Chromium.
 */

requireBrowserFor("extra activations in Chromium");

const ADMIN_EMAIL = "e2e-extra-admin@example.test";
const ADMIN_PASSWORD = `e2e-${crypto.randomBytes(9).toString("base64url")}`;

const { server, inBrowser } = portalForSuite({ adminEmail: ADMIN_EMAIL, adminPassword: ADMIN_PASSWORD });

it.skipIf(!HAVE_BROWSER)(
  "the activate dialog takes extra activations within the policy and offers the override past it",
  {
    timeout: 180_000,
  },
  async () => {
    const tag = crypto.randomBytes(3).toString("hex").toUpperCase();
    const admin = await login(server().url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const lm = await okJson(
      await admin.post("/api/v1/license-models", {
        name: `E2E Extra model ${tag}`,
        technology: "CERTIFICATE",
        modelType: "NODE_LOCKED_COUNTED",
        policies: { allowedExtraActivations: 1 },
      }),
    );
    await okJson(await admin.post(`/api/v1/license-models/${lm.id}/actions/change-state`, { state: "DEPLOYED" }), 200);
    const product = await deployedProduct(admin, { name: `E2E Extra ${tag}`, licenseModelIds: [lm.id] });
    const customer = await account(admin, `E2E-EXTRA-${tag}`, `Extra customer ${tag}`);
    const today = new Date().toISOString().slice(0, 10);
    const ent = await deployedSimple(admin, {
      soldTo: customer.id,
      lineItems: [
        {
          products: [{ productId: product.id, quantity: 1 }],
          licenseModelId: lm.id,
          startDateOption: "DEFINE_NOW",
          startDate: today,
          term: { count: 1, unit: "YEARS" },
          numberOfCopies: 1,
        },
      ],
    });
    const activationId = ent.lineItems[0].activationId as string;
    await okJson(await admin.post("/api/v1/activations", { activationId, hosts: [{ id: `first-${tag}` }] }));

    await inBrowser("extra-activations", async (page) => {
      await logInPage(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      await page.goto(`/entitlements/${ent.id}`);
      await page.getByRole("button", { name: `Activate ${activationId}` }).click();
      const dialog = page.getByRole("dialog");
      await expect
        .poll(() => dialog.getByTestId("extra-left").textContent())
        .toBe("No copies are left. 1 extra activation left over the line item's whole life.");
      await dialog.getByLabel("Host 1 ID").fill(`second-${tag}`);
      const posted = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/v1/activations"));
      await dialog.getByRole("button", { name: "Activate", exact: true }).click();
      const res = await posted;
      expect(res.status(), await res.text()).toBe(201);
      await dialog.getByTestId("issued-license").waitFor();
      expect(await dialog.getByTestId("issued-license").textContent()).toContain("1 copy (1 as an extra activation).");
      await dialog.getByRole("button", { name: "Close" }).click();

      // None left: said, Activate disabled until a producer admin overrides with a reason.
      await page.getByRole("button", { name: `Activate ${activationId}` }).click();
      const again = page.getByRole("dialog");
      await expect
        .poll(() => again.getByTestId("extra-left").textContent())
        .toBe("No copies are left and no extra activations are left over the line item's whole life.");
      const submit = again.getByRole("button", { name: "Activate", exact: true });
      expect(await submit.isDisabled()).toBe(true);
      await again.getByLabel("Host 1 ID").fill(`third-${tag}`);
      await again.getByLabel("Override policy").check();
      await again.getByLabel(labelled("Reason")).fill("Trade show demo");
      const overridden = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/v1/activations"));
      await submit.click();
      const o = await overridden;
      expect(o.status(), await o.text()).toBe(201);
      expect(((await o.json()) as { fulfillment: { policyOverridden: boolean } }).fulfillment.policyOverridden).toBe(true);
    });
  },
);
