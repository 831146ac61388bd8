import { canonicalize, canonicalString as str } from "./canonical.js";
import { b64url, fromB64url, utf8 } from "./encoding.js";

/** Host ID types (FNO's): what a host ID in a license or activation request names. */
export const HOST_TYPES = ["STRING", "ETHERNET", "VM_UUID", "CONTAINER_ID", "USER", "PUBLISHER_DEFINED"] as const;
export type HostType = (typeof HOST_TYPES)[number];

export interface HostId {
  type: HostType;
  id: string;
}

export interface LicenseFeature {
  name: string;
  version: string;
  /** Copies of the feature; null = uncounted. */
  count: number | null;
}

/** The signed claims of a license, format `licensor-license/1` (docs/LICENSE-FORMAT.md). */
export interface LicenseClaims {
  format: typeof LICENSE_FORMAT;
  /** Who issued the license: the producer's name. */
  issuer: string;
  /** When it was signed, RFC 3339 UTC (`…Z`). */
  issuedAt: string;
  fulfillmentId: string;
  activationId: string;
  entitlementId: string;
  product: { name: string; version: string };
  features: LicenseFeature[];
  /** The hosts the license is bound to: one or more node-locked hosts, or 1 or 3 license servers. */
  hosts: HostId[];
  /** Copies granted by this license (≥ 1). */
  count: number;
  /** First day of validity, YYYY-MM-DD: valid from 00:00 UTC of that day. */
  start: string;
  /** First day it no longer works, YYYY-MM-DD (it ends at 00:00 UTC of that day); null = permanent. */
  expiry: string | null;
  /** Version date, YYYY-MM-DD, or null when the license model sets none. */
  versionDate: string | null;
  licenseModel: { name: string; type: string };
  /** Fulfillment-time license model attributes, by name. */
  attributes: Record<string, string | number | boolean>;
}

export const LICENSE_FORMAT = "licensor-license/1";
export const LICENSE_TYP = "licensor-license+jws";
export const LICENSE_BEGIN = "-----BEGIN LICENSOR LICENSE-----";
export const LICENSE_END = "-----END LICENSOR LICENSE-----";

/** The JWS protected header of a license. */
export interface LicenseHeader {
  alg: "EdDSA";
  kid: string;
  typ: typeof LICENSE_TYP;
}

/** `base64url(JCS(header)) "." base64url(JCS(claims))`: the ASCII bytes Ed25519 signs (RFC 7515 §5.1). */
export function signingInput(header: LicenseHeader, claims: LicenseClaims): string {
  return `${b64url(canonicalize(header))}.${b64url(canonicalize(claims))}`;
}

/**
 * The JCS text of claims that passed `claimsProblem`, written member by member in their sorted
 * order: the same bytes as `canonicalize(claims)` (a test compares them) in a fraction of the time,
 * because a license server signs one per activation and the sort and per-member dispatch were
 * most of the format's cost. Claims with members this version does not know go through `canonicalize`.
 */
function canonicalClaims(c: LicenseClaims): string {
  if (!exactShape(c)) return canonicalize(c);
  let features = "";
  for (let i = 0; i < c.features.length; i++) {
    const f = c.features[i] as LicenseFeature;
    features += `${i ? "," : ""}{"count":${f.count === null ? "null" : String(f.count)},"name":${str(f.name)},"version":${str(f.version)}}`;
  }
  let hosts = "";
  for (let i = 0; i < c.hosts.length; i++) {
    const h = c.hosts[i] as HostId;
    hosts += `${i ? "," : ""}{"id":${str(h.id)},"type":${str(h.type)}}`;
  }
  return (
    `{"activationId":${str(c.activationId)},"attributes":${canonicalize(c.attributes)},"count":${String(c.count)},` +
    `"entitlementId":${str(c.entitlementId)},"expiry":${c.expiry === null ? "null" : str(c.expiry)},` +
    `"features":[${features}],"format":${str(c.format)},"fulfillmentId":${str(c.fulfillmentId)},` +
    `"hosts":[${hosts}],"issuedAt":${str(c.issuedAt)},"issuer":${str(c.issuer)},` +
    `"licenseModel":{"name":${str(c.licenseModel.name)},"type":${str(c.licenseModel.type)}},` +
    `"product":{"name":${str(c.product.name)},"version":${str(c.product.version)}},` +
    `"start":${str(c.start)},"versionDate":${c.versionDate === null ? "null" : str(c.versionDate)}}`
  );
}

