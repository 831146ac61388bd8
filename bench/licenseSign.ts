import crypto from "node:crypto";
import { pathToFileURL } from "node:url";
import { type Signer, signLicense, signLicenseJws } from "../server/src/licensing/keyring.js";
import { keyIdOf, type LicenseClaims, publicX, signingInput } from "../verifier/src/index.js";

/**
 * Licenses signed per second (claims → canonical bytes → Ed25519 → the whole text file) beside a
 * bare `crypto.sign` loop over signing inputs of the same size, alternated in blocks of 100 on one
 * key, so the ratio is the cost of the format on this machine at this moment (issue 14's target:
 * at least 0.8 of the bare loop). `npx tsx bench/licenseSign.ts` prints one JSON line.
 */
export interface LicenseSignResult {
  benchmark: "license.sign";
  n: number;
  /** Whole license files (the JWS and its readable part) per second. */
  licensesPerSec: number;
  /** Bare JWSs (what a fulfillment keeps; the file is written on download) per second. */
  jwsPerSec: number;
  barePerSec: number;
  ratio: number;
  jwsRatio: number;
  rounds: { licensesPerSec: number; jwsPerSec: number; barePerSec: number; ratio: number; jwsRatio: number }[];
}

const claims = (i: number): LicenseClaims => ({
  format: "licensor-license/1",
  issuer: "Bench Producer",
  issuedAt: new Date().toISOString(),
  fulfillmentId: `FID_${i.toString(36).padStart(8, "0")}`,
  activationId: "ACT-7F3A-91C2-55D0",
  entitlementId: "ENT-2026-000001",
  product: { name: "Acme Designer", version: "2.0" },
  features: [
    { name: "design", version: "2.0", count: null },
    { name: "render", version: "2.1", count: 5 },
  ],
  hosts: [{ type: "ETHERNET", id: "00:1A:2B:3C:4D:5E" }],
  count: 1,
  start: "2026-03-01",
  expiry: "2027-03-01",
  versionDate: null,
  licenseModel: { name: "Node-locked uncounted", type: "NODE_LOCKED_UNCOUNTED" },
  attributes: {},
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export function benchLicenseSign(n = 5000, rounds = 5): LicenseSignResult {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ed25519");
  const signer: Signer = { kid: keyIdOf(publicX(publicKey)), privateKey };
  // The bare loop signs what a license signs (its signing input), built beforehand.
  const inputs = Array.from({ length: n }, (_, i) =>
    Buffer.from(signingInput({ alg: "EdDSA", kid: signer.kid, typ: "licensor-license+jws" }, claims(i)), "ascii"),
  );
  const all: LicenseSignResult["rounds"] = [];
  const block = 100;
  for (let r = 0; r < rounds + 1; r++) {
    // Blocks of each, alternated, so a burst of other work on a shared machine hits both alike.
    let bareMs = 0;
    let licenseMs = 0;
    let jwsMs = 0;
    for (let start = 0; start < n; start += block) {
      const end = Math.min(n, start + block);
      let t = performance.now();
      for (let i = start; i < end; i++) crypto.sign(null, inputs[i] as Buffer, privateKey);
      bareMs += performance.now() - t;
      t = performance.now();
      for (let i = start; i < end; i++) signLicense(claims(i), signer);
      licenseMs += performance.now() - t;
      t = performance.now();
      for (let i = start; i < end; i++) signLicenseJws(claims(i), signer);
      jwsMs += performance.now() - t;
    }
    const bare = n / (bareMs / 1000);
    const licenses = n / (licenseMs / 1000);
    const jws = n / (jwsMs / 1000);
    // The first round warms the JIT up and is not counted.
    if (r > 0)
      all.push({
        licensesPerSec: Math.round(licenses),
        jwsPerSec: Math.round(jws),
        barePerSec: Math.round(bare),
        ratio: licenses / bare,
        jwsRatio: jws / bare,
      });
  }
  return {
    benchmark: "license.sign",
    n,
    licensesPerSec: median(all.map((r) => r.licensesPerSec)),
    jwsPerSec: median(all.map((r) => r.jwsPerSec)),
    barePerSec: median(all.map((r) => r.barePerSec)),
    ratio: Math.round(median(all.map((r) => r.ratio)) * 1000) / 1000,
    jwsRatio: Math.round(median(all.map((r) => r.jwsRatio)) * 1000) / 1000,
    rounds: all.map((r) => ({ ...r, ratio: Math.round(r.ratio * 1000) / 1000, jwsRatio: Math.round(r.jwsRatio * 1000) / 1000 })),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(JSON.stringify(benchLicenseSign(Number(process.env.BENCH_N ?? 5000), Number(process.env.BENCH_ROUNDS ?? 5))));
}
