import crypto from "node:crypto";
import { FORBIDDEN_ID_CHARS } from "../../../common/src/limits.js";

/**
 * Configurable ID generators (PRODUCT.md §3 IDs): `prefix` + `groups` groups of `groupLength`
 * characters drawn uniformly (CSPRNG) from `alphabet`, joined by `separator`. The prefix may use
 * tokens filled from the entitlement — {kind}, {orderId}, {year} — which is what makes
 * "Regenerate IDs" useful after those fields are set.
 */
export interface IdTemplate {
  prefix: string;
  groups: number;
  groupLength: number;
  separator: string;
  alphabet: string;
}

export type IdKind = "entitlement" | "activation";

export const DEFAULT_TEMPLATES: Record<IdKind, IdTemplate> = {
  // FNO-like: dash-separated groups of 4 lowercase hex characters.
  entitlement: { prefix: "", groups: 5, groupLength: 4, separator: "-", alphabet: "0123456789abcdef" },
  activation: { prefix: "", groups: 6, groupLength: 4, separator: "-", alphabet: "0123456789abcdef" },
};

export const TEMPLATE_TOKENS = ["{kind}", "{orderId}", "{year}"] as const;

export interface IdContext {
  kind?: "SIMPLE" | "BULK";
  orderId?: string | null;
  now?: Date;
}

/** Bits of randomness a template gives; below 40 collisions become likely at scale. */
export function templateEntropyBits(t: IdTemplate): number {
  return t.groups * t.groupLength * Math.log2(new Set(t.alphabet).size);
}

export function templateProblems(t: IdTemplate, field = "template"): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  if (!Number.isInteger(t.groups) || t.groups < 1 || t.groups > 16)
    out.push({ field: `${field}.groups`, message: "must be 1 to 16" });
  if (!Number.isInteger(t.groupLength) || t.groupLength < 1 || t.groupLength > 16) {
    out.push({ field: `${field}.groupLength`, message: "must be 1 to 16" });
  }
  const uniq = new Set(t.alphabet);
  if (uniq.size !== t.alphabet.length) out.push({ field: `${field}.alphabet`, message: "must not repeat a character" });
  if (uniq.size < 2) out.push({ field: `${field}.alphabet`, message: "needs at least 2 characters" });
  const badAlpha = [...uniq].filter((c) => FORBIDDEN_ID_CHARS.includes(c) || /[\s\u0000-\u001f\u007f]/.test(c));
  if (badAlpha.length)
    out.push({ field: `${field}.alphabet`, message: `must not contain ${badAlpha.map((c) => JSON.stringify(c)).join(" ")}` });
  if (t.separator.length > 3) out.push({ field: `${field}.separator`, message: "must be at most 3 characters" });
  const stripped = t.prefix.replace(/\{(kind|orderId|year)\}/g, "X");
  if (/[{}]/.test(stripped))
    out.push({ field: `${field}.prefix`, message: `only the tokens ${TEMPLATE_TOKENS.join(", ")} may be used` });
  const badPrefix = [...`${stripped}${t.separator}`].filter(
    (c) => FORBIDDEN_ID_CHARS.includes(c) || /[\u0000-\u001f\u007f]/.test(c),
  );
  if (badPrefix.length) {
    out.push({
      field: `${field}.prefix`,
      message: `prefix and separator must not contain ${[...new Set(badPrefix)].map((c) => JSON.stringify(c)).join(" ")}`,
    });
  }
  if (/^\s/.test(stripped) || t.separator !== t.separator.trim())
    out.push({ field: `${field}.prefix`, message: "must not start with a space, and the separator must not contain spaces" });
  if (out.length === 0 && templateEntropyBits(t) < 40) {
    out.push({
      field: `${field}.groups`,
      message: `gives only ${Math.floor(templateEntropyBits(t))} random bits; use at least 40 (more groups, longer groups or a larger alphabet)`,
    });
  }
  if (out.length === 0 && stripped.length + t.groups * (t.groupLength + t.separator.length) > 255) {
    out.push({ field: `${field}.groups`, message: "IDs would be longer than 255 characters" });
  }
  return out;
}

/** Generates one ID from a template; tokens missing from the context become empty. */
export function generateId(t: IdTemplate, ctx: IdContext = {}): string {
  const prefix = t.prefix
    .replaceAll("{kind}", ctx.kind === "BULK" ? "B" : ctx.kind === "SIMPLE" ? "S" : "")
    .replaceAll("{orderId}", (ctx.orderId ?? "").replace(/[^A-Za-z0-9_-]/g, ""))
    .replaceAll("{year}", String((ctx.now ?? new Date()).getUTCFullYear()));
  const groups: string[] = [];
  for (let g = 0; g < t.groups; g++) {
    let s = "";
    for (let i = 0; i < t.groupLength; i++) s += t.alphabet[crypto.randomInt(t.alphabet.length)];
    groups.push(s);
  }
  return `${prefix}${groups.join(t.separator)}`;
}
