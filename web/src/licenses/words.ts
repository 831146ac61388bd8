import type { Fulfillment, HostId, SupportUsage } from "../../../common/src/api/fulfillments";
import type { LicenseModelPolicies } from "../../../common/src/api/licenseModels";
import { humanize } from "../lib/labels";

/** The period policies are counted over: `{count: 1, unit: "YEARS"}` → "1 year"; null → null (the whole life). */
export function periodWords(w: LicenseModelPolicies["window"]): string | null {
  if (!w) return null;
  const unit = w.unit.toLowerCase();
  return `${w.count} ${w.count === 1 ? unit.replace(/s$/, "") : unit}`;
}

/** "per 1 year" or "over the line item's whole life". */
export function windowWords(w: LicenseModelPolicies["window"]): string {
  const p = periodWords(w);
  return p ? `per ${p}` : "over the line item's whole life";
}

export type PolicyKind = "returns" | "rehosts" | "repairs";
const SINGULAR: Record<PolicyKind, string> = { returns: "return", rehosts: "rehost", repairs: "repair" };

/** "1 of 2 rehosts used per 1 year", "3 rehosts used (unlimited)". */
export function usageWords(usage: SupportUsage, kind: PolicyKind): string {
  const u = usage[kind];
  if (u.allowed === null) return `${u.used} ${u.used === 1 ? SINGULAR[kind] : kind} used (unlimited)`;
  if (u.allowed === 0)
    return u.used === 0
      ? `No ${kind} allowed`
      : `${u.used} ${u.used === 1 ? SINGULAR[kind] : kind} used by override, none allowed`;
  return `${u.used} of ${u.allowed} ${u.allowed === 1 ? SINGULAR[kind] : kind} used ${windowWords(usage.window)}`;
}

/** "2 of 5 extra activations used per 1 year (1 in use)". */
export function extraUsageWords(usage: SupportUsage): string {
  const u = usage.extraActivations;
  const inUse = u.inUse > 0 ? ` (${u.inUse} in use)` : "";
  if (u.allowed === null) return `${u.used} extra activation${u.used === 1 ? "" : "s"} used (unlimited)${inUse}`;
  return `${u.used} of ${u.allowed} extra activation${u.allowed === 1 ? "" : "s"} used ${windowWords(usage.window)}${inUse}`;
}

/** How many are left, or null when unlimited. */
export function left(usage: SupportUsage, kind: PolicyKind): number | null {
  const u = usage[kind];
  return u.allowed === null ? null : Math.max(0, u.allowed - u.used);
}

/** A host ID as shown: "ETHERNET 00:1A:…", a plain string without its type. */
export const hostWords = (h: HostId) => (h.type === "STRING" ? h.id : `${hostTypeLabel(h.type)} ${h.id}`);
export const hostTypeLabel = (t: string) => HOST_TYPE_LABELS[t] ?? humanize(t);
export const hostsWords = (f: Pick<Fulfillment, "hosts">) => f.hosts.map(hostWords).join(", ");

export const HOST_TYPE_LABELS: Record<string, string> = {
  STRING: "String",
  ETHERNET: "Ethernet",
  VM_UUID: "VM UUID",
  CONTAINER_ID: "Container ID",
  USER: "User",
  PUBLISHER_DEFINED: "Publisher-defined",
};

export const FULFILLMENT_TYPE_LABELS: Record<string, string> = { PUBLISHER_ERROR: "Publisher error" };

/** Saves text as a file the browser downloads (an activation's license arrives in the answer itself). */
export function saveText(text: string, fileName: string, type = "application/octet-stream"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Which portal a licenses page is shown in: the producer's (all licenses) or a customer's (their own). */
export type PortalKind = "producer" | "enduser";
export const licensesPath = (p: PortalKind, filter?: Record<string, string>) =>
  `${p === "producer" ? "/licenses" : "/portal/licenses"}${filter ? `?${new URLSearchParams(filter)}` : ""}`;
export const licensePath = (p: PortalKind, id: string) => `${licensesPath(p)}/${encodeURIComponent(id)}`;

/** Producer roles that generate licenses and run support actions (server/src/policies/fulfillments.ts); admin and operations also override policies. */
export const LICENSER_ROLES: readonly string[] = ["PRODUCER_ADMIN", "PRODUCER_OPERATIONS", "PRODUCER_SUPPORT"];
