import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ActivationRequestError,
  canonicalize,
  compareVersions,
  encodeLicense,
  type Jwks,
  keyIdOf,
  LICENSE_BEGIN,
  LICENSE_END,
  type LicenseClaims,
  licenseFile,
  publicX,
  readActivationRequest,
  signClaims,
  VERIFY_CODES,
  verifyLicense,
  writeActivationRequest,
} from "../src/index.js";

function newKey(status: "active" | "retired" = "active") {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ed25519");
  const x = publicX(publicKey);
  const kid = keyIdOf(x);
  return {
    kid,
    sign: (claims: LicenseClaims) => encodeLicense(claims, kid, (b) => crypto.sign(null, b, privateKey)),
    jwk: { kty: "OKP" as const, crv: "Ed25519" as const, alg: "EdDSA" as const, use: "sig" as const, kid, x, status },
  };
}

const claims = (over: Partial<LicenseClaims> = {}): LicenseClaims => ({
  format: "licensor-license/1",
  issuer: "Acme",
  issuedAt: "2026-01-01T00:00:00.000Z",
  fulfillmentId: "FID_1",
  activationId: "ACT-1",
  entitlementId: "ENT-1",
  product: { name: "Designer", version: "2.0" },
  features: [
    { name: "design", version: "2.0", count: null },
    { name: "render", version: "2.1.3", count: 4 },
  ],
  hosts: [
    { type: "ETHERNET", id: "00:1A:2B:3C:4D:5E" },
    { type: "VM_UUID", id: "{4C4C4544-0042-3510-8052-B4C04F4B4E31}" },
  ],
  count: 1,
  start: "2026-01-01",
  expiry: "2027-01-01",
  versionDate: null,
  licenseModel: { name: "NL", type: "NODE_LOCKED_UNCOUNTED" },
  attributes: {},
  ...over,
});

const NOW = "2026-06-01T12:00:00Z";
const key = newKey();
const jwks: Jwks = { keys: [key.jwk] };
const verify = (file: string, opts: Partial<Parameters<typeof verifyLicense>[1]> = {}) =>
  verifyLicense(file, { publicKeys: jwks, host: "ETHERNET:001a2b3c4d5e", now: NOW, ...opts });

/** The three base64url parts of a license's block, and a function putting changed parts back. */
function parts(file: string) {
  const start = file.indexOf(LICENSE_BEGIN) + LICENSE_BEGIN.length;
  const end = file.indexOf(LICENSE_END);
  const [h, p, s] = file.slice(start, end).replace(/\s+/g, "").split(".") as [string, string, string];
  const rebuild = (nh: string, np: string, ns: string) => `${file.slice(0, start)}\n${nh}.${np}.${ns}\n${file.slice(end)}`;
  return { h, p, s, rebuild };
}
const dec = (t: string) => Buffer.from(t, "base64url");
const enc = (b: Buffer | string) => Buffer.from(b).toString("base64url");