/**
 * Whether claims that passed `claimsProblem` hold no member beyond this version's. `claimsProblem`
 * has seen every member it requires, of its type (whole numbers, strings, null), so counting the
 * members of each object proves there is no other.
 */
function exactShape(c: LicenseClaims): boolean {
  const size = (o: object) => Object.keys(o).length;
  if (size(c) !== 15 || size(c.product) !== 2 || size(c.licenseModel) !== 2) return false;
  for (const f of c.features) if (size(f) !== 3) return false;
  for (const h of c.hosts) if (size(h) !== 2) return false;
  return true;
}

/** One header per key: its base64url text, kept for the last key used (a server signs with one key at a time). */
let lastHeader: { kid: string; text: string } | null = null;
function encodedHeader(kid: string): string {
  if (lastHeader?.kid !== kid) lastHeader = { kid, text: b64url(canonicalize({ alg: "EdDSA", kid, typ: LICENSE_TYP })) };
  return lastHeader.text;
}

/**
 * Signs claims: the JWS compact serialization `signingInput "." base64url(signature)`, where `sign`
 * is Ed25519 over the signing input's bytes, done by whoever holds the private key. This is the
 * whole signed artifact; {@link licenseFile} turns it into the file people and verifiers get.
 */
export function signClaims(claims: LicenseClaims, kid: string, sign: (input: Uint8Array) => Uint8Array): string {
  const problem = claimsProblem(claims);
  if (problem) throw new TypeError(`license claims: ${problem}`);
  const input = `${encodedHeader(kid)}.${b64url(canonicalClaims(claims))}`;
  return `${input}.${b64url(sign(Buffer.from(input, "ascii")))}`;
}

/**
 * The license file of a signed JWS: the human-readable part (from the claims it carries), then the
 * JWS between BEGIN and END lines, wrapped at 64 columns. A server may keep only the JWS and write
 * the file when it is downloaded or mailed.
 */
export function licenseFile(jws: string): string {
  const decoded = decodeLicense(`${LICENSE_BEGIN}\n${jws}\n${LICENSE_END}`);
  if ("problem" in decoded) throw new TypeError(`not a signed license: ${decoded.problem}`);
  return armorLicense(decoded.claims, decoded.header.kid, jws);
}

/** Signs claims straight into a license file: {@link signClaims}, then the file around it. */
export function encodeLicense(claims: LicenseClaims, kid: string, sign: (input: Uint8Array) => Uint8Array): string {
  return armorLicense(claims, kid, signClaims(claims, kid, sign));
}

function armorLicense(claims: LicenseClaims, kid: string, jws: string): string {
  return `${licenseText(claims, kid)}\n${LICENSE_BEGIN}\n${wrap(jws, 64)}\n${LICENSE_END}\n`;
}

