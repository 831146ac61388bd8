import { describe, expect, it } from "vitest";
import { TIER_DISTRIBUTOR, TIER_END_CUSTOMER } from "../enums.js";
import type { AttributeDefinition } from "./catalog.js";
import {
  entitlementAttributeProblems,
  entitlementAttributeValues,
  normaliseShipToEmail,
  resolvePartners,
  shipToEmailProblem,
  soldToTiers,
} from "./entitlements.js";

const DIST = TIER_DISTRIBUTOR;
const EC = TIER_END_CUSTOMER;
const RESELLER = "tier.reseller";

describe("resolvePartners", () => {
  it("has no partners and no problems without Sold To or a list", () => {
    expect(resolvePartners("SIMPLE", null, [])).toEqual({ partners: [], problems: [] });
    expect(resolvePartners("BULK", undefined)).toEqual({ partners: [], problems: [] });
    expect(resolvePartners("BULK", "", [])).toEqual({ partners: [], problems: [] });
  });

  it("SIMPLE: Sold To is the End Customer and the current owner", () => {
    expect(resolvePartners("SIMPLE", "C1", [])).toMatchObject({
      partners: [{ tier: EC, accountId: "C1", contactUserId: null, currentOwner: true }],
      problems: [],
    });
  });

  it("BULK: Sold To goes into Distributor (current owner) and End Customer (same account)", () => {
    expect(resolvePartners("BULK", "D1", [])).toMatchObject({
      partners: [
        { tier: DIST, accountId: "D1", contactUserId: null, currentOwner: true },
        { tier: EC, accountId: "D1", contactUserId: null, currentOwner: false },
      ],
      problems: [],
    });
  });

  it("SIMPLE: an explicit Distributor joins; the End Customer stays the owner", () => {
    const r = resolvePartners("SIMPLE", "C1", [{ tier: DIST, accountId: "D1" }]);
    expect(r.problems).toEqual([]);
    expect(r.partners).toMatchObject([
      { tier: DIST, accountId: "D1", contactUserId: null, currentOwner: false },
      { tier: EC, accountId: "C1", contactUserId: null, currentOwner: true },
    ]);
  });

  it("BULK: an explicit End Customer wins over the default; the distributor is the owner", () => {
    const r = resolvePartners("BULK", "D1", [{ tier: EC, accountId: "C9" }]);
    expect(r.problems).toEqual([]);
    expect(r.partners).toMatchObject([
      { tier: EC, accountId: "C9", contactUserId: null, currentOwner: false },
      { tier: DIST, accountId: "D1", contactUserId: null, currentOwner: true },
    ]);
  });

  it("an explicit entry for Sold To's own tier and account is kept once, with its contact", () => {
    const r = resolvePartners("SIMPLE", "C1", [{ tier: EC, accountId: "C1", contactUserId: "U1" }]);
    expect(r.problems).toEqual([]);
    expect(r.partners).toMatchObject([{ tier: EC, accountId: "C1", contactUserId: "U1", currentOwner: true }]);
    const b = resolvePartners("BULK", "D1", [{ tier: DIST, accountId: "D1", contactUserId: "U2" }]);
    expect(b.problems).toEqual([]);
    expect(b.partners).toMatchObject([
      { tier: DIST, accountId: "D1", contactUserId: "U2", currentOwner: true },
      { tier: EC, accountId: "D1", contactUserId: null, currentOwner: false },
    ]);
  });

  it("SIMPLE: Sold To conflicting with another End Customer in the list is refused on soldTo", () => {
    const r = resolvePartners("SIMPLE", "C1", [{ tier: EC, accountId: "C2" }]);
    expect(r.problems).toEqual([
      {
        field: "soldTo",
        message: "Sold To 'C1' conflicts with account 'C2' given for the same tier in channelPartners",
      },
    ]);
  });

  it("BULK: Sold To conflicting with another Distributor in the list is refused on soldTo", () => {
    const r = resolvePartners("BULK", "D1", [{ tier: DIST, accountId: "D2" }]);
    expect(r.problems).toEqual([
      {
        field: "soldTo",
        message: "Sold To 'D1' conflicts with account 'D2' given for the same tier in channelPartners",
      },
    ]);
  });

  it("a tier listed twice is refused on the second entry", () => {
    const r = resolvePartners("SIMPLE", null, [
      { tier: DIST, accountId: "D1" },
      { tier: DIST, accountId: "D2" },
    ]);
    expect(r.problems).toEqual([
      {
        field: "channelPartners[1].tier",
        message: `tier '${DIST}' is listed twice; an entitlement has one account per tier`,
      },
    ]);
    expect(r.partners.map((p) => p.accountId)).toEqual(["D1"]);
  });

  it("two current owners are refused", () => {
    const r = resolvePartners("SIMPLE", null, [
      { tier: DIST, accountId: "D1", currentOwner: true },
      { tier: EC, accountId: "C1", currentOwner: true },
    ]);
    expect(r.problems).toEqual([{ field: "channelPartners", message: "exactly one channel partner can be the current owner" }]);
  });

  it("an explicit current owner is kept; Sold To is then not the owner", () => {
    const r = resolvePartners("SIMPLE", "C1", [{ tier: DIST, accountId: "D1", currentOwner: true }]);
    expect(r.problems).toEqual([]);
    expect(r.partners.filter((p) => p.currentOwner).map((p) => p.accountId)).toEqual(["D1"]);
    const b = resolvePartners("BULK", "D1", [{ tier: RESELLER, accountId: "R1", currentOwner: true }]);
    expect(b.problems).toEqual([]);
    expect(b.partners.filter((p) => p.currentOwner).map((p) => p.accountId)).toEqual(["R1"]);
  });

  it("without Sold To and without a flagged owner, the preferred tier becomes the owner", () => {
    const simple = resolvePartners("SIMPLE", null, [
      { tier: DIST, accountId: "D1" },
      { tier: EC, accountId: "C1" },
    ]);
    expect(simple.partners.find((p) => p.currentOwner)?.accountId).toBe("C1");
    const bulk = resolvePartners("BULK", null, [
      { tier: EC, accountId: "C1" },
      { tier: DIST, accountId: "D1" },
    ]);
    expect(bulk.partners.find((p) => p.currentOwner)?.accountId).toBe("D1");
  });

  it("with neither preferred tier present, the first partner becomes the owner", () => {
    const r = resolvePartners("SIMPLE", null, [
      { tier: RESELLER, accountId: "R1" },
      { tier: "tier.other", accountId: "O1" },
    ]);
    expect(r.problems).toEqual([]);
    expect(r.partners.map((p) => [p.accountId, p.currentOwner])).toEqual([
      ["R1", true],
      ["O1", false],
    ]);
  });

  it("always leaves exactly one owner when there are partners and no problems", () => {
    const cases: Parameters<typeof resolvePartners>[] = [
      ["SIMPLE", "C1", []],
      ["BULK", "D1", []],
      ["BULK", "D1", [{ tier: EC, accountId: "C1" }]],
      ["SIMPLE", "C1", [{ tier: DIST, accountId: "D1" }]],
      ["SIMPLE", null, [{ tier: RESELLER, accountId: "R1" }]],
    ];
    for (const args of cases) {
      const r = resolvePartners(...args);
      expect(r.problems).toEqual([]);
      expect(r.partners.filter((p) => p.currentOwner)).toHaveLength(1);
    }
  });
});