describe("verifyLicense", () => {
  it("round trip: a signed license verifies, with its claims", () => {
    const c = claims();
    const r = verify(key.sign(c));
    expect(r).toEqual({ valid: true, code: "VALID", detail: expect.stringContaining("valid"), claims: c });
  });

  it("VALID for every spelling of a licensed host: typed, bare, other case and separators", () => {
    const file = key.sign(claims());
    for (const host of [
      { type: "ETHERNET" as const, id: "00-1a-2b-3c-4d-5e" },
      "00:1A:2B:3C:4D:5E",
      "001A.2B3C.4D5E",
      "ETHERNET=00:1a:2b:3c:4d:5e",
      "VM_UUID:4c4c4544-0042-3510-8052-b4c04f4b4e31",
      "4c4c454400423510 8052b4c04f4b4e31".replace(" ", ""), // a bare UUID without hyphens or braces
    ]) {
      expect(verify(file, { host }).code, JSON.stringify(host)).toBe("VALID");
    }
  });

  it("tampering with one byte of the claims gives BAD_SIGNATURE", () => {
    const file = key.sign(claims());
    const { h, p, s, rebuild } = parts(file);
    const json = dec(p);
    const i = json.indexOf("3C");
    json[i] = "4".charCodeAt(0); // the licensed host becomes 00:1A:2B:4C:4D:5E
    const r = verify(rebuild(h, enc(json), s), { host: "00:1A:2B:4C:4D:5E" });
    expect(r).toMatchObject({ valid: false, code: "BAD_SIGNATURE", claims: null });
    // Also when the change is made on the base64url text itself and still decodes to a JSON object.
    const flipped = `${p.slice(0, 40)}${p[40] === "A" ? "B" : "A"}${p.slice(41)}`;
    expect(["BAD_SIGNATURE", "MALFORMED"]).toContain(verify(rebuild(h, flipped, s)).code);
  });

  it("tampering with one byte of the signature gives BAD_SIGNATURE", () => {
    const { h, p, s, rebuild } = parts(key.sign(claims()));
    for (const at of [0, 31, 63]) {
      const sig = dec(s);
      sig[at] = (sig[at] as number) ^ 0x01;
      expect(verify(rebuild(h, p, enc(sig))).code).toBe("BAD_SIGNATURE");
    }
  });

  it("tampering with the key ID gives UNKNOWN_KEY, or BAD_SIGNATURE when it names another known key", () => {
    const { h, p, s, rebuild } = parts(key.sign(claims()));
    const header = JSON.parse(dec(h).toString());
    const changed = `${header.kid.slice(0, 5)}${header.kid[5] === "x" ? "y" : "x"}${header.kid.slice(6)}`;
    const r = verify(rebuild(enc(canonicalize({ ...header, kid: changed })), p, s));
    expect(r).toMatchObject({ code: "UNKNOWN_KEY", claims: null });
    expect(r.detail).toContain(changed);
    const other = newKey();
    const swapped = rebuild(enc(canonicalize({ ...header, kid: other.kid })), p, s);
    expect(verify(swapped, { publicKeys: [key.jwk, other.jwk] }).code).toBe("BAD_SIGNATURE");
  });

  it("MALFORMED for anything that is not a license of this format", () => {
    const file = key.sign(claims());
    const { h, p, s, rebuild } = parts(file);
    const header = JSON.parse(dec(h).toString());
    const body = JSON.parse(dec(p).toString());
    const cases: [string, string][] = [
      ["empty", ""],
      ["no block", "Product: Designer 2.0\n"],
      ["no END", file.slice(0, file.indexOf(LICENSE_END))],
      ["two blocks", `${file}\n${file}`],
      ["two parts", rebuild(h, p, "").replace(/\.\n/, "\n")],
      ["not base64url", rebuild(h, `${p.slice(0, 10)}*${p.slice(11)}`, s)],
      ["padded base64", rebuild(`${h}=`, p, s)],
      ["header not JSON", rebuild(enc("{nope"), p, s)],
      ["alg none", rebuild(enc(canonicalize({ ...header, alg: "none" })), p, s)],
      ["alg RS256", rebuild(enc(canonicalize({ ...header, alg: "RS256" })), p, s)],
      ["other typ", rebuild(enc(canonicalize({ ...header, typ: "JWT" })), p, s)],
      ["crit", rebuild(enc(canonicalize({ ...header, crit: ["exp"] })), p, s)],
      ["claims an array", rebuild(h, enc("[]"), s)],
      ["other format", rebuild(h, enc(canonicalize({ ...body, format: "licensor-license/2" })), s)],
      ["no hosts", rebuild(h, enc(canonicalize({ ...body, hosts: [] })), s)],
      ["bad start", rebuild(h, enc(canonicalize({ ...body, start: "2026-02-30" })), s)],
      ["expiry before start", rebuild(h, enc(canonicalize({ ...body, expiry: "2025-01-01" })), s)],
      ["count 0", rebuild(h, enc(canonicalize({ ...body, count: 0 })), s)],
      ["short signature", rebuild(h, p, enc(dec(s).subarray(0, 63)))],
      ["invalid UTF-8", rebuild(h, enc(Buffer.from([0x7b, 0xff, 0x7d])), s)],
    ];
    for (const [name, text] of cases) {
      const r = verify(text);
      expect(r.code, `${name}: ${r.detail}`).toBe("MALFORMED");
      expect(r.valid).toBe(false);
      expect(r.claims).toBeNull();
    }
    // The human-readable part is not read: changing it changes nothing.
    expect(verify(file.replace("Designer 2.0", "Designer 9.0")).code).toBe("VALID");
    expect(verify(file.slice(file.indexOf(LICENSE_BEGIN))).code).toBe("VALID");
    expect(verify(file.replace(/\n/g, "\r\n")).code).toBe("VALID");
  });

  it("NOT_YET_VALID before start, EXPIRED from expiry, with the clock-skew allowance on both ends", () => {
    const file = key.sign(claims({ start: "2026-03-01", expiry: "2026-04-01" }));
    expect(verify(file, { now: "2026-02-28T23:00:00Z" }).code).toBe("NOT_YET_VALID");
    expect(verify(file, { now: "2026-02-28T23:56:00Z" }).code).toBe("VALID"); // within the default 300 s
    expect(verify(file, { now: "2026-02-28T23:56:00Z", clockSkewSeconds: 0 }).code).toBe("NOT_YET_VALID");
    expect(verify(file, { now: "2026-03-31T23:59:59Z", clockSkewSeconds: 0 }).code).toBe("VALID");
    expect(verify(file, { now: "2026-04-01T00:00:00Z", clockSkewSeconds: 0 }).code).toBe("EXPIRED");
    expect(verify(file, { now: "2026-04-01T00:04:59Z" }).code).toBe("VALID");
    const expired = verify(file, { now: "2026-04-01T00:05:00Z" });
    expect(expired).toMatchObject({ valid: false, code: "EXPIRED" });
    expect(expired.detail).toContain("2026-04-01");
    // Claims are given once the signature holds, so an application can say which license expired.
    expect(expired.claims?.fulfillmentId).toBe("FID_1");
    expect(verify(key.sign(claims({ expiry: null })), { now: "2100-01-01T00:00:00Z" }).code).toBe("VALID");
  });

  it("WRONG_HOST for another host or another type of the same id", () => {
    const file = key.sign(claims());
    const r = verify(file, { host: "00:1A:2B:3C:4D:5F" });
    expect(r).toMatchObject({ valid: false, code: "WRONG_HOST" });
    expect(r.detail).toContain("ETHERNET 00:1A:2B:3C:4D:5E");
    expect(verify(file, { host: { type: "STRING", id: "00:1A:2B:3C:4D:5E" } }).code).toBe("WRONG_HOST");
    expect(verify(key.sign(claims({ hosts: [{ type: "USER", id: "Alice" }] })), { host: "alice" }).code).toBe("WRONG_HOST");
  });

  it("WRONG_PRODUCT when the name or the asked version differs", () => {
    const file = key.sign(claims());
    expect(verify(file, { product: "Designer" }).code).toBe("VALID");
    expect(verify(file, { product: { name: "Designer", version: "2.0" } }).code).toBe("VALID");
    expect(verify(file, { product: "Viewer" }).code).toBe("WRONG_PRODUCT");
    expect(verify(file, { product: { name: "Designer", version: "3.0" } }).code).toBe("WRONG_PRODUCT");
  });

  it("FEATURE_MISSING when no feature of that name has the asked version", () => {
    const file = key.sign(claims());
    expect(verify(file, { feature: "render" }).code).toBe("VALID");
    expect(verify(file, { feature: { name: "render", version: "2.1" } }).code).toBe("VALID");
    expect(verify(file, { feature: { name: "render", version: "2.1.3" } }).code).toBe("VALID");
    expect(verify(file, { feature: { name: "render", version: "2.10" } }).code).toBe("FEATURE_MISSING");
    const r = verify(file, { feature: "export" });
    expect(r).toMatchObject({ valid: false, code: "FEATURE_MISSING" });
    expect(r.detail).toContain("export");
  });

  it("checks in the documented order: the first failing check gives the code", () => {
    expect(VERIFY_CODES).toEqual([
      "MALFORMED",
      "UNKNOWN_KEY",
      "BAD_SIGNATURE",
      "NOT_YET_VALID",
      "EXPIRED",
      "WRONG_HOST",
      "WRONG_PRODUCT",
      "FEATURE_MISSING",
      "VALID",
    ]);
    const file = key.sign(claims({ expiry: "2026-02-01" }));
    const all = { host: "elsewhere", product: "Viewer", feature: "export" };
    expect(verify(file, { ...all, now: "2025-01-01T00:00:00Z" }).code).toBe("NOT_YET_VALID");
    expect(verify(file, all).code).toBe("EXPIRED");
    expect(verify(file, { ...all, now: "2026-01-15T00:00:00Z" }).code).toBe("WRONG_HOST");
    expect(verify(file, { ...all, host: "001a2b3c4d5e", now: "2026-01-15T00:00:00Z" }).code).toBe("WRONG_PRODUCT");
    expect(verify(file, { ...all, host: "001a2b3c4d5e", product: "Designer", now: "2026-01-15T00:00:00Z" }).code).toBe(
      "FEATURE_MISSING",
    );
    expect(verify(file, { ...all, publicKeys: [] }).code).toBe("UNKNOWN_KEY");
  });

  it("rotation: a license of a retired key still verifies; new ones name the new key", () => {
    const old = newKey("retired");
    const current = newKey("active");
    const set = JSON.stringify({ keys: [current.jwk, old.jwk] });
    const before = old.sign(claims());
    const after = current.sign(claims());
    expect(verifyLicense(before, { publicKeys: set, host: "001a2b3c4d5e", now: NOW }).code).toBe("VALID");
    expect(verifyLicense(after, { publicKeys: set, host: "001a2b3c4d5e", now: NOW }).code).toBe("VALID");
    expect(after).toContain(current.kid);
    expect(after).not.toContain(old.kid);
    expect(parts(after).h).not.toBe(parts(before).h);
    // Without the retired key, its licenses are unknown, not bad.
    expect(verifyLicense(before, { publicKeys: [current.jwk], host: "001a2b3c4d5e", now: NOW }).code).toBe("UNKNOWN_KEY");
  });

  it("refuses bad options with a TypeError (a programming error, not a license problem)", () => {
    const file = key.sign(claims());
    expect(() => verifyLicense(file, { publicKeys: "not json", host: "x" })).toThrow(/publicKeys/);
    expect(() => verifyLicense(file, { publicKeys: {} as Jwks, host: "x" })).toThrow(/publicKeys/);
    expect(() => verifyLicense(file, { publicKeys: jwks, host: "" })).toThrow(/host/);
    expect(() => verifyLicense(file, { publicKeys: jwks, host: { type: "MAC" as "STRING", id: "x" } })).toThrow(/host/);
    expect(() => verifyLicense(file, { publicKeys: jwks, host: "x", now: "yesterday" })).toThrow(/now/);
    expect(() => verifyLicense(file, { publicKeys: jwks, host: "x", clockSkewSeconds: -1 })).toThrow(/clockSkew/);
  });

  it("licenseFile writes the file of a bare JWS, and refuses what is not one", () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ed25519");
    const kid = keyIdOf(publicX(publicKey));
    const jws = signClaims(claims(), kid, (b) => crypto.sign(null, b, privateKey));
    expect(jws.split(".")).toHaveLength(3);
    const file = licenseFile(jws);
    expect(file).toBe(encodeLicense(claims(), kid, (b) => crypto.sign(null, b, privateKey)));
    expect(
      verifyLicense(file, {
        publicKeys: [{ kty: "OKP", crv: "Ed25519", kid, x: publicX(publicKey) }],
        host: "001a2b3c4d5e",
        now: NOW,
      }).code,
    ).toBe("VALID");
    expect(() => licenseFile("a.b.c")).toThrow(/not a signed license/);
  });

  it("the encoder refuses claims that are not the format's", () => {
    expect(() => key.sign(claims({ hosts: [] }))).toThrow(/hosts/);
    expect(() => key.sign({ ...claims(), count: 1.5 })).toThrow(/count/);
  });

  it("compares dotted versions numerically", () => {
    expect(compareVersions("2.10", "2.9")).toBe(1);
    expect(compareVersions("2", "2.0")).toBe(0);
    expect(compareVersions("1.0", "1.0.1")).toBe(-1);
  });
});

