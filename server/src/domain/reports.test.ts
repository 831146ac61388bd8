import { describe, expect, it } from "vitest";
import { buildSeries, defaultFrom, nextPeriod, periodStart, periodsOf } from "./reports.js";

describe("report periods", () => {
  it("starts weeks on Monday and months on the 1st, across year ends and leap days", () => {
    expect(periodStart("2026-12-05", "week")).toBe("2026-11-30");
    expect(periodStart("2027-01-01", "week")).toBe("2026-12-28");
    expect(periodStart("2024-02-29", "month")).toBe("2024-02-01");
    expect(nextPeriod("2024-02-01", "month")).toBe("2024-03-01");
    expect(nextPeriod("2026-12-01", "month")).toBe("2027-01-01");
    expect(defaultFrom("2026-12-05", "day")).toBe("2026-11-06");
    expect(defaultFrom("2026-12-05", "week")).toBe("2026-09-14");
    expect(defaultFrom("2026-12-05", "month")).toBe("2026-01-01");
  });

  it("cuts the first and last periods at from and to, and refuses too many or reversed dates by field", () => {
    const r = periodsOf("2026-01-07", "2026-02-10", "month", 400);
    expect(r).toEqual({
      periods: [
        { start: "2026-01-07", end: "2026-01-31" },
        { start: "2026-02-01", end: "2026-02-10" },
      ],
    });
    expect(periodsOf("2026-02-01", "2026-01-01", "day", 400)).toMatchObject({ problem: { field: "from" } });
    expect(periodsOf("2020-01-01", "2026-01-01", "day", 400)).toMatchObject({ problem: { field: "from" } });
  });

  it("carries the balance before the first period and sums days into periods", () => {
    const zero = { loaded: 0, received: 0, splitOut: 0, deleted: 0, redeemed: 0 };
    const s = buildSeries(
      [
        { start: "2026-01-05", end: "2026-01-11" },
        { start: "2026-01-12", end: "2026-01-18" },
      ],
      [
        { ...zero, day: "2026-01-13", redeemed: 2, deleted: 1 },
        { ...zero, day: "2025-12-01", loaded: 10, redeemed: 1 },
        { ...zero, day: "2026-01-06", splitOut: 3, received: 1 },
        { ...zero, day: "2026-02-01", loaded: 99 },
      ],
    );
    expect(s.map((p) => [p.keys, p.redeemedTotal, p.unredeemed, p.redeemed])).toEqual([
      [8, 1, 7, 0],
      [7, 3, 4, 2],
    ]);
  });
});
