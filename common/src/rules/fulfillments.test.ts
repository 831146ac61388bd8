import { describe, expect, it } from "vitest";
import type { AttributeDefinition } from "./catalog.js";
import {
  type ActivationItem,
  activationStateProblem,
  extraActivationProblem,
  extraActivationsLeft,
  hostCountProblem,
  policyProblem,
  resolveAttributes,
  resolveCount,
  resolveDates,
  supportStateProblem,
  windowStart,
} from "./fulfillments.js";

const item = (o: Partial<ActivationItem> = {}): ActivationItem => ({
  kind: "SIMPLE",
  entitlementState: "DEPLOYED",
  state: "DEPLOYED",
  activationId: "ACT-1",
  licenseModelId: "lm",
  startDateOption: "DEFINE_NOW",
  startDate: "2026-01-01",
  isPermanent: false,
  termCount: 1,
  termUnit: "YEARS",
  expirationDate: null,
  versionDateOption: null,
  versionDate: null,
  numberOfCopies: 10,
  fulfilledCount: 0,
  ...o,
});
const today = "2026-06-01";

describe("activation rules", () => {
  it("refuses bulk IDs and closed states in words", () => {
    expect(activationStateProblem(item({ kind: "BULK" }))).toMatch(/bulk entitlement's ID/);
    expect(activationStateProblem(item({ state: "INACTIVE" }))).toMatch(/INACTIVE/);
    expect(activationStateProblem(item({ entitlementState: "DRAFT" }))).toMatch(/DRAFT/);
    expect(activationStateProblem(item({ state: "OBSOLETE" }))).toMatch(/OBSOLETE/);
    expect(activationStateProblem(item({ licenseModelId: null }))).toMatch(/no license model/);
    expect(activationStateProblem(item({ state: "TEST", entitlementState: "TEST" }))).toBeNull();
  });

  it("works out start, expiry and version dates by option", () => {
    expect(resolveDates(item(), {}, today)).toEqual({
      start: "2026-01-01",
      expiry: "2027-01-01",
      versionDate: null,
      writeBack: null,
    });
    expect(resolveDates(item({ startDate: "2026-07-01" }), {}, today)).toMatchObject({ field: "startDate" });
    expect(resolveDates(item({ termCount: null, termUnit: null, expirationDate: "2026-06-01" }), {}, today)).toMatchObject({
      field: "expirationDate",
      message: expect.stringMatching(/expired on 2026-06-01/),
    });
    const first = item({ startDateOption: "DEFINE_AT_FIRST_ACTIVATION", startDate: null });
    expect(resolveDates(first, {}, today)).toMatchObject({ field: "startDate", message: expect.stringMatching(/required/) });
    expect(resolveDates(first, { startDate: "2026-05-01" }, today)).toMatchObject({
      start: "2026-05-01",
      writeBack: "2026-05-01",
    });
    const set = item({ startDateOption: "DEFINE_AT_FIRST_ACTIVATION", startDate: "2026-05-01" });
    expect(resolveDates(set, { startDate: "2026-05-02" }, today)).toMatchObject({ field: "startDate" });
    expect(resolveDates(set, {}, today)).toMatchObject({ start: "2026-05-01", writeBack: null });
    const act = item({ startDateOption: "DEFINE_ACTDATE_AT_FIRST_ACTIVATION", startDate: null });
    expect(resolveDates(act, {}, today)).toMatchObject({ start: today, writeBack: today });
    const each = item({ startDateOption: "DEFINE_AT_EACH_ACTIVATION", startDate: null, isPermanent: true, termCount: null });
    expect(resolveDates(each, { startDate: "2026-02-02" }, today)).toMatchObject({ start: "2026-02-02", expiry: null });
    const v = item({ versionDateOption: "DEFINE_VERSION_DATE_LATER" });
    expect(resolveDates(v, {}, today)).toMatchObject({ field: "versionDate" });
    expect(resolveDates(v, { versionDate: "2026-03-03" }, today)).toMatchObject({ versionDate: "2026-03-03" });
    expect(resolveDates(item({ versionDateOption: "USE_ACTIVATION_DATE" }), {}, today)).toMatchObject({ versionDate: today });
  });

  it("counts hosts and copies", () => {
    expect(hostCountProblem("FLOATING", 2)).toMatch(/1 or 3/);
    expect(hostCountProblem("FLOATING", 3)).toBeNull();
    expect(resolveCount("NODE_LOCKED_UNCOUNTED", 2, undefined)).toBe(2);
    expect(resolveCount("NODE_LOCKED_UNCOUNTED", 2, 3)).toMatchObject({ field: "count" });
    expect(resolveCount("FLOATING", 1, undefined)).toBe(1);
  });

  it("resolves attributes by type, with defaults and required ones", () => {
    const defs: AttributeDefinition[] = [
      { name: "seats", valueType: "NUMBER", time: "FULFILLMENT", required: true, defaultValue: null, allowedValues: [] },
      { name: "pro", valueType: "BOOLEAN", time: "FULFILLMENT", required: false, defaultValue: "false", allowedValues: [] },
      { name: "region", valueType: "STRING", time: "ENTITLEMENT", required: true, defaultValue: null, allowedValues: [] },
    ];
    expect(resolveAttributes(defs, { seats: 3 })).toEqual({ values: { seats: 3, pro: false } });
    expect(resolveAttributes(defs, {})).toEqual({
      problems: [{ field: "attributes.seats", message: expect.stringMatching(/required/) }],
    });
    expect(resolveAttributes(defs, { seats: "x", other: 1 })).toMatchObject({
      problems: [{ field: "attributes.other" }, { field: "attributes.seats" }],
    });
  });
});

describe("support rules", () => {
  it("needs an ACTIVE fulfillment and an item that is not INACTIVE", () => {
    const f = { state: "ACTIVE", fulfillmentId: "FID_1" };
    const li = { state: "DEPLOYED", entitlementState: "DEPLOYED", activationId: "A" };
    expect(supportStateProblem("REHOST", { ...f, state: "OBSOLETE" }, li)).toMatch(/only an ACTIVE/);
    expect(supportStateProblem("RETURN", f, { ...li, state: "INACTIVE" })).toMatch(/INACTIVE/);
    expect(supportStateProblem("REHOST", f, { ...li, state: "OBSOLETE" })).toMatch(/OBSOLETE/);
    expect(supportStateProblem("RETURN", f, { ...li, state: "OBSOLETE" })).toBeNull();
  });

  it("words a reached limit with the next possible day", () => {
    expect(policyProblem("REHOST", 1, 2, null, null)).toBeNull();
    expect(policyProblem("REHOST", 2, null, null, null)).toBeNull();
    expect(policyProblem("REHOST", 2, 2, { count: 1, unit: "YEARS" }, "2026-03-01T10:00:00.000Z")).toBe(
      "2 of 2 rehosts allowed per 1 YEARS already used; next one possible on 2027-03-01.",
    );
    expect(policyProblem("RETURN", 0, 0, null, null)).toMatch(/0 of 0 returns allowed over the line item's life/);
    expect(windowStart(new Date("2026-03-01T10:00:00.000Z"), { count: 1, unit: "MONTHS" })).toBe("2026-02-01T10:00:00.000Z");
    expect(windowStart(new Date(), null)).toBeNull();
  });
});

describe("extraActivationProblem", () => {
  const yearly = { count: 1, unit: "YEARS" as const };
  it("allows what the policy leaves, unlimited with null", () => {
    expect(extraActivationProblem(2, 10, 5, 0, 3, yearly)).toBeNull();
    expect(extraActivationProblem(0, 10, 100, 50, null, null)).toBeNull();
    expect(extraActivationsLeft(4, 5)).toBe(1);
    expect(extraActivationsLeft(7, 5)).toBe(0);
    expect(extraActivationsLeft(7, null)).toBeNull();
  });
  it("refuses past it in words", () => {
    expect(extraActivationProblem(2, 10, 3, 5, 5, yearly)).toBe(
      "Only 2 of 10 copies are available and the license model allows no more extra activations (5 of 5 used per 1 YEARS).",
    );
    expect(extraActivationProblem(1, 10, 4, 4, 5, null)).toBe(
      "Only 1 of 10 copies is available; this license needs 4, and the license model allows only 1 more extra activation (4 of 5 used over the line item's life).",
    );
    expect(extraActivationProblem(0, 10, 1, 0, 0, null)).toBe(
      "Only 0 of 10 copies are available; this license needs 1. The license model allows no extra activations.",
    );
  });
});
