import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  canonicalize,
  encodeLicense,
  keyIdOf,
  type LicenseClaims,
  licenseFile,
  readActivationRequest,
  signClaims,
  signingInput,
  verifyLicense,
  writeActivationRequest,
} from "../src/index.js";

/** The vectors of docs/LICENSE-FORMAT.md §9: every ```vector NAME block, by name. */
function vectors(): Map<string, string> {
  const doc = fs.readFileSync(path.resolve(import.meta.dirname, "../../docs/LICENSE-FORMAT.md"), "utf8");
  const out = new Map<string, string>();
  for (const m of doc.matchAll(/^```vector ([a-z-]+)\n([\s\S]*?)\n```$/gm)) out.set(m[1] as string, m[2] as string);
  return out;
}

const v = vectors();
const get = (name: string) => {
  const value = v.get(name);
  if (value === undefined) throw new Error(`docs/LICENSE-FORMAT.md has no vector ${name}`);
  return value;
};

/** An Ed25519 private key from its 32-byte seed (PKCS #8 DER: a fixed 16-byte prefix, then the seed). */
export function privateKeyFromSeed(hex: string): crypto.KeyObject {
  const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(hex, "hex")]);
  return crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" });
}

describe("docs/LICENSE-FORMAT.md test vectors", () => {
  const key = privateKeyFromSeed(get("private-key-hex"));
  const jwk = JSON.parse(get("public-jwk"));
  const claims = JSON.parse(get("claims")) as LicenseClaims;

  it("are all present", () => {
    expect([...v.keys()].sort()).toEqual(
      [
        "private-key-hex",
        "public-key-hex",
        "public-jwk",
        "kid",
        "claims",
        "header-bytes",
        "claims-bytes",
        "signing-input",
        "signature-hex",
        "license-file",
        "jcs-input",
        "jcs-output-hex",
        "request-file",
      ].sort(),
    );
  });

  it("public key and kid follow from the private key", () => {
    const x = crypto.createPublicKey(key).export({ format: "jwk" }).x as string;
    expect(Buffer.from(x, "base64url").toString("hex")).toBe(get("public-key-hex"));
    expect(jwk.x).toBe(x);
    expect(keyIdOf(x)).toBe(get("kid"));
    expect(jwk.kid).toBe(get("kid"));
  });

  it("canonical header and claims bytes, signing input and signature match byte for byte", () => {
    const header = { alg: "EdDSA" as const, kid: get("kid"), typ: "licensor-license+jws" as const };
    expect(canonicalize(header)).toBe(get("header-bytes"));
    expect(Buffer.from(canonicalize(claims), "utf8").equals(Buffer.from(get("claims-bytes"), "utf8"))).toBe(true);
    const input = signingInput(header, claims);
    expect(input).toBe(get("signing-input"));
    expect(crypto.sign(null, Buffer.from(input, "ascii"), key).toString("hex")).toBe(get("signature-hex"));
  });

  it("the license file is what the encoder writes, and verifies as the doc says", () => {
    const file = encodeLicense(claims, get("kid"), (b) => crypto.sign(null, b, key));
    expect(file).toBe(`${get("license-file")}\n`);
    // The same file from the bare JWS (signing input "." base64url(signature)), as a server keeping only the JWS writes it.
    const jws = `${get("signing-input")}.${Buffer.from(get("signature-hex"), "hex").toString("base64url")}`;
    expect(signClaims(claims, get("kid"), (b) => crypto.sign(null, b, key))).toBe(jws);
    expect(licenseFile(jws)).toBe(file);
    const r = verifyLicense(get("license-file"), {
      publicKeys: { keys: [jwk] },
      now: "2026-06-01T00:00:00Z",
      host: "ETHERNET:001a2b3c4d5e",
    });
    expect(r).toMatchObject({ valid: true, code: "VALID" });
    expect(r.claims).toEqual(claims);
  });

  it("JCS vector", () => {
    const hex = get("jcs-output-hex").replace(/\s+/g, "");
    expect(Buffer.from(canonicalize(JSON.parse(get("jcs-input"))), "utf8").toString("hex")).toBe(hex);
  });

  it("activation request vector", () => {
    const text = writeActivationRequest({
      activationId: "ACT-7F3A-91C2",
      hosts: [{ type: "ETHERNET", id: "00:1A:2B:3C:4D:5E" }],
      nonce: "q3Xr0C1yUe7bWn2LkD5pAg",
      createdAt: new Date("2026-03-01T09:30:00.000Z"),
    });
    expect(text).toBe(`${get("request-file")}\n`);
    expect(readActivationRequest(get("request-file"))).toEqual({
      format: "licensor-activation-request/1",
      activationId: "ACT-7F3A-91C2",
      hosts: [{ type: "ETHERNET", id: "00:1A:2B:3C:4D:5E" }],
      nonce: "q3Xr0C1yUe7bWn2LkD5pAg",
      createdAt: "2026-03-01T09:30:00.000Z",
    });
  });
});