describe("canonicalize", () => {
  it("sorts members by UTF-16 code units and writes numbers as ECMAScript does", () => {
    expect(canonicalize({ b: 1, a: [true, null, -0, 1e21], "\u00e9": "x", Z: { y: 1, x: 2 } })).toBe(
      '{"Z":{"x":2,"y":1},"a":[true,null,0,1e+21],"b":1,"é":"x"}',
    );
  });
  it("refuses what JSON cannot hold", () => {
    expect(() => canonicalize({ a: Number.NaN })).toThrow(/\$\.a/);
    expect(() => canonicalize({ a: undefined })).toThrow(/\$\.a/);
    expect(() => canonicalize({ a: "\ud800" })).toThrow(/surrogate/);
    expect(() => canonicalize({ a: new Date(0) })).toThrow(/Date/);
  });
});

describe("activation requests", () => {
  it("round trip, with a fresh random nonce each time", () => {
    const hosts = [
      { type: "ETHERNET" as const, id: "00:1A:2B:3C:4D:5E" },
      { type: "STRING" as const, id: "build-box" },
    ];
    const a = writeActivationRequest({ activationId: "ACT-1", hosts });
    const b = writeActivationRequest({ activationId: "ACT-1", hosts });
    const ra = readActivationRequest(a);
    expect(ra).toMatchObject({ format: "licensor-activation-request/1", activationId: "ACT-1", hosts });
    expect(ra.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(ra.nonce).not.toBe(readActivationRequest(b).nonce);
    expect(Date.parse(ra.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(a).toContain("Activation ID: ACT-1");
  });

  it("refuses a bad request in words, naming the member", () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ActivationRequestError);
        return (e as ActivationRequestError).field;
      }
      return null;
    };
    const ok = { activationId: "A", hosts: [{ type: "STRING" as const, id: "h" }] };
    expect(field(() => writeActivationRequest({ ...ok, activationId: "" }))).toBe("activationId");
    expect(field(() => writeActivationRequest({ ...ok, hosts: [] }))).toBe("hosts");
    expect(field(() => writeActivationRequest({ ...ok, hosts: [{ type: "MAC" as "STRING", id: "h" }] }))).toBe("hosts[0].type");
    expect(field(() => writeActivationRequest({ ...ok, hosts: [{ type: "STRING", id: "a\nb" }] }))).toBe("hosts[0].id");
    expect(field(() => writeActivationRequest({ ...ok, nonce: "short" }))).toBe("nonce");
    expect(field(() => readActivationRequest("hello"))).toBe("file");
    const wrapIt = (o: unknown) =>
      `-----BEGIN LICENSOR ACTIVATION REQUEST-----\n${Buffer.from(JSON.stringify(o)).toString("base64url")}\n-----END LICENSOR ACTIVATION REQUEST-----\n`;
    expect(field(() => readActivationRequest(wrapIt([1])))).toBe("file");
    expect(field(() => readActivationRequest(wrapIt({ format: "x" })))).toBe("format");
    const good = readActivationRequest(writeActivationRequest(ok));
    expect(field(() => readActivationRequest(wrapIt({ ...good, createdAt: "soon" })))).toBe("createdAt");
    expect(readActivationRequest(wrapIt({ ...good, extra: 1 }))).toEqual(good);
  });
});
