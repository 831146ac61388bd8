import crypto from "node:crypto";
import type { Jwks, PublicJwk } from "./encoding.js";
import { decodeLicense, HOST_TYPES, type HostId, type HostType, isDay, type LicenseClaims } from "./license.js";

/**
 * Every answer of {@link verifyLicense}, in the order the checks run: the first failing check
 * gives the code, so a license that is both expired and for another host is EXPIRED.
 */
export const VERIFY_CODES = [
  "MALFORMED",
  "UNKNOWN_KEY",
  "BAD_SIGNATURE",
  "NOT_YET_VALID",
  "EXPIRED",
  "WRONG_HOST",
  "WRONG_PRODUCT",
  "FEATURE_MISSING",
  "VALID",
] as const;
export type VerifyCode = (typeof VERIFY_CODES)[number];

export interface VerifyResult {
  valid: boolean;
  code: VerifyCode;
  /** What was found, in words. */
  detail: string;
  /** The signed claims, once the signature is verified (codes NOT_YET_VALID onwards); null before. */
  claims: LicenseClaims | null;
}

export interface VerifyOptions {
  /** The issuer's public keys: its JWKS (object or JSON text) or a list of its keys. Retired keys still verify. */
  publicKeys: Jwks | PublicJwk[] | string;
  /**
   * This machine's host ID: `{type, id}`, `"TYPE:id"` (e.g. `"ETHERNET:00:11:22:33:44:55"`), or a bare
   * id, which matches a license host of any type.
   */
  host: HostId | string;
  /** The time to check against (default: now). */
  now?: Date | number | string;
  /** Allowance for a wrong clock, in seconds, on both start and expiry (default 300). */
  clockSkewSeconds?: number;
  /** The product this application is: its name, or name and version (both must match). */
  product?: string | { name: string; version?: string };
  /** A feature the license must hold: its name, or name and minimum version. */
  feature?: string | { name: string; version?: string };
}

export const DEFAULT_CLOCK_SKEW_SECONDS = 300;

/**
 * Verifies a license file offline: format, key, signature, dates, host, product and feature, in
 * that order (see {@link VERIFY_CODES}). Never throws for a bad license; throws a TypeError only
 * for bad options (a programming error).
 */
export function verifyLicense(fileText: string, options: VerifyOptions): VerifyResult {
  const keys = keyMap(options.publicKeys);
  const host = hostOption(options.host);
  const now = nowOption(options.now);
  const skewMs = skewOption(options.clockSkewSeconds) * 1000;
  const product = nameOption(options.product, "product");
  const feature = nameOption(options.feature, "feature");

  const decoded = decodeLicense(fileText);
  if ("problem" in decoded) return fail("MALFORMED", decoded.problem);
  const { header, claims } = decoded;
  const key = keys.get(header.kid);
  if (!key) return fail("UNKNOWN_KEY", `the license was signed with key ${header.kid}, which is not among the public keys given`);
  if (!crypto.verify(null, decoded.input, key, decoded.signature)) {
    return fail("BAD_SIGNATURE", `the signature does not match the license's content under key ${header.kid}: it was changed`);
  }
  const ok = (code: VerifyCode, detail: string): VerifyResult => ({ valid: code === "VALID", code, detail, claims });

  const startMs = dayMs(claims.start);
  if (now + skewMs < startMs) return ok("NOT_YET_VALID", `the license starts on ${claims.start} 00:00 UTC; it is ${iso(now)}`);
  if (claims.expiry !== null && now - skewMs >= dayMs(claims.expiry)) {
    return ok("EXPIRED", `the license expired on ${claims.expiry} 00:00 UTC; it is ${iso(now)}`);
  }
  if (!claims.hosts.some((h) => hostMatches(h, host))) {
    return ok(
      "WRONG_HOST",
      `the license is for ${claims.hosts.map((h) => `${h.type} ${h.id}`).join(", ")}, not for ${host.type ? `${host.type} ` : ""}${host.id}`,
    );
  }
  if (
    product &&
    (claims.product.name !== product.name || (product.version !== undefined && claims.product.version !== product.version))
  ) {
    return ok(
      "WRONG_PRODUCT",
      `the license is for ${claims.product.name} ${claims.product.version}, not ${product.name}${product.version !== undefined ? ` ${product.version}` : ""}`,
    );
  }
  if (feature) {
    const have = claims.features.filter((f) => f.name === feature.name);
    const fit = have.find((f) => feature.version === undefined || compareVersions(f.version, feature.version) >= 0);
    if (!fit) {
      return ok(
        "FEATURE_MISSING",
        have.length === 0
          ? `the license holds no feature ${feature.name}`
          : `the license holds ${feature.name} ${have.map((f) => f.version).join(", ")}, older than ${feature.version}`,
      );
    }
  }
  return ok(
    "VALID",
    `valid: ${claims.product.name} ${claims.product.version} for ${host.type ? `${host.type} ` : ""}${host.id}, ${claims.expiry === null ? "permanent" : `until ${claims.expiry} 00:00 UTC`}`,
  );
}

