import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { b64url } from "../src/encoding.js";
import { canonicalize, type LicenseClaims, signClaims } from "../src/index.js";
import { isDay } from "../src/license.js";

const { privateKey } = crypto.generateKeyPairSync("ed25519");
const sign = (input: Uint8Array) => crypto.sign(null, input, privateKey);
const base = (): LicenseClaims => ({
  format: "licensor-license/1",
  issuer: 'Ünïcode "Producer" \\ \u0001',
  issuedAt: "2026-03-01T12:00:00.000Z",
  fulfillmentId: "FID_1",
  activationId: "ACT-1",
  entitlementId: "ENT-1",
  product: { name: "P", version: "1.0" },
  features: [
    { name: "b", version: "2", count: null },
    { name: "a", version: "1", count: 5 },
  ],
  hosts: [
    { type: "ETHERNET", id: "00:1A" },
    { type: "STRING", id: "😀 host" },
  ],
  count: 3,
  start: "2026-03-01",
  expiry: null,
  versionDate: "2026-01-01",
  licenseModel: { name: "NL", type: "NODE_LOCKED_COUNTED" },
  attributes: { Z: 1, a: "x", é: true },
});

/** The claims part of a signed JWS, as signed. */
const signedClaimsText = (c: LicenseClaims) => signClaims(c, "kid", sign).split(".")[1];

describe("the signer's claims encoding", () => {
  it("writes exactly the JCS bytes of the claims, whatever they hold", () => {
    const variants: LicenseClaims[] = [
      base(),
      { ...base(), expiry: "2027-03-01", versionDate: null, features: [], attributes: {} },
      { ...base(), hosts: [{ type: "VM_UUID", id: "\u2028line" }], count: 1_000_000 },
      // A member a later version adds: the generic encoder takes over, and sorts it in.
      { ...base(), extra: { y: 1, x: [2] } } as LicenseClaims,
      { ...base(), product: { name: "P", version: "1", edition: "pro" } } as LicenseClaims,
      { ...base(), hosts: [{ type: "USER", id: "u", note: "n" }] } as unknown as LicenseClaims,
    ];
    for (const c of variants) expect(signedClaimsText(c)).toBe(b64url(canonicalize(c)));
  });

  it("refuses a string that is not valid Unicode", () => {
    expect(() => signClaims({ ...base(), issuer: "bad \ud800" }, "kid", sign)).toThrow(/surrogate/);
  });
});

describe("isDay", () => {
  it("knows the calendar", () => {
    for (const d of ["2024-02-29", "2000-02-29", "2026-12-31", "0100-01-01", "9999-12-31"]) expect(isDay(d), d).toBe(true);
    for (const d of [
      "2026-02-29",
      "1900-02-29",
      "2026-04-31",
      "2026-13-01",
      "2026-00-10",
      "2026-01-00",
      "0099-12-31",
      "2026-1-01",
      20260101,
    ])
      expect(isDay(d), String(d)).toBe(false);
  });
});
