import crypto from "node:crypto";
import { CROCKFORD, checkValue, DEFAULT_KEY_FORMAT, groupSymbols, type KeyFormat, times2 } from "../../../common/src/keyCheck.js";

/**
 * Web register key format (PRODUCT.md §3): CSPRNG symbols from Crockford's base32 alphabet
 * (no I, L, O, U — nothing to misread), grouped for reading aloud, ending in one check symbol.
 *
 * The check symbol is a Damm check over the quasigroup x∘y = α·x + y in GF(32) (α a generator of
 * GF(2⁵) with x⁵ + x² + 1). Because α ≠ 0, 1 the quasigroup is totally anti-symmetric, so the
 * check catches every single-symbol typo and every swap of two adjacent symbols — before any
 * database lookup.
 */
export {
  CROCKFORD,
  canonicalKey,
  checkTypedKey,
  checkValue,
  DEFAULT_KEY_FORMAT,
  isTypoShaped,
  type KeyCheck,
  type KeyFormat,
} from "../../../common/src/keyCheck.js";

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
  return groupSymbols(values.map((v) => CROCKFORD[v]).join(""), f);
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
