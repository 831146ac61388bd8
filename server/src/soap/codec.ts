import { BUILTINS, ENUMS, type Field, type Types } from "./schema.js";
import { escapeXml, type XmlElement } from "./xml.js";

/** A request that breaks the schema: answered as a SOAP Fault naming where. */
export class SchemaViolation extends Error {}

/**
 * A decoded element: an object of its fields, a list, or a simple value. Its shape is the schema's
 * (checked by `decode` at run time), so operations read it untyped rather than restate every type.
 */
export type Decoded = any;

const DATE_RE = /^\d{4}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?$/;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

function simple(type: string, raw: string, at: string): Decoded {
  const v = raw.trim();
  switch (type) {
    case "string":
      return raw;
    case "boolean":
      if (v === "true" || v === "1") return true;
      if (v === "false" || v === "0") return false;
      throw new SchemaViolation(`${at}: '${v}' is not a boolean (true, false, 1 or 0)`);
    case "integer": {
      if (!/^[+-]?\d{1,15}$/.test(v)) throw new SchemaViolation(`${at}: '${v}' is not an integer`);
      return Number(v);
    }
    case "date":
      if (!DATE_RE.test(v)) throw new SchemaViolation(`${at}: '${v}' is not a date (YYYY-MM-DD)`);
      return v.slice(0, 10);
    case "dateTime":
      if (!DATETIME_RE.test(v)) throw new SchemaViolation(`${at}: '${v}' is not a dateTime`);
      return v;
  }
  const values = ENUMS[type];
  if (values) {
    if (!values.includes(v)) throw new SchemaViolation(`${at}: '${v}' is not one of ${values.join(", ")}`);
    return v;
  }
  throw new Error(`soap codec: unknown simple type ${type}`);
}

/**
 * Reads `el` as `type`: children must come in the type's sequence order, each as often as its
 * cardinality allows, in the service's namespace (`ns`; unqualified children are accepted too, as
 * FNO's own documentation writes them). A field of cardinality > 1 becomes an array, an absent
 * optional one is left out.
 */
export function decode(el: XmlElement, type: string, ns: string, types: Types, at = el.name): Decoded {
  if (BUILTINS.has(type) || ENUMS[type]) {
    if (el.children.length) throw new SchemaViolation(`${at}: expected text, found element <${el.children[0]?.name}>`);
    return simple(type, el.text, at);
  }
  const t = types[type];
  if (!t) throw new Error(`soap codec: unknown type ${type}`);
  if (t.open) return {};
  const out: Record<string, Decoded> = {};
  let i = 0;
  const counts = new Map<string, number>();
  const missing = (f: Field) => {
    if (f.min > (counts.get(f.name) ?? 0)) throw new SchemaViolation(`${at}: the required element <${f.name}> is missing`);
  };
  for (const child of el.children) {
    if (child.ns !== ns && child.ns !== "")
      throw new SchemaViolation(`${at}: <${child.name}> is in namespace '${child.ns}', expected '${ns}'`);
    while (i < t.fields.length && (t.fields[i] as Field).name !== child.name) missing(t.fields[i++] as Field);
    const f = t.fields[i];
    if (!f) {
      const known = t.fields.some((x) => x.name === child.name);
      throw new SchemaViolation(
        known
          ? `${at}: <${child.name}> is out of order (the sequence is ${t.fields.map((x) => x.name).join(", ")})`
          : `${at}: unexpected element <${child.name}> (expected one of ${t.fields.map((x) => x.name).join(", ") || "none"})`,
      );
    }
    const n = (counts.get(f.name) ?? 0) + 1;
    if (n > f.max) throw new SchemaViolation(`${at}: <${f.name}> may appear only once`);
    counts.set(f.name, n);
    const value = decode(child, f.type, ns, types, `${at}/${f.name}${f.max > 1 ? `[${n}]` : ""}`);
    if (f.max === 1) out[f.name] = value;
    else if (n === 1) out[f.name] = [value];
    else out[f.name].push(value);
  }
  while (i < t.fields.length) missing(t.fields[i++] as Field);
  return out;
}

function text(type: string, v: unknown): string {
  if (type === "boolean") return v ? "true" : "false";
  if (type === "integer") return String(Math.trunc(Number(v)));
  return escapeXml(String(v));
}

/**
 * Writes `value` as element `name` of `type`, every element qualified with `prefix`, fields in the
 * type's sequence order whatever the object's key order; absent (undefined or null) optional
 * fields are left out. A missing required field is a bug of the operation, not of the caller.
 */
export function encode(name: string, type: string, value: Decoded, prefix: string, types: Types, out: string[] = []): string[] {
  const tag = `${prefix}:${name}`;
  if (BUILTINS.has(type) || ENUMS[type]) {
    out.push(`<${tag}>${text(type, value)}</${tag}>`);
    return out;
  }
  const t = types[type];
  if (!t) throw new Error(`soap codec: unknown type ${type}`);
  out.push(`<${tag}>`);
  for (const f of t.fields) {
    const v = value?.[f.name];
    const list: unknown[] = v === undefined || v === null ? [] : f.max > 1 ? (v as unknown[]) : [v];
    if (list.length < f.min) throw new Error(`soap codec: ${type}.${f.name} is required`);
    if (list.length > f.max) throw new Error(`soap codec: ${type}.${f.name} holds one value`);
    for (const item of list) encode(f.name, f.type, item, prefix, types, out);
  }
  out.push(`</${tag}>`);
  return out;
}
