import type { Entitlement, LineItem, ProductConfig } from "../../../common/src/api/entitlements";
import { formatDate } from "../lib/format";

/** Plain words for an entitlement's dates and contents, for customers rather than back-office staff. */

const UNIT_WORDS: Record<string, [string, string]> = {
  DAYS: ["day", "days"],
  WEEKS: ["week", "weeks"],
  MONTHS: ["month", "months"],
  YEARS: ["year", "years"],
};

export function termWords(term: { count: number; unit: string }): string {
  const [one, many] = UNIT_WORDS[term.unit] ?? [term.unit.toLowerCase(), term.unit.toLowerCase()];
  return `${term.count} ${term.count === 1 ? one : many}`;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const DAY = 86_400_000;

/** "in 3 months", "yesterday", "in 2 years": how far a date is from today. */
export function fromToday(iso: string): string {
  const days = Math.round((Date.parse(iso) - Date.now()) / DAY);
  const abs = Math.abs(days);
  if (abs < 45) return relative.format(days, "day");
  if (abs < 548) return relative.format(Math.round(days / 30.4), "month");
  return relative.format(Math.round(days / 365.25), "year");
}

const atEachActivation = (c: ProductConfig) => c.startDateOption.endsWith("EACH_ACTIVATION");

/** When the licence starts: a date, or when it is set. */
export function startWords(c: ProductConfig): string {
  if (c.startDate) return formatDate(c.startDate);
  if (c.startDateOption === "DEFINE_NOW") return "—";
  return atEachActivation(c) ? "Set at each activation" : "Set at first activation";
}

/** When the licence ends, in words: "Permanent", "Expires on 3 Mar 2027 (in 11 months)", "1 year from first activation". */
export function expiryWords(c: ProductConfig): string {
  if (c.isPermanent) return "Permanent";
  const end = c.effectiveExpirationDate ?? c.expirationDate;
  if (end) {
    const past = Date.parse(end) < Date.now();
    return past ? `Expired on ${formatDate(end)}` : `Expires on ${formatDate(end)} (${fromToday(end)})`;
  }
  if (c.term) return `${termWords(c.term)} from ${atEachActivation(c) ? "each" : "first"} activation`;
  return "—";
}

/** "2 × Designer 5.0": what one copy of a line item includes. */
export function productWords(c: ProductConfig): string {
  return c.products.map((p) => `${p.quantity === 1 ? "" : `${p.quantity} × `}${p.name} ${p.version}`).join(", ");
}

/** The line items a customer sees: a simple entitlement's own; a bulk entitlement's configuration. */
export function configsOf(e: Entitlement): (LineItem | ProductConfig)[] {
  return e.kind === "BULK" ? (e.product ? [e.product] : []) : e.lineItems;
}

export function copiesOf(e: Entitlement): { copies: number; available: number | null } {
  if (e.kind === "BULK") return { copies: e.product?.numberOfCopies ?? 0, available: null };
  return {
    copies: e.lineItems.reduce((n, li) => n + li.numberOfCopies, 0),
    available: e.lineItems.reduce((n, li) => n + li.availableCount, 0),
  };
}

/** The distinct expiry phrases of an entitlement's line items. */
export function entitlementExpiryWords(e: Entitlement): string[] {
  return [...new Set(configsOf(e).map(expiryWords))];
}
