import crypto from "node:crypto";

/**
 * Web register key format (PRODUCT.md §3): CSPRNG symbols from Crockford's base32 alphabet
 * (no I, L, O, U — nothing to misread), grouped for reading aloud, ending in one check symbol.
 *
 * The check symbol is a Damm check over the quasigroup x∘y = α·x + y in GF(32) (α a generator of
 * GF(2⁵) with x⁵ + x² + 1). Because α ≠ 0, 1 the quasigroup is totally anti-symmetric, so the
 * check catches every single-symbol typo and every swap of two adjacent symbols — before any
 * database lookup.
 */
export const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export interface KeyFormat {
  groups: number;
  groupLength: number;
  separator: string;
}

export const DEFAULT_KEY_FORMAT: KeyFormat = { groups: 5, groupLength: 5, separator: "-" };

const VALUE = new Map<string, number>([...CROCKFORD].map((c, i) => [c, i]));
// Crockford's decoding: O reads as 0, I and L as 1.
for (const [alias, real] of [
  ["O", "0"],
  ["I", "1"],
  ["L", "1"],
] as const) {
  VALUE.set(alias, VALUE.get(real) as number);
}

/** α·x in GF(32). */
const times2 = (x: number) => ((x << 1) ^ (x & 0x10 ? 0x25 : 0)) & 0x1f;

function damm(values: number[]): number {
  let interim = 0;
  for (const v of values) interim = times2(interim) ^ v;
  return interim;
}

/** The check symbol for a sequence of symbol values: the c that brings the Damm interim to 0. */
export function checkValue(values: number[]): number {
  return times2(damm(values));
}

export function keyRandomBits(f: KeyFormat): number {
  return (f.groups * f.groupLength - 1) * 5;
}

export function keyFormatProblems(f: KeyFormat, field = "keyFormat"): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  if (!Number.isInteger(f.groups) || f.groups < 1 || f.groups > 12)
    out.push({ field: `${field}.groups`, message: "must be 1 to 12" });
  if (!Number.isInteger(f.groupLength) || f.groupLength < 2 || f.groupLength > 12)
    out.push({ field: `${field}.groupLength`, message: "must be 2 to 12" });
  if (!["-", " ", ""].includes(f.separator)) out.push({ field: `${field}.separator`, message: "must be '-', ' ' or empty" });
  if (out.length === 0 && keyRandomBits(f) < 100) {
    out.push({
      field: `${field}.groups`,
      message: `gives ${keyRandomBits(f)} random bits; keys need at least 100 (at least 21 symbols)`,
    });
  }
  return out;
}

/** A new key: groups × groupLength symbols, the last one the check symbol. */
export function generateKey(f: KeyFormat = DEFAULT_KEY_FORMAT): string {
  const n = f.groups * f.groupLength - 1;
  // 5 bits per symbol from a CSPRNG: 256 is a multiple of 32, so `byte & 31` is unbiased.
  const bytes = crypto.randomBytes(n);
  const values = [...bytes].map((b) => b & 31);
  values.push(checkValue(values));
  return group(values.map((v) => CROCKFORD[v]).join(""), f);
}

/** Many keys at once: one CSPRNG call per batch instead of per key. */
export function generateKeys(count: number, f: KeyFormat = DEFAULT_KEY_FORMAT): string[] {
  const n = f.groups * f.groupLength - 1;
  const bytes = crypto.randomBytes(n * count);
  const out: string[] = new Array(count);
  for (let k = 0; k < count; k++) {
    let interim = 0;
    let s = "";
    for (let i = 0; i < n; i++) {
      const v = (bytes[k * n + i] as number) & 31;
      interim = times2(interim) ^ v;
      s += CROCKFORD[v];
      if ((i + 1) % f.groupLength === 0) s += f.separator;
    }
    s += CROCKFORD[times2(interim)];
    out[k] = s;
  }
  return out;
}

function group(symbols: string, f: KeyFormat): string {
  const parts: string[] = [];
  for (let i = 0; i < symbols.length; i += f.groupLength) parts.push(symbols.slice(i, i + f.groupLength));
  return parts.join(f.separator);
}

export type KeyCheck =
  | { kind: "generated"; canonical: string }
  | { kind: "typo"; message: string }
  /** Not in the generated shape (an imported key, say): look it up as typed. */
  | { kind: "other"; value: string };

/**
 * Reads what a person typed: case, spaces, dashes and Crockford look-alikes do not matter. A
 * string with the generated format's length is checked before any lookup; a failed check is a
 * typo, reported without touching the database.
 */
export function checkTypedKey(input: string, f: KeyFormat = DEFAULT_KEY_FORMAT): KeyCheck {
  const trimmed = input.trim();
  const compact = trimmed.toUpperCase().replace(/[\s-]/g, "");
  const expected = f.groups * f.groupLength;
  if (compact.length !== expected || ![...compact].every((c) => VALUE.has(c))) return { kind: "other", value: trimmed };
  const values = [...compact].map((c) => VALUE.get(c) as number);
  if (damm(values) !== 0) {
    return { kind: "typo", message: "This key has a typo: one character is wrong or two are swapped. Check it and try again." };
  }
  return { kind: "generated", canonical: group(values.map((v) => CROCKFORD[v]).join(""), f) };
}