describe("shipToEmailProblem", () => {
  it("accepts one address or a comma-separated list (spaces allowed around commas)", () => {
    expect(shipToEmailProblem("ops@dist.example")).toBeNull();
    expect(shipToEmailProblem("ops@dist.example, licensing@dist.example ,x@y.io")).toBeNull();
  });

  it("names the one bad address", () => {
    expect(shipToEmailProblem("a@b.co,not-an-email")).toBe("'not-an-email' is not an email address");
    expect(shipToEmailProblem("a@b")).toBe("'a@b' is not an email address");
    expect(shipToEmailProblem("a b@c.io")).toBe("'a b@c.io' is not an email address");
  });

  it("names all bad addresses", () => {
    expect(shipToEmailProblem("x, y@z.io, w")).toBe("'x', 'w' are not email addresses");
  });

  it("points at an empty entry (doubled or trailing comma)", () => {
    expect(shipToEmailProblem("a@b.co,,c@d.co")).toBe("has an empty address (check the commas)");
    expect(shipToEmailProblem("a@b.co,")).toBe("has an empty address (check the commas)");
  });

  it("allows at most 50 addresses", () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => `u${i}@x.io`).join(",");
    expect(shipToEmailProblem(list(50))).toBeNull();
    expect(shipToEmailProblem(list(51))).toBe("at most 50 addresses");
  });

  it("normalises to a list without spaces", () => {
    expect(normaliseShipToEmail(" a@b.co ,  c@d.co")).toBe("a@b.co,c@d.co");
  });
});

const attr = (a: Partial<AttributeDefinition> & Pick<AttributeDefinition, "name">): AttributeDefinition => ({
  valueType: "STRING",
  time: "ENTITLEMENT",
  required: false,
  defaultValue: null,
  allowedValues: [],
  ...a,
});

