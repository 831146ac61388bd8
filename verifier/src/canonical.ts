/**
 * RFC 8785 JSON Canonicalization Scheme (JCS) for the values licenses and activation requests
 * hold: null, booleans, finite numbers, strings, arrays and plain objects.
 *
 * Why this is short: JCS is defined in terms of ECMAScript's own JSON serialization of
 * primitives (RFC 8785 §3.2.2), so `JSON.stringify` of a string or number already gives the
 * canonical text (shortest round-trip numbers, `-0` as `0`, only `"`, `\` and U+0000–U+001F
 * escaped, the latter as `\b \t \n \f \r` or lowercase `\u00xx`). What JCS adds is object members
 * sorted by their names' UTF-16 code units — which is what `Array.prototype.sort()` compares —
 * and no whitespace. Lone surrogates are refused, as JCS requires valid Unicode. Written here
 * rather than taken from npm because the verifier package has no runtime dependencies.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The canonical JSON text of `value`; throws a TypeError naming the path of anything JCS cannot encode. */
export function canonicalize(value: unknown): string {
  try {
    return fast(value);
  } catch {
    // Paths cost a string per member, so they are only built to say where the problem is.
    return slow(value, "$");
  }
}

/** Whether a string is well-formed UTF-16 (no lone surrogates): the built-in where Node has it (20+). */
export const wellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: () => boolean }).isWellFormed === "function"
    ? (s) => (s as string & { isWellFormed: () => boolean }).isWellFormed()
    : (s) => !LONE_SURROGATE.test(s);

function fast(value: unknown): string {
  switch (typeof value) {
    case "string":
      if (!wellFormed(value)) throw new TypeError();
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError();
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) out += (i ? "," : "") + fast(value[i]);
        return `${out}]`;
      }
      if (!isPlain(value)) throw new TypeError();
      const obj = value as Record<string, unknown>;
      const names = Object.keys(obj).sort();
      let out = "{";
      for (let i = 0; i < names.length; i++) {
        const name = names[i] as string;
        const v = obj[name];
        if (v === undefined || !wellFormed(name)) throw new TypeError();
        out += `${i ? "," : ""}${JSON.stringify(name)}:${fast(v)}`;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError();
  }
}

function slow(value: unknown, path: string): string {
  if (value === null || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} cannot be encoded in JSON`);
    return JSON.stringify(value);
  }
  if (typeof value === "string") {
    if (LONE_SURROGATE.test(value)) throw new TypeError(`${path}: the string holds a lone surrogate (not valid Unicode)`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => slow(v, `${path}[${i}]`)).join(",")}]`;
  if (typeof value === "object" && isPlain(value)) {
    const obj = value as Record<string, unknown>;
    const members: string[] = [];
    for (const name of Object.keys(obj).sort()) {
      const v = obj[name];
      // An absent member and an undefined one would read the same; JSON has no undefined.
      if (v === undefined) throw new TypeError(`${path}.${name}: undefined cannot be encoded in JSON (leave it out or use null)`);
      if (LONE_SURROGATE.test(name)) throw new TypeError(`${path}: a member name holds a lone surrogate`);
      members.push(`${JSON.stringify(name)}:${slow(v, `${path}.${name}`)}`);
    }
    return `{${members.join(",")}}`;
  }
  throw new TypeError(
    `${path}: a ${typeof value === "object" ? value.constructor?.name : typeof value} cannot be encoded in JSON`,
  );
}

/** The canonical UTF-8 bytes of `value`. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalize(value));
}

function isPlain(o: object): boolean {
  const proto = Object.getPrototypeOf(o);
  return proto === Object.prototype || proto === null;
}

/**
 * The canonical text of a string (JCS §3.2.2.2): `JSON.stringify`, once it is known to be valid
 * Unicode. For encoders of a known shape that write members in their sorted order themselves.
 */
export function canonicalString(s: string): string {
  if (!wellFormed(s)) throw new TypeError("a string holds a lone surrogate (not valid Unicode)");
  return JSON.stringify(s);
}
