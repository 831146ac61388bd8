/**
 * The web register key check, shared by the server and the portal so both say "typo" for exactly
 * the same strings. Keys are Crockford base32 symbols; the last one is a Damm check symbol over the
 * quasigroup x∘y = α·x + y in GF(32) (α a root of x⁵ + x² + 1). Because α ≠ 0, 1 the quasigroup is
 * totally anti-symmetric: every single-symbol error and every swap of adjacent symbols is caught.
 */
export const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export interface KeyFormat {
  groups: number;
  groupLength: number;
  separator: string;
}

export const DEFAULT_KEY_FORMAT: KeyFormat = { groups: 5, groupLength: 5, separator: "-" };

export const TYPO_MESSAGE = "This key has a typo: one character is wrong or two are swapped. Check it and try again.";

const VALUE = new Map<string, number>([...CROCKFORD].map((c, i) => [c, i]));
// Crockford's decoding: O reads as 0, I and L as 1.
for (const [alias, real] of [
  ["O", "0"],
  ["I", "1"],
  ["L", "1"],
] as const) {
  VALUE.set(alias, VALUE.get(real) as number);
}

/** True for a symbol of a generated key (Crockford's alphabet, upper case, with its look-alikes O, I and L). */
export function isKeySymbol(c: string): boolean {
  return VALUE.has(c);
}

/** α·x in GF(32). */
export const times2 = (x: number) => ((x << 1) ^ (x & 0x10 ? 0x25 : 0)) & 0x1f;

export function dammInterim(values: number[]): number {
  let interim = 0;
  for (const v of values) interim = times2(interim) ^ v;
  return interim;
}

/** The check symbol's value for a sequence of symbol values: the c that brings the interim to 0. */
export function checkValue(values: number[]): number {
  return times2(dammInterim(values));
}

export function groupSymbols(symbols: string, f: KeyFormat): string {
  const parts: string[] = [];
  for (let i = 0; i < symbols.length; i += f.groupLength) parts.push(symbols.slice(i, i + f.groupLength));
  return parts.join(f.separator);
}

/**
 * A key's identity (PRODUCT.md §3 "One identity per key"): what load, uniqueness, lookup,
 * redemption and delete compare. Spaces and dashes are dropped, ASCII letters upper-cased, and
 * Crockford's look-alikes read as the digits they stand for (O as 0, I and L as 1), for every key:
 * so a generated key typed with an O finds the key, and the same rule holds whatever the generated
 * key format is set to (it can change after keys are loaded). Two imported keys that differ only
 * by O/0 or I/L/1 are the same key. Only ASCII is case-folded: the databases' SQL form of this
 * function ({@link canonicalKeySql}) must give the same result, and SQLite's upper() is ASCII-only.
 */
export function canonicalKey(key: string): string {
  // A million keys go through here per load: skip each step a key does not need.
  let s = key.indexOf(" ") === -1 && key.indexOf("-") === -1 ? key : key.replace(/[ -]/g, "");
  if (!NEEDS_CASE_OR_DIGIT.test(s)) return s;
  // Upper-casing is ASCII-only (see above); toUpperCase() is that for an ASCII string (the usual case).
  s = /^[\x00-\x7f]*$/.test(s) ? s.toUpperCase() : s.replace(/[a-z]+/g, (m) => m.toUpperCase());
  return s.replace(/[OIL]/g, (c) => (c === "O" ? "0" : "1"));
}
const NEEDS_CASE_OR_DIGIT = /[a-zOIL]/;

/** Characters {@link canonicalKey} maps, for the SQL form (PostgreSQL translate()): the last two are removed. */
export const CANONICAL_FROM = "abcdefghijklmnopqrstuvwxyzOIL -";
export const CANONICAL_TO = [...CANONICAL_FROM.slice(0, -2)].map((c) => canonicalKey(c)).join("");

export type KeyCheck =
  | { kind: "generated"; canonical: string }
  | { kind: "typo"; message: string }
  /** Not in the generated shape (an imported key, say): look it up as typed. */
  | { kind: "other"; value: string };

/**
 * Reads what a person typed: case, spaces, dashes and Crockford look-alikes do not matter. A
 * string with the generated format's length is checked before any lookup; a failed check is a typo.
 */
export function checkTypedKey(input: string, f: KeyFormat = DEFAULT_KEY_FORMAT): KeyCheck {
  const trimmed = input.trim();
  const compact = canonicalKey(trimmed.replace(/\s/g, ""));
  const expected = f.groups * f.groupLength;
  if (compact.length !== expected || ![...compact].every((c) => VALUE.has(c))) return { kind: "other", value: trimmed };
  const values = [...compact].map((c) => VALUE.get(c) as number);
  if (dammInterim(values) !== 0) return { kind: "typo", message: TYPO_MESSAGE };
  return { kind: "generated", canonical: groupSymbols(values.map((v) => CROCKFORD[v]).join(""), f) };
}

/**
 * True when a key's canonical form ({@link canonicalKey}) has the generated format's shape (its
 * length, every symbol in the alphabet) but a wrong check symbol: redemption would call it a typo
 * for ever, so a load refuses it. Cheap: a million keys are checked per load.
 */
export function isTypoShaped(canonical: string, f: KeyFormat = DEFAULT_KEY_FORMAT): boolean {
  if (canonical.length !== f.groups * f.groupLength) return false;
  let interim = 0;
  for (let i = 0; i < canonical.length; i++) {
    const c = canonical.charCodeAt(i);
    const v = c < 128 ? (VALUE_BY_CODE[c] as number) : -1;
    if (v < 0) return false;
    interim = times2(interim) ^ v;
  }
  return interim !== 0;
}

/** VALUE by character code (−1: not a symbol), for the per-key loop above. */
const VALUE_BY_CODE = (() => {
  const t = new Int8Array(128).fill(-1);
  for (const [c, v] of VALUE) t[c.charCodeAt(0)] = v;
  return t;
})();
