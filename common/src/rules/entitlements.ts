import { TIER_DISTRIBUTOR, TIER_END_CUSTOMER } from "../enums.js";
import type { FieldProblem } from "../errors.js";
import { type AttributeDefinition, attributeValueProblem } from "./catalog.js";

export type EntitlementKind = "SIMPLE" | "BULK";

export interface PartnerInput {
  tier: string;
  accountId: string;
  contactUserId?: string | null;
  currentOwner?: boolean;
}

export interface ResolvedPartner {
  tier: string;
  accountId: string;
  contactUserId: string | null;
  currentOwner: boolean;
  /** Where it came from, so problems name the right field: `soldTo` or `channelPartners[i]`. */
  source: string;
}

/** Tiers the Sold To account fills, its own tier first: End Customer (simple), or Distributor and End Customer (bulk). */
export const soldToTiers = (kind: EntitlementKind): string[] =>
  kind === "BULK" ? [TIER_DISTRIBUTOR, TIER_END_CUSTOMER] : [TIER_END_CUSTOMER];

/**
 * Channel partners of an entitlement from Sold To and the explicit list (PRODUCT.md §1):
 * - SIMPLE: Sold To is the End Customer and the current owner.
 * - BULK: Sold To goes into the Distributor tier and, as FNO's seed says, the End Customer tier
 *   holds the same distributor account; the distributor is the current owner (it holds the keys).
 * One account per tier; exactly one current owner when there is any partner.
 */
export function resolvePartners(
  kind: EntitlementKind,
  soldTo: string | null | undefined,
  explicit: PartnerInput[] = [],
): { partners: ResolvedPartner[]; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const byTier = new Map<string, ResolvedPartner>();
  explicit.forEach((p, i) => {
    if (byTier.has(p.tier)) {
      problems.push({
        field: `channelPartners[${i}].tier`,
        message: `tier '${p.tier}' is listed twice; an entitlement has one account per tier`,
      });
      return;
    }
    byTier.set(p.tier, {
      tier: p.tier,
      accountId: p.accountId,
      contactUserId: p.contactUserId ?? null,
      currentOwner: p.currentOwner === true,
      source: `channelPartners[${i}]`,
    });
  });
  if (soldTo) {
    const tiers = soldToTiers(kind);
    const soldTier = tiers[0];
    for (const tier of tiers) {
      const existing = byTier.get(tier);
      if (existing && existing.accountId !== soldTo) {
        if (tier === soldTier) {
          problems.push({
            field: "soldTo",
            message: `Sold To '${soldTo}' conflicts with account '${existing.accountId}' given for the same tier in channelPartners`,
          });
        }
        continue; // an explicit End Customer on a bulk entitlement wins over the default
      }
      if (!existing) byTier.set(tier, { tier, accountId: soldTo, contactUserId: null, currentOwner: false, source: "soldTo" });
    }
  }
  const partners = [...byTier.values()];
  const owners = partners.filter((p) => p.currentOwner);
  if (owners.length > 1)
    problems.push({ field: "channelPartners", message: "exactly one channel partner can be the current owner" });
  if (owners.length === 0 && partners.length > 0) {
    const preferred = kind === "BULK" ? TIER_DISTRIBUTOR : TIER_END_CUSTOMER;
    const owner = partners.find((p) => p.tier === preferred) ?? partners[0];
    if (owner) owner.currentOwner = true;
  }
  return { partners, problems };
}

/** Ship-to email: a comma-separated list of addresses, each validated (FNO allows a list). */
export function shipToEmailProblem(value: string): string | null {
  const parts = value.split(",").map((s) => s.trim());
  const bad = parts.filter((p) => !/^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/.test(p));
  if (parts.length > 50) return "at most 50 addresses";
  if (bad.length === 0) return null;
  return bad.length === 1 && bad[0] === ""
    ? "has an empty address (check the commas)"
    : `${bad.map((b) => `'${b}'`).join(", ")} ${bad.length === 1 ? "is not an email address" : "are not email addresses"}`;
}

/** Normalised ship-to list: trimmed, comma-separated with no spaces (FNO's stored form). */
export function normaliseShipToEmail(value: string): string {
  return value
    .split(",")
    .map((s) => s.trim())
    .join(",");
}

/**
 * Entitlement-time license-model attributes: every required ENTITLEMENT attribute given, values of
 * the right type, no unknown names, no FULFILLMENT attributes (those come at activation).
 */
export function entitlementAttributeProblems(
  defs: AttributeDefinition[],
  values: Record<string, string | number | boolean>,
  field: string,
): FieldProblem[] {
  const out: FieldProblem[] = [];
  const byName = new Map(defs.map((d) => [d.name, d]));
  for (const [name, raw] of Object.entries(values)) {
    const def = byName.get(name);
    if (!def) {
      out.push({ field: `${field}.${name}`, message: "is not an attribute of the license model" });
      continue;
    }
    if (def.time !== "ENTITLEMENT") {
      out.push({ field: `${field}.${name}`, message: "is a fulfillment-time attribute; it is given at activation" });
      continue;
    }
    const p = attributeValueProblem(def.valueType, String(raw), def.allowedValues);
    if (p) out.push({ field: `${field}.${name}`, message: p });
  }
  for (const d of defs) {
    if (d.time === "ENTITLEMENT" && d.required && !(d.name in values) && d.defaultValue === null) {
      out.push({ field: `${field}.${d.name}`, message: "is required by the license model" });
    }
  }
  return out;
}

/** Values stored for entitlement-time attributes: given ones as strings, defaults filled in. */
export function entitlementAttributeValues(
  defs: AttributeDefinition[],
  values: Record<string, string | number | boolean>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of defs) {
    if (d.time !== "ENTITLEMENT") continue;
    if (d.name in values) out[d.name] = String(values[d.name]);
    else if (d.defaultValue !== null) out[d.name] = d.defaultValue;
  }
  return out;
}
