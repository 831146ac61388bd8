/**
 * The arithmetic of reports, no I/O: periods of a date range, and the day-by-day figures a repo
 * read folded into them with running totals. Days are `YYYY-MM-DD` in UTC.
 */

export type Interval = "day" | "week" | "month";

const DAY_MS = 86_400_000;
const toMs = (day: string) => Date.parse(`${day}T00:00:00.000Z`);
const toDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
export const addDays = (day: string, n: number) => toDay(toMs(day) + n * DAY_MS);
export const todayUtc = (now = new Date()) => now.toISOString().slice(0, 10);

/** The first day of the period holding `day`: itself, its ISO week's Monday, or the 1st of its month. */
export function periodStart(day: string, interval: Interval): string {
  if (interval === "day") return day;
  if (interval === "month") return `${day.slice(0, 7)}-01`;
  const weekday = (new Date(toMs(day)).getUTCDay() + 6) % 7; // Monday 0
  return addDays(day, -weekday);
}

/** The first day of the period after the one starting on `start`. */
export function nextPeriod(start: string, interval: Interval): string {
  if (interval === "day") return addDays(start, 1);
  if (interval === "week") return addDays(start, 7);
  const d = new Date(toMs(start));
  return toDay(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
}

/** The default first day: 29 days, 11 weeks or 11 months before `to`'s period (so 30, 12 or 12 periods). */
export function defaultFrom(to: string, interval: Interval): string {
  if (interval === "day") return addDays(to, -29);
  if (interval === "week") return addDays(periodStart(to, "week"), -77);
  const d = new Date(toMs(to));
  return toDay(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 11, 1));
}

/** The periods from `from`'s to `to`'s, or a problem in words when there are none or too many. */
export function periodsOf(
  from: string,
  to: string,
  interval: Interval,
  max: number,
): { periods: { start: string; end: string }[] } | { problem: { field: string; message: string } } {
  if (Number.isNaN(toMs(from))) return { problem: { field: "from", message: `'${from}' is not a date` } };
  if (Number.isNaN(toMs(to))) return { problem: { field: "to", message: `'${to}' is not a date` } };
  if (from > to) return { problem: { field: "from", message: `must be on or before to (${to})` } };
  const periods: { start: string; end: string }[] = [];
  for (let s = periodStart(from, interval); s <= to; s = nextPeriod(s, interval)) {
    if (periods.length === max)
      return {
        problem: {
          field: "from",
          message: `the report would have more than ${max} ${interval}s; choose a later from or a longer interval`,
        },
      };
    const next = nextPeriod(s, interval);
    periods.push({ start: s < from ? from : s, end: addDays(next, -1) > to ? to : addDays(next, -1) });
  }
  return { periods };
}

/** One day of a report's changes. */
export interface DayFigures {
  day: string;
  loaded: number;
  received: number;
  splitOut: number;
  deleted: number;
  redeemed: number;
}

export interface PeriodFigures extends Omit<DayFigures, "day"> {
  start: string;
  end: string;
  keys: number;
  redeemedTotal: number;
  unredeemed: number;
}

/**
 * Folds day figures (any order, any days — those before the first period make the opening
 * balance, those after the last are ignored) into the periods, with the keys held, redeemed and
 * unredeemed at the end of each.
 */
export function buildSeries(periods: { start: string; end: string }[], days: DayFigures[]): PeriodFigures[] {
  const sorted = [...days].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  let keys = 0;
  let redeemedTotal = 0;
  let i = 0;
  const first = periods[0]?.start ?? "";
  for (; i < sorted.length && (sorted[i] as DayFigures).day < first; i++) {
    const d = sorted[i] as DayFigures;
    keys += d.loaded + d.received - d.splitOut - d.deleted;
    redeemedTotal += d.redeemed;
  }
  return periods.map((p) => {
    const f = { loaded: 0, received: 0, splitOut: 0, deleted: 0, redeemed: 0 };
    for (; i < sorted.length && (sorted[i] as DayFigures).day <= p.end; i++) {
      const d = sorted[i] as DayFigures;
      f.loaded += d.loaded;
      f.received += d.received;
      f.splitOut += d.splitOut;
      f.deleted += d.deleted;
      f.redeemed += d.redeemed;
    }
    keys += f.loaded + f.received - f.splitOut - f.deleted;
    redeemedTotal += f.redeemed;
    return { start: p.start, end: p.end, ...f, keys, redeemedTotal, unredeemed: keys - redeemedTotal };
  });
}
