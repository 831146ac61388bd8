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

/** `BEFORE:d` → at < d; `AFTER:d` → at ≥ d+1 day when d is a date, > d when a timestamp; `ON:d` → that UTC day. */
export function parseDateFilter(field: string, raw: string): DateFilter {
  const m = /^([A-Z_]+):(.+)$/s.exec(raw);
  const op = (m?.[1] ?? "ON") as DateOperator;
  const value = m ? (m[2] as string) : raw;
  if (!(DATE_OPERATORS as readonly string[]).includes(op)) {
    throw new FilterError(field, `unknown date operator '${op}'; use one of ${DATE_OPERATORS.join(", ")}`);
  }
  const isDay = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const t = Date.parse(isDay ? `${value}T00:00:00.000Z` : value);
  if (!Number.isFinite(t)) throw new FilterError(field, `'${value}' is not a date (use YYYY-MM-DD or an ISO timestamp)`);
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
