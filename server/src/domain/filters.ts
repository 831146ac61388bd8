import { DATE_OPERATORS, type DateOperator, TEXT_OPERATORS, type TextOperator } from "../../../common/src/enums.js";

/**
 * List filters in query strings: `name=CONTAINS:acme`, `createdAt=AFTER:2026-01-01`. A value with
 * no operator prefix means the resource's default operator. Pure parsing; no I/O.
 */
export interface TextFilter {
  op: TextOperator;
  value: string;
}
export interface DateFilter {
  op: DateOperator;
  /** Inclusive lower / exclusive upper bounds in ISO form, derived from the operator. */
  from: string | null;
  to: string | null;
}

export class FilterError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function parseTextFilter(field: string, raw: string, defaultOp: TextOperator = "EQUALS"): TextFilter {
  const m = /^([A-Z_]+):(.*)$/s.exec(raw);
  if (m && (TEXT_OPERATORS as readonly string[]).includes(m[1] as string)) {
    return { op: m[1] as TextOperator, value: m[2] as string };
  }
  if (m && (DATE_OPERATORS as readonly string[]).includes(m[1] as string)) {
    throw new FilterError(field, `operator ${m[1]} applies to dates; use one of ${TEXT_OPERATORS.join(", ")}`);
  }
  return { op: defaultOp, value: raw };
}

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/i;

/**
 * Milliseconds for `YYYY-MM-DD` or an ISO-8601 timestamp (UTC when it names no zone), or NaN.
 * Strict: four-digit years only and real calendar days — `Date.parse` alone accepted
 * `99999-01-01` and rolled `2026-02-30` over into March.
 */
function strictTime(value: string): { t: number; isDay: boolean } {
  const day = DAY_RE.exec(value);
  const ts = day ? null : TIMESTAMP_RE.exec(value);
  const m = day ?? ts;
  if (!m) return { t: Number.NaN, isDay: false };
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
    return { t: Number.NaN, isDay: !!day };
  }
  if (day) return { t: date.getTime(), isDay: true };
  const [h, mi, sec] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (h > 23 || mi > 59 || sec > 59) return { t: Number.NaN, isDay: false };
  return { t: Date.parse(m[7] ? value : `${value}Z`), isDay: false };
}

/** `BEFORE:d` → at < d; `AFTER:d` → at ≥ d+1 day when d is a date, > d when a timestamp; `ON:d` → that UTC day. */
export function parseDateFilter(field: string, raw: string): DateFilter {
  const m = /^([A-Z_]+):(.+)$/s.exec(raw);
  const op = (m?.[1] ?? "ON") as DateOperator;
  const value = m ? (m[2] as string) : raw;
  if (!(DATE_OPERATORS as readonly string[]).includes(op)) {
    throw new FilterError(field, `unknown date operator '${op}'; use one of ${DATE_OPERATORS.join(", ")}`);
  }
  const { t, isDay } = strictTime(value);
  if (!Number.isFinite(t)) {
    throw new FilterError(
      field,
      `'${value}' is not a date (use a real day as YYYY-MM-DD, or an ISO timestamp such as 2026-01-31T12:00:00Z)`,
    );
  }
  const start = new Date(t).toISOString();
  const dayEnd = new Date(t + 86_400_000).toISOString();
  switch (op) {
    case "BEFORE":
      return { op, from: null, to: start };
    case "AFTER":
      return { op, from: isDay ? dayEnd : new Date(t + 1).toISOString(), to: null };
    default:
      if (!isDay) throw new FilterError(field, "ON takes a day (YYYY-MM-DD)");
      return { op, from: start, to: dayEnd };
  }
}

/** LIKE pattern for a text operator; `\` escapes the wildcards in user input. */
export function likePattern(f: TextFilter): string {
  const v = f.value.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
  switch (f.op) {
    case "STARTS_WITH":
      return `${v}%`;
    case "ENDS_WITH":
      return `%${v}`;
    case "CONTAINS":
      return `%${v}%`;
    default:
      return v;
  }
}
