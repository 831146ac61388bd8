import { UTCDate } from "@date-fns/utc";
// One module each: the package's index loads all ~300 of its functions, kept in every server's heap.
import { addDays } from "date-fns/addDays";
import { addMonths } from "date-fns/addMonths";
import { addWeeks } from "date-fns/addWeeks";
import { addYears } from "date-fns/addYears";
import type { DURATION_UNITS, START_DATE_OPTIONS, VERSION_DATE_OPTIONS } from "../enums.js";

export type StartDateOption = (typeof START_DATE_OPTIONS)[number];
export type VersionDateOption = (typeof VERSION_DATE_OPTIONS)[number];
export type DurationUnit = (typeof DURATION_UNITS)[number];

export interface TermsInput {
  startDateOption: StartDateOption;
  startDate?: string | null;
  isPermanent: boolean;
  term?: { count: number; unit: DurationUnit } | null;
  expirationDate?: string | null;
  versionDateOption?: VersionDateOption | null;
  versionDate?: string | null;
}

/** The longest term, in its unit (10000 days … 10000 years). */
export const TERM_COUNT_MAX = 10_000;

/** A calendar day `YYYY-MM-DD` that really exists (no 2025-02-30). */
export function isDay(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === value;
}

/**
 * The UTC day of an instant as `YYYY-MM-DD` (what date-fns' `format(…, "yyyy-MM-dd")` gives, years
 * past 9999 in full), written out so the portal's bundle does without date-fns' formatter.
 */
function utcDay(d: Date): string {
  const pad = (n: number, w: number) => String(n).padStart(w, "0");
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

export function today(now: Date = new Date()): string {
  return utcDay(now);
}

/** start + term, in calendar arithmetic (31 Jan + 1 month = 28/29 Feb). */
export function addTerm(startDay: string, term: { count: number; unit: DurationUnit }): string {
  const d = new UTCDate(`${startDay}T00:00:00Z`);
  const add = { DAYS: addDays, WEEKS: addWeeks, MONTHS: addMonths, YEARS: addYears }[term.unit];
  return utcDay(add(d, term.count));
}

/**
 * The date rules of a line item or bulk configuration (PRODUCT.md §3, fno-notes §2):
 * permanent XOR (term | expiration date); DEFINE_NOW needs a start date; an expiration date comes
 * after a fixed start date; a fixed version date needs DEFINE_NOW. Problems name `prefix.field`.
 */
export function termsProblems(t: TermsInput, prefix = ""): { field: string; message: string }[] {
  const f = (name: string) => (prefix ? `${prefix}.${name}` : name);
  const out: { field: string; message: string }[] = [];
  if (t.startDate != null && !isDay(t.startDate)) out.push({ field: f("startDate"), message: "must be a date YYYY-MM-DD" });
  if (t.expirationDate != null && !isDay(t.expirationDate))
    out.push({ field: f("expirationDate"), message: "must be a date YYYY-MM-DD" });
  if (t.versionDate != null && !isDay(t.versionDate)) out.push({ field: f("versionDate"), message: "must be a date YYYY-MM-DD" });
  if (t.startDateOption === "DEFINE_NOW" && t.startDate == null) {
    out.push({ field: f("startDate"), message: "is required when the start date option is DEFINE_NOW" });
  }
  if (t.startDateOption !== "DEFINE_NOW" && t.startDate != null) {
    out.push({ field: f("startDate"), message: `must be empty: with ${t.startDateOption} the start date is set at activation` });
  }
  const hasTerm = t.term != null;
  const hasExp = t.expirationDate != null;
  if (t.isPermanent && (hasTerm || hasExp)) {
    out.push({ field: hasTerm ? f("term") : f("expirationDate"), message: "must be empty for a permanent license" });
  }
  if (!t.isPermanent && !hasTerm && !hasExp) {
    out.push({ field: f("expirationDate"), message: "a license that is not permanent needs a term or an expiration date" });
  }
  if (hasTerm && hasExp) out.push({ field: f("term"), message: "give either a term or an expiration date, not both" });
  if (t.term && (!Number.isInteger(t.term.count) || t.term.count < 1 || t.term.count > TERM_COUNT_MAX)) {
    out.push({ field: f("term.count"), message: `must be a whole number from 1 to ${TERM_COUNT_MAX}` });
  }
  if (
    hasExp &&
    t.startDate != null &&
    isDay(t.startDate) &&
    isDay(t.expirationDate as string) &&
    (t.expirationDate as string) <= t.startDate
  ) {
    out.push({ field: f("expirationDate"), message: `must be after the start date ${t.startDate}` });
  }
  if (t.versionDate != null && t.versionDateOption !== "DEFINE_NOW") {
    out.push({ field: f("versionDate"), message: "is only given with the version date option DEFINE_NOW" });
  }
  if (t.versionDateOption === "DEFINE_NOW" && t.versionDate == null) {
    out.push({ field: f("versionDate"), message: "is required when the version date option is DEFINE_NOW" });
  }
  return out;
}

/** The expiry a fixed start date and term give, or the fixed expiration date; null when not known yet or permanent. */
export function effectiveExpiry(t: TermsInput): string | null {
  if (t.isPermanent) return null;
  if (t.expirationDate) return t.expirationDate;
  if (t.term && t.startDateOption === "DEFINE_NOW" && t.startDate) return addTerm(t.startDate, t.term);
  return null;
}
