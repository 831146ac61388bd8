import crypto from "node:crypto";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { CHROMIUM, deployedLicenseModel, HAVE_BROWSER, launchBrowser, login, okJson, startServer } from "../e2e/harness.js";

/**
 * What a phone downloads to open the redeem page from a key card's QR code: Chromium (through
 * playwright-core) loads /redeem?key=… from the built server (`npm run build`) with an empty cache,
 * and the bytes that crossed the wire (the sum of every response's encodedDataLength, headers
 * included, as DevTools' "transferred") are added up, per kind of resource. A second load with the
 * cache kept shows what a returning visitor downloads again. Target: under 250 KB (PRODUCT issue 11).
 *
 * Run alone: `npm run build && npx tsx bench/pageWeight.ts`, or `BENCH_ONLY=page npm run bench`.
 */
export interface PageWeightResult {
  url: string;
  requests: number;
  transferredBytes: number;
  /** Bytes of the response bodies once decoded (what compression saved is the difference). */
  decodedBytes: number;
  byType: Record<string, { requests: number; transferredBytes: number }>;
  /** A second visit in the same browser context (HTTP cache kept). */
  repeat: { requests: number; transferredBytes: number };
  targetBytes: number;
}

const TARGET = 250 * 1024;

interface Loaded {
  url: string;
  type: string;
  encoded: number;
  decoded: number;
}

/** Loads `url` in `page` and sums what the network delivered, from the DevTools protocol. */
async function weigh(page: Page, url: string): Promise<Loaded[]> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const byId = new Map<string, Loaded>();
  cdp.on("Network.responseReceived", (e) => {
    byId.set(e.requestId, { url: e.response.url, type: e.type, encoded: 0, decoded: 0 });
  });
  cdp.on("Network.dataReceived", (e) => {
    const r = byId.get(e.requestId);
    if (r) r.decoded += e.dataLength;
  });
  cdp.on("Network.loadingFinished", (e) => {
    const r = byId.get(e.requestId);
    if (r) r.encoded = e.encodedDataLength;
  });
  await page.goto(url, { waitUntil: "networkidle" });
  await page.getByRole("heading", { name: "Register a key" }).waitFor();
  await cdp.detach();
  return [...byId.values()];
}

export async function benchPageWeight(): Promise<PageWeightResult> {
  if (!HAVE_BROWSER) throw new Error(`No Chromium at ${CHROMIUM} (set LICENSOR_CHROMIUM)`);
  const email = "bench-page@example.test";
  const password = `bench-${crypto.randomBytes(9).toString("base64url")}`;
  const server = await startServer({ adminEmail: email, adminPassword: password });
  const browser = await launchBrowser();
  try {
    // A real key on a deployed bulk entitlement, as printed on a card.
    const admin = await login(server.url, email, password);
    const lm = await deployedLicenseModel(admin, "Bench page model");
    const product = await okJson(
      await admin.post("/api/v1/products", {
        name: "Bench page product",
        version: "1.0",
        features: [{ name: "bench_feature", version: "1.0", count: 1 }],
        licenseModelIds: [lm.id],
      }),
    );
    await okJson(await admin.post(`/api/v1/products/${product.id}/actions/change-state`, { state: "DEPLOYED" }), 200);
    const partner = await okJson(
      await admin.post("/api/v1/accounts", { id: "BENCH-PAGE-DIST", name: "Bench Distribution", type: "CHANNEL_PARTNER" }),
    );
    const bulk = await okJson(
      await admin.post("/api/v1/entitlements", {
        kind: "BULK",
        soldTo: partner.id,
        product: {
          products: [{ productId: product.id }],
          licenseModelId: lm.id,
          startDateOption: "DEFINE_AT_FIRST_ACTIVATION",
          isPermanent: true,
          numberOfCopies: 1,
        },
      }),
    );
    await okJson(await admin.post(`/api/v1/entitlements/${bulk.id}/actions/change-state`, { state: "DEPLOYED" }), 200);
    await okJson(await admin.post(`/api/v1/entitlements/${bulk.id}/keys/generate`, { count: 1 }), 200);
    const listed = await okJson<{ items: { key: string }[] }>(
      await admin.get(`/api/v1/entitlements/${bulk.id}/keys?limit=1`),
      200,
    );
    const key = listed.items[0]?.key as string;
    const url = `${server.url}/redeem?key=${encodeURIComponent(key)}`;

    // A phone-sized page in a fresh context: nothing cached.
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 3,
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    const first = await weigh(page, url);
    const again = await weigh(page, url);
    await context.close();

    const byType: PageWeightResult["byType"] = {};
    for (const r of first) {
      const t = byType[r.type] ?? { requests: 0, transferredBytes: 0 };
      t.requests++;
      t.transferredBytes += r.encoded;
      byType[r.type] = t;
    }
    const sum = (xs: Loaded[], f: (r: Loaded) => number) => xs.reduce((s, r) => s + f(r), 0);
    return {
      url: "/redeem?key=…",
      requests: first.length,
      transferredBytes: sum(first, (r) => r.encoded),
      decodedBytes: sum(first, (r) => r.decoded),
      byType,
      // Served from the memory or disk cache: those report no bytes on the wire.
      repeat: { requests: again.filter((r) => r.encoded > 0).length, transferredBytes: sum(again, (r) => r.encoded) },
      targetBytes: TARGET,
    };
  } finally {
    await browser.close();
    await server.stop();
  }
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

export function reportPageWeight(r: PageWeightResult): void {
  console.log(`redeem page (${r.url}) at 390 px, empty cache: ${r.requests} requests, ${kb(r.transferredBytes)} transferred`);
  console.log(
    `  decoded ${kb(r.decodedBytes)}; target under ${kb(r.targetBytes)}: ${r.transferredBytes < r.targetBytes ? "met" : "NOT met"}`,
  );
  for (const [type, t] of Object.entries(r.byType).sort((a, b) => b[1].transferredBytes - a[1].transferredBytes))
    console.log(`  ${type.padEnd(12)} ${String(t.requests).padStart(3)} requests ${kb(t.transferredBytes).padStart(10)}`);
  console.log(`  second visit (cache kept): ${r.repeat.requests} requests over the wire, ${kb(r.repeat.transferredBytes)}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchPageWeight();
  reportPageWeight(r);
  console.log(JSON.stringify({ benchmark: "pageWeight", date: new Date().toISOString(), ...r }));
}