/** The human-readable part of a license file: not signed, for people only. */
export function licenseText(c: LicenseClaims, kid: string): string {
  // Written line by line rather than through arrays of rows: a server writes one per activation.
  const attributeNames = Object.keys(c.attributes).sort();
  let width = LONGEST_LABEL;
  for (const k of attributeNames) width = Math.max(width, 10 + k.length);
  width += 2;
  const line = (label: string, value: string) => `${`${label}:`.padEnd(width)}${printable(value)}\n`;
  let features = "none";
  if (c.features.length) {
    features = "";
    for (let i = 0; i < c.features.length; i++) {
      const f = c.features[i] as LicenseFeature;
      features += `${i ? ", " : ""}${f.name} ${f.version} (${f.count === null ? "uncounted" : `count ${f.count}`})`;
    }
  }
  let hosts = "";
  for (let i = 0; i < c.hosts.length; i++) hosts += `${i ? ", " : ""}${(c.hosts[i] as HostId).type} ${(c.hosts[i] as HostId).id}`;
  let text =
    `Licensor license: ${printable(c.product.name)} ${printable(c.product.version)}\n` +
    "Only the block between the BEGIN and END lines is signed and read by verifiers; this text is for people.\n\n" +
    line("Product", `${c.product.name} ${c.product.version}`) +
    line("Features", features) +
    line("Hosts", hosts) +
    line("Count", String(c.count)) +
    line("Starts", `${c.start} 00:00 UTC`) +
    line("Expires", c.expiry === null ? "never (permanent)" : `${c.expiry} 00:00 UTC`) +
    line("Version date", c.versionDate ?? "none") +
    line("License model", `${c.licenseModel.name} (${c.licenseModel.type})`);
  for (const k of attributeNames) text += line(`Attribute ${k}`, String(c.attributes[k]));
  return (
    text +
    line("Entitlement ID", c.entitlementId) +
    line("Activation ID", c.activationId) +
    line("Fulfillment ID", c.fulfillmentId) +
    line("Issuer", c.issuer) +
    line("Issued at", c.issuedAt) +
    line("Signing key", kid)
  );
}
/** The longest fixed label ("Entitlement ID", "Fulfillment ID"). */
const LONGEST_LABEL = 14;