function fail(code: VerifyCode, detail: string): VerifyResult {
  return { valid: false, code, detail, claims: null };
}

/** kid → public key; keys that are not Ed25519 JWKs are skipped (a JWKS may hold other kinds). */
function keyMap(given: VerifyOptions["publicKeys"]): Map<string, crypto.KeyObject> {
  let set: unknown = given;
  if (typeof set === "string") {
    try {
      set = JSON.parse(set);
    } catch {
      throw new TypeError("publicKeys: the text is not JSON (expected the JWKS of GET /api/v1/license-keys)");
    }
  }
  const list = Array.isArray(set) ? set : (set as Jwks | undefined)?.keys;
  if (!Array.isArray(list)) throw new TypeError("publicKeys must be a JWKS ({keys: [...]}) or a list of keys");
  const out = new Map<string, crypto.KeyObject>();
  for (const k of list as PublicJwk[]) {
    if (!k || k.kty !== "OKP" || k.crv !== "Ed25519" || typeof k.kid !== "string" || typeof k.x !== "string") continue;
    try {
      out.set(k.kid, crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: k.x }, format: "jwk" }));
    } catch {
      // A key whose x is not a valid point cannot verify anything; its licenses answer UNKNOWN_KEY.
    }
  }
  return out;
}

interface HostQuery {
  type: HostType | null;
  id: string;
}

const TYPED = new RegExp(`^(${HOST_TYPES.join("|")})[:=](.+)$`);

function hostOption(h: VerifyOptions["host"]): HostQuery {
  if (typeof h === "string") {
    if (h.trim() === "") throw new TypeError("host must not be empty");
    const m = TYPED.exec(h);
    return m ? { type: m[1] as HostType, id: m[2] as string } : { type: null, id: h };
  }
  if (!h || typeof h.id !== "string" || h.id === "" || !(HOST_TYPES as readonly string[]).includes(h.type)) {
    throw new TypeError(`host must be {type, id} with type one of ${HOST_TYPES.join(", ")}, or a string`);
  }
  return { type: h.type, id: h.id };
}

/**
 * Host IDs compare after normalization by type: ETHERNET ignores case and the separators `:`, `-`
 * and `.`; VM_UUID ignores case, braces and hyphens; CONTAINER_ID ignores case; the other types
 * compare exactly.
 */
export function normalizeHostId(type: string, id: string): string {
  const t = id.trim();
  if (type === "ETHERNET") return t.replace(/[:.-]/g, "").toLowerCase();
  if (type === "VM_UUID") return t.replace(/[{}-]/g, "").toLowerCase();
  if (type === "CONTAINER_ID") return t.toLowerCase();
  return t;
}

function hostMatches(licensed: { type: string; id: string }, q: HostQuery): boolean {
  if (q.type !== null && licensed.type !== q.type) return false;
  return normalizeHostId(licensed.type, licensed.id) === normalizeHostId(licensed.type, q.id);
}

function nowOption(n: VerifyOptions["now"]): number {
  const ms = n === undefined ? Date.now() : n instanceof Date ? n.getTime() : typeof n === "number" ? n : Date.parse(n);
  if (!Number.isFinite(ms)) throw new TypeError("now must be a Date, a time in milliseconds or an ISO timestamp");
  return ms;
}

function skewOption(s: number | undefined): number {
  if (s === undefined) return DEFAULT_CLOCK_SKEW_SECONDS;
  if (!Number.isFinite(s) || s < 0) throw new TypeError("clockSkewSeconds must be a number ≥ 0");
  return s;
}

function nameOption(v: string | { name: string; version?: string } | undefined, what: string) {
  if (v === undefined) return null;
  const o = typeof v === "string" ? { name: v } : v;
  if (!o || typeof o.name !== "string" || o.name === "") throw new TypeError(`${what} must be a name or {name, version}`);
  if (o.version !== undefined && typeof o.version !== "string") throw new TypeError(`${what}.version must be a string`);
  return o as { name: string; version?: string };
}

function dayMs(day: string): number {
  if (!isDay(day)) return Number.NaN;
  return Date.parse(`${day}T00:00:00Z`);
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Dotted versions compared segment by segment: numerically where both segments are digits, else
 * as text; a missing segment counts as 0 ("2" = "2.0" < "2.1").
 */
export function compareVersions(a: string, b: string): number {
  const x = a.split(".");
  const y = b.split(".");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i] ?? "0";
    const q = y[i] ?? "0";
    const c = /^\d+$/.test(p) && /^\d+$/.test(q) ? Number(p) - Number(q) : p < q ? -1 : p > q ? 1 : 0;
    if (c !== 0) return Math.sign(c);
  }
  return 0;
}
