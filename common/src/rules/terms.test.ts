import { describe, expect, it } from "vitest";
import { addTerm, effectiveExpiry, isDay, termsProblems } from "./terms.js";

const fields = (ps: { field: string }[]) => ps.map((p) => p.field);

describe("dates and terms", () => {
  it("accepts only real calendar days", () => {
    expect(isDay("2024-02-29")).toBe(true);
    expect(isDay("2025-02-29")).toBe(false);
    expect(isDay("2023-02-29")).toBe(false);
    expect(isDay("2025-13-01")).toBe(false);
    expect(isDay("2025-1-01")).toBe(false);
  });

  it("adds terms in calendar arithmetic", () => {
    expect(addTerm("2024-01-31", { count: 1, unit: "MONTHS" })).toBe("2024-02-29");
    expect(addTerm("2024-02-29", { count: 1, unit: "YEARS" })).toBe("2025-02-28");
    expect(addTerm("2024-12-25", { count: 2, unit: "WEEKS" })).toBe("2025-01-08");
    expect(addTerm("2024-12-31", { count: 1, unit: "DAYS" })).toBe("2025-01-01");
  });

  it("is permanent XOR term XOR expiration date", () => {
    const base = { startDateOption: "DEFINE_NOW" as const, startDate: "2026-01-01" };
    expect(termsProblems({ ...base, isPermanent: true })).toEqual([]);
    expect(fields(termsProblems({ ...base, isPermanent: true, term: { count: 1, unit: "YEARS" } }))).toEqual(["term"]);
    expect(fields(termsProblems({ ...base, isPermanent: true, expirationDate: "2027-01-01" }))).toEqual(["expirationDate"]);
    expect(fields(termsProblems({ ...base, isPermanent: false }))).toEqual(["expirationDate"]);
    expect(
      fields(termsProblems({ ...base, isPermanent: false, term: { count: 1, unit: "YEARS" }, expirationDate: "2027-01-01" })),
    ).toEqual(["term"]);
    expect(termsProblems({ ...base, isPermanent: false, term: { count: 1, unit: "YEARS" } })).toEqual([]);
    expect(fields(termsProblems({ ...base, isPermanent: false, term: { count: 0, unit: "YEARS" } }))).toEqual(["term.count"]);
  });

  it("checks start date options, date order and version dates, with a field prefix", () => {
    expect(fields(termsProblems({ startDateOption: "DEFINE_NOW", isPermanent: true }, "product"))).toEqual(["product.startDate"]);
    expect(
      fields(termsProblems({ startDateOption: "DEFINE_AT_FIRST_ACTIVATION", startDate: "2026-01-01", isPermanent: true })),
    ).toEqual(["startDate"]);
    expect(
      fields(
        termsProblems({
          startDateOption: "DEFINE_NOW",
          startDate: "2026-05-01",
          isPermanent: false,
          expirationDate: "2026-04-01",
        }),
      ),
    ).toEqual(["expirationDate"]);
    expect(
      fields(
        termsProblems({ startDateOption: "DEFINE_AT_FIRST_ACTIVATION", isPermanent: true, versionDateOption: "DEFINE_NOW" }),
      ),
    ).toEqual(["versionDate"]);
    expect(
      fields(
        termsProblems({
          startDateOption: "DEFINE_AT_FIRST_ACTIVATION",
          isPermanent: true,
          versionDateOption: "USE_START_DATE",
          versionDate: "2026-01-01",
        }),
      ),
    ).toEqual(["versionDate"]);
  });

  it("computes the effective expiry", () => {
    expect(
      effectiveExpiry({
        startDateOption: "DEFINE_NOW",
        startDate: "2026-01-31",
        isPermanent: false,
        term: { count: 1, unit: "MONTHS" },
      }),
    ).toBe("2026-02-28");
    expect(
      effectiveExpiry({ startDateOption: "DEFINE_AT_FIRST_ACTIVATION", isPermanent: false, term: { count: 1, unit: "MONTHS" } }),
    ).toBeNull();
    expect(effectiveExpiry({ startDateOption: "DEFINE_NOW", startDate: "2026-01-01", isPermanent: true })).toBeNull();
  });
});