const DEFS: AttributeDefinition[] = [
  attr({ name: "SEATS", valueType: "NUMBER", required: true }),
  attr({ name: "SUPPORT_END", valueType: "DATE" }),
  attr({ name: "TRIAL", valueType: "BOOLEAN", defaultValue: "false" }),
  attr({ name: "EDITION", valueType: "ENUM", required: true, defaultValue: "STD", allowedValues: ["STD", "PRO"] }),
  attr({ name: "NOTE", valueType: "STRING" }),
  attr({ name: "HOSTNAME", valueType: "STRING", time: "FULFILLMENT", required: true, defaultValue: "any" }),
];

describe("entitlementAttributeProblems", () => {
  it("accepts right values of every type, numbers and booleans given natively or as text", () => {
    expect(
      entitlementAttributeProblems(
        DEFS,
        { SEATS: 10, SUPPORT_END: "2030-12-31", TRIAL: true, EDITION: "PRO", NOTE: "x" },
        "product.licenseModelAttributes",
      ),
    ).toEqual([]);
    expect(entitlementAttributeProblems(DEFS, { SEATS: "2.5", TRIAL: "false" }, "f")).toEqual([]);
  });

  it("requires required entitlement-time attributes without a default", () => {
    expect(entitlementAttributeProblems(DEFS, {}, "lineItems[0].licenseModelAttributes")).toEqual([
      { field: "lineItems[0].licenseModelAttributes.SEATS", message: "is required by the license model" },
    ]);
  });

  it("does not require a required attribute that has a default, nor a fulfillment-time one", () => {
    const fields = entitlementAttributeProblems(DEFS, {}, "f").map((p) => p.field);
    expect(fields).not.toContain("f.EDITION");
    expect(fields).not.toContain("f.HOSTNAME");
  });

  it("refuses wrong types with words", () => {
    expect(
      entitlementAttributeProblems(DEFS, { SEATS: "ten", SUPPORT_END: "2030-02-30", TRIAL: "yes", EDITION: "ULTRA" }, "f"),
    ).toEqual([
      { field: "f.SEATS", message: "'ten' is not a number" },
      { field: "f.SUPPORT_END", message: "'2030-02-30' is not a date in the form YYYY-MM-DD" },
      { field: "f.TRIAL", message: "'yes' is not true or false" },
      { field: "f.EDITION", message: "'ULTRA' is not one of the allowed values (STD, PRO)" },
    ]);
  });

  it("refuses unknown names and fulfillment-time attributes", () => {
    expect(entitlementAttributeProblems(DEFS, { SEATS: 1, COLOUR: "red", HOSTNAME: "h1" }, "f")).toEqual([
      { field: "f.COLOUR", message: "is not an attribute of the license model" },
      { field: "f.HOSTNAME", message: "is a fulfillment-time attribute; it is given at activation" },
    ]);
  });

  it("has nothing to check for a model without attributes, but still refuses any given", () => {
    expect(entitlementAttributeProblems([], {}, "f")).toEqual([]);
    expect(entitlementAttributeProblems([], { X: 1 }, "f")).toEqual([
      { field: "f.X", message: "is not an attribute of the license model" },
    ]);
  });
});

describe("entitlementAttributeValues", () => {
  it("stores given values as text and fills defaults of entitlement-time attributes only", () => {
    expect(entitlementAttributeValues(DEFS, { SEATS: 10, TRIAL: true, NOTE: "n" })).toEqual({
      SEATS: "10",
      TRIAL: "true",
      EDITION: "STD",
      NOTE: "n",
    });
  });

  it("a given value wins over the default; absent attributes without default stay absent", () => {
    expect(entitlementAttributeValues(DEFS, { EDITION: "PRO", TRIAL: false })).toEqual({ TRIAL: "false", EDITION: "PRO" });
  });

  it("never stores fulfillment-time attributes or unknown names", () => {
    const v = entitlementAttributeValues(DEFS, { HOSTNAME: "h", COLOUR: "red", SEATS: 1 });
    expect(v).not.toHaveProperty("HOSTNAME");
    expect(v).not.toHaveProperty("COLOUR");
  });
});

describe("Sold To's tiers", () => {
  it("fills End Customer on a simple entitlement, Distributor first then End Customer on a bulk one", () => {
    expect(soldToTiers("SIMPLE")).toEqual([EC]);
    expect(soldToTiers("BULK")).toEqual([DIST, EC]);
    // resolvePartners fills exactly these tiers from Sold To.
    for (const kind of ["SIMPLE", "BULK"] as const) {
      expect(resolvePartners(kind, "ACME").partners.map((p) => p.tier)).toEqual(soldToTiers(kind));
    }
  });
});