const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** A value on one line: control and line-separator characters escaped, so no value can forge a line. */
export function printable(v: string): string {
  if (!UNPRINTABLE.test(v)) return v;
  return v.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export function wrap(text: string, width: number): string {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
  return lines.join("\n");
}

/** The one block between `begin` and `end` lines, whitespace removed; or a reason it cannot be found. */
export function armored(text: string, begin: string, end: string, what: string): { body: string } | { problem: string } {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const b = lines.flatMap((l, i) => (l === begin ? [i] : []));
  const e = lines.flatMap((l, i) => (l === end ? [i] : []));
  if (b.length === 0) return { problem: `no "${begin}" line: this is not a ${what}` };
  if (b.length > 1 || e.length > 1) return { problem: `more than one ${what} block` };
  if (e.length === 0 || (e[0] as number) < (b[0] as number)) return { problem: `no "${end}" line after the BEGIN line` };
  return { body: lines.slice((b[0] as number) + 1, e[0]).join("") };
}

export interface DecodedLicense {
  header: LicenseHeader;
  claims: LicenseClaims;
  /** The bytes the signature covers. */
  input: Buffer;
  signature: Buffer;
}

/** Reads a license file's block without verifying it: its header, claims and signature, or why it cannot be read. */
export function decodeLicense(text: string): DecodedLicense | { problem: string } {
  if (typeof text !== "string") return { problem: "the license must be text" };
  const block = armored(text, LICENSE_BEGIN, LICENSE_END, "Licensor license");
  if ("problem" in block) return block;
  const parts = block.body.split(".");
  if (parts.length !== 3) return { problem: "the signed block must be three base64url parts separated by dots (JWS compact)" };
  const [h, p, s] = parts as [string, string, string];
  const headerBytes = fromB64url(h);
  const payloadBytes = fromB64url(p);
  const signature = fromB64url(s);
  if (!headerBytes) return { problem: "the header part is not base64url" };
  if (!payloadBytes) return { problem: "the claims part is not base64url" };
  if (!signature) return { problem: "the signature part is not base64url" };
  const header = parseJson(headerBytes);
  if (!isObject(header)) return { problem: "the header is not a JSON object" };
  if (header.alg !== "EdDSA") return { problem: `header.alg must be "EdDSA" (got ${JSON.stringify(header.alg)})` };
  if (header.typ !== LICENSE_TYP) return { problem: `header.typ must be "${LICENSE_TYP}" (got ${JSON.stringify(header.typ)})` };
  if (typeof header.kid !== "string" || header.kid === "") return { problem: "header.kid must be a non-empty string" };
  if (Object.keys(header).some((k) => k === "crit")) return { problem: "header.crit is not supported" };
  const claims = parseJson(payloadBytes);
  if (!isObject(claims)) return { problem: "the claims are not a JSON object" };
  const problem = claimsProblem(claims);
  if (problem) return { problem: `claims.${problem}` };
  if (signature.length !== 64) return { problem: `the signature must be 64 bytes (got ${signature.length})` };
  return {
    header: header as unknown as LicenseHeader,
    claims: claims as unknown as LicenseClaims,
    input: Buffer.from(`${h}.${p}`, "ascii"),
    signature,
  };
}

function parseJson(bytes: Uint8Array): unknown {
  const text = utf8(bytes);
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/**
 * A real calendar day YYYY-MM-DD (no 2026-02-30), years 0100–9999 (what `Date` reads back as
 * written). Counted by hand: it runs for three members of every license signed or verified.
 */
export function isDay(v: unknown): v is string {
  const m = typeof v === "string" ? DAY.exec(v) : null;
  if (!m) return false;
  const y = Number(m[1]);
  const month = Number(m[2]);
  const d = Number(m[3]);
  if (y < 100 || month < 1 || month > 12 || d < 1) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31);
}

const text = (v: unknown) => typeof v === "string" && v.length > 0;
const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 1;

/**
 * The first way `c` is not `licensor-license/1` claims, as `member: what is wrong`, or null.
 * Members this version does not know are allowed (a later version may add some) and ignored.
 */
export function claimsProblem(c: Record<string, unknown> | LicenseClaims): string | null {
  const o = c as Record<string, unknown>;
  if (o.format !== LICENSE_FORMAT) return `format must be "${LICENSE_FORMAT}" (got ${JSON.stringify(o.format)})`;
  for (const k of ["issuer", "fulfillmentId", "activationId", "entitlementId"]) {
    if (!text(o[k])) return `${k} must be a non-empty string`;
  }
  if (typeof o.issuedAt !== "string" || !INSTANT.test(o.issuedAt) || Number.isNaN(Date.parse(o.issuedAt)))
    return "issuedAt must be an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SSZ)";
  const p = o.product;
  if (!isObject(p) || !text(p.name) || typeof p.version !== "string")
    return "product must be an object with a name and a version";
  if (!Array.isArray(o.features)) return "features must be an array";
  for (const [i, f] of o.features.entries()) {
    if (!isObject(f) || !text(f.name) || typeof f.version !== "string")
      return `features[${i}] must be an object with a name and a version`;
    if (f.count !== null && !count(f.count)) return `features[${i}].count must be a whole number ≥ 1, or null (uncounted)`;
  }
  if (!Array.isArray(o.hosts) || o.hosts.length === 0) return "hosts must be a non-empty array";
  for (const [i, h] of o.hosts.entries()) {
    if (!isObject(h) || !text(h.type) || !text(h.id)) return `hosts[${i}] must be an object with a type and an id`;
  }
  if (!count(o.count)) return "count must be a whole number ≥ 1";
  if (!isDay(o.start)) return "start must be a date YYYY-MM-DD";
  if (o.expiry !== null && !isDay(o.expiry)) return "expiry must be a date YYYY-MM-DD, or null (permanent)";
  if (o.expiry !== null && (o.expiry as string) <= (o.start as string)) return "expiry must come after start";
  if (o.versionDate !== null && !isDay(o.versionDate)) return "versionDate must be a date YYYY-MM-DD, or null";
  const lm = o.licenseModel;
  if (!isObject(lm) || !text(lm.name) || !text(lm.type)) return "licenseModel must be an object with a name and a type";
  if (!isObject(o.attributes)) return "attributes must be an object";
  for (const [k, v] of Object.entries(o.attributes)) {
    if (!["string", "number", "boolean"].includes(typeof v) || (typeof v === "number" && !Number.isFinite(v)))
      return `attributes.${k} must be a string, a number or a boolean`;
  }
  return null;
}
