import { describe, expect, it } from "vitest";
import { TIER_DISTRIBUTOR as DIST, TIER_END_CUSTOMER as EC, STATE_TYPES } from "../enums.js";
import {
  currentHolder,
  daysBetween,
  derivedLineItemState,
  entitlementOpProblem,
  type LifecycleOp,
  lineageRelation,
  lineItemOpProblem,
  lineItemTransferPlan,
  relatedSourceProduct,
  renewalTerms,
  transferredId,
  transferredPartners,
  upgradePlan,
} from "./lifecycle.js";
import type { TermsInput } from "./terms.js";

const ent = (state: string, kind = "SIMPLE") => ({ entitlementId: "E-1", kind, state });
const GROW: LifecycleOp[] = ["RENEW", "UPGRADE", "UPSELL"];
const MOVE: LifecycleOp[] = ["TRANSFER", "TRANSFER_LINE_ITEM"];

describe("which entitlement states allow which operation", () => {
  const growOk = new Set(["DEPLOYED", "TEST"]);
  const moveOk = new Set(["DRAFT", "DEPLOYED", "INACTIVE", "TEST"]);
  for (const state of STATE_TYPES) {
    for (const op of [...GROW, ...MOVE]) {
      const ok = (GROW.includes(op) ? growOk : moveOk).has(state);
      it(`${op} on a ${state} simple entitlement is ${ok ? "allowed" : "refused"}`, () => {
        const p = entitlementOpProblem(op, ent(state));
        if (ok) expect(p).toBeNull();
        else expect(p).toMatch(/^Entitlement E-1 is /);
      });
    }
  }

  it("words the refusals", () => {
    expect(entitlementOpProblem("RENEW", ent("INACTIVE"))).toBe(
      "Entitlement E-1 is INACTIVE; it cannot be renewed until it is DEPLOYED again (no renew, upgrade or upsell while INACTIVE).",
    );
    expect(entitlementOpProblem("UPGRADE", ent("OBSOLETE"))).toContain("is OBSOLETE; nothing new can be done with it");
    expect(entitlementOpProblem("UPSELL", ent("DRAFT"))).toContain("deploy it before a line item can be upsold");
    expect(entitlementOpProblem("TRANSFER", ent("ON_HOLD"))).toContain("ON_HOLD awaiting producer approval");
  });

  it("never transfers a bulk entitlement: it can be split", () => {
    for (const state of STATE_TYPES) {
      expect(entitlementOpProblem("TRANSFER", ent(state, "BULK"))).toContain("it can be split");
      expect(entitlementOpProblem("TRANSFER_LINE_ITEM", ent(state, "BULK"))).toContain("cannot be transferred");
      expect(entitlementOpProblem("RENEW", ent(state, "BULK"))).toContain("bulk entitlement");
    }
  });
});

describe("which line item states allow which operation", () => {
  for (const state of STATE_TYPES) {
    for (const op of [...GROW, "TRANSFER_LINE_ITEM" as const]) {
      const ok = op === "TRANSFER_LINE_ITEM" ? state !== "OBSOLETE" : state === "DEPLOYED" || state === "TEST";
      it(`${op} of a ${state} line item is ${ok ? "allowed" : "refused"}`, () => {
        const p = lineItemOpProblem(op, { activationId: "A-1", state });
        if (ok) expect(p).toBeNull();
        else expect(p).toMatch(/^Line item A-1 is /);
      });
    }
  }
  it("says only DEPLOYED or TEST line items grow", () => {
    expect(lineItemOpProblem("RENEW", { activationId: "A-1", state: "DRAFT" })).toBe(
      "Line item A-1 is DRAFT; only DEPLOYED or TEST line items can be renewed.",
    );
  });
  it("starts derived line items DEPLOYED, or TEST on a test entitlement", () => {
    expect(derivedLineItemState("DEPLOYED")).toBe("DEPLOYED");
    expect(derivedLineItemState("TEST")).toBe("TEST");
  });
});

describe("upgrade copies", () => {
  const base = { activationId: "A-1", copies: 10, fulfilled: 3 };
  it("defaults to all copies and retires the parent", () => {
    expect(upgradePlan({ ...base, fulfilled: 0 })).toEqual({ count: 10, parent: { kind: "RETIRE" } });
  });
  it("keeps the parent of a full upgrade when asked", () => {
    expect(upgradePlan({ ...base, retireParent: false })).toEqual({ count: 10, parent: { kind: "KEEP" } });
  });
  it("takes a partial count from the parent, down to its fulfilled copies", () => {
    expect(upgradePlan({ ...base, count: 7 })).toEqual({ count: 7, parent: { kind: "REDUCE", remaining: 3 } });
    expect(upgradePlan({ ...base, count: 8 })).toMatchObject({
      status: "state",
      field: "count",
      message: expect.stringContaining("cannot drop to 2 copies: 3 of its copies are fulfilled. Upgrade at most 7"),
    });
  });
  it("refuses more copies than the line item has, and nonsense counts", () => {
    expect(upgradePlan({ ...base, count: 11 })).toMatchObject({
      status: "invalid",
      field: "count",
      message: "line item A-1 has only 10 copies; 11 cannot move",
    });
    expect(upgradePlan({ ...base, count: 0 })).toMatchObject({ status: "invalid", field: "count" });
    expect(upgradePlan({ ...base, count: 1.5 })).toMatchObject({ status: "invalid", field: "count" });
  });
  it("refuses to retire a parent with fulfilled copies or on a partial upgrade", () => {
    expect(upgradePlan(base)).toMatchObject({
      status: "state",
      message: expect.stringContaining("Return the fulfillments first"),
    });
    expect(upgradePlan({ ...base, count: 2, retireParent: true })).toMatchObject({ status: "invalid", field: "retireParent" });
  });
});

describe("line item transfer copies", () => {
  const base = { activationId: "A-1", copies: 5, fulfilled: 2 };
  it("reduces the source by the unfulfilled copies moved", () => {
    expect(lineItemTransferPlan({ ...base, count: 3 })).toEqual({ count: 3, parent: { kind: "REDUCE", remaining: 2 } });
  });
  it("never below fulfilled, and all copies only without fulfillments", () => {
    expect(lineItemTransferPlan({ ...base, count: 4 })).toMatchObject({ status: "state", field: "count" });
    expect(lineItemTransferPlan({ ...base, count: 5 })).toMatchObject({
      status: "state",
      message: expect.stringContaining("return the fulfillments first, or transfer at most 3"),
    });
    expect(lineItemTransferPlan({ ...base, fulfilled: 0, count: 5 })).toEqual({ count: 5, parent: { kind: "RETIRE" } });
  });
  it("keeps the activation ID only when all copies move", () => {
    expect(lineItemTransferPlan({ ...base, count: 1, keepIds: true })).toMatchObject({ status: "invalid", field: "keepIds" });
    expect(lineItemTransferPlan({ ...base, fulfilled: 0, count: 5, keepIds: true })).toEqual({
      count: 5,
      parent: { kind: "RETIRE" },
    });
    expect(lineItemTransferPlan({ ...base, count: 6 })).toMatchObject({ status: "invalid", field: "count" });
  });
});

describe("renewal dates", () => {
  const termed: TermsInput = {
    startDateOption: "DEFINE_NOW",
    startDate: "2025-01-31",
    isPermanent: false,
    term: { count: 1, unit: "MONTHS" },
    expirationDate: null,
  };
  it("starts where the parent ends and lasts the parent's term", () => {
    const r = renewalTerms("A-1", termed, {});
    expect(r).toEqual({
      parentExpiry: "2025-02-28",
      terms: {
        startDateOption: "DEFINE_NOW",
        startDate: "2025-02-28",
        isPermanent: false,
        term: { count: 1, unit: "MONTHS" },
        expirationDate: null,
        versionDateOption: null,
        versionDate: null,
      },
    });
  });
  it("takes a term, an expiration date or a start date", () => {
    expect(renewalTerms("A-1", termed, { term: { count: 2, unit: "YEARS" } })).toMatchObject({
      terms: { startDate: "2025-02-28", term: { count: 2, unit: "YEARS" } },
    });
    expect(renewalTerms("A-1", termed, { expirationDate: "2026-01-01" })).toMatchObject({
      terms: { startDate: "2025-02-28", term: null, expirationDate: "2026-01-01" },
    });
    expect(renewalTerms("A-1", termed, { startDate: "2025-03-01" })).toMatchObject({
      terms: { startDate: "2025-03-01", term: { count: 1, unit: "MONTHS" } },
    });
  });
  it("repeats the length of a parent with fixed dates", () => {
    const fixed: TermsInput = { ...termed, term: null, expirationDate: "2025-03-02" };
    expect(daysBetween("2025-01-31", "2025-03-02")).toBe(30);
    expect(renewalTerms("A-1", fixed, {})).toMatchObject({
      parentExpiry: "2025-03-02",
      terms: { startDate: "2025-03-02", expirationDate: "2025-04-01", term: null },
    });
  });
  it("refuses permanent parents", () => {
    expect(renewalTerms("A-1", { ...termed, isPermanent: true, term: null }, {})).toEqual({
      refusal: { status: "state", field: "isPermanent", message: "Line item A-1 is permanent; there is nothing to renew." },
    });
  });
  it("needs a start when the parent's expiry is set at activation, and a length when unknown", () => {
    const deferred: TermsInput = { ...termed, startDateOption: "DEFINE_AT_FIRST_ACTIVATION", startDate: null };
    expect(renewalTerms("A-1", deferred, {})).toMatchObject({ problems: [{ field: "startDate" }] });
    expect(renewalTerms("A-1", deferred, { startDate: "2026-01-01" })).toMatchObject({
      terms: { startDate: "2026-01-01", term: { count: 1, unit: "MONTHS" } },
    });
    const deferredExp: TermsInput = { ...deferred, term: null, expirationDate: "2027-01-01" };
    expect(renewalTerms("A-1", deferredExp, {})).toMatchObject({ problems: [{ field: "term" }] });
    expect(renewalTerms("A-1", deferredExp, { term: { count: 1, unit: "YEARS" } })).toMatchObject({
      parentExpiry: "2027-01-01",
      terms: { startDate: "2027-01-01", term: { count: 1, unit: "YEARS" } },
    });
    expect(renewalTerms("A-1", { ...deferredExp, expirationDate: null, term: null }, { startDate: "2026-01-01" })).toMatchObject({
      problems: [{ field: "term" }],
    });
  });
  it("must extend, and checks its dates", () => {
    expect(renewalTerms("A-1", termed, { startDate: "2024-01-01", term: { count: 1, unit: "DAYS" } })).toMatchObject({
      problems: [{ field: "term", message: expect.stringContaining("not after the current expiry 2025-02-28") }],
    });
    expect(renewalTerms("A-1", termed, { expirationDate: "2025-02-01" })).toMatchObject({
      problems: [{ field: "expirationDate" }],
    });
    expect(renewalTerms("A-1", termed, { term: { count: 1, unit: "DAYS" }, expirationDate: "2026-01-01" })).toMatchObject({
      problems: [{ field: "term", message: "give either a term or an expiration date, not both" }],
    });
    expect(renewalTerms("A-1", termed, { startDate: "2025-02-30" })).toMatchObject({
      problems: [{ field: "startDate", message: "must be a date YYYY-MM-DD" }],
    });
  });
});

describe("transfers and merges of channel partners", () => {
  const partners = [
    { tier: DIST, accountId: "D", contactUserId: "u1", currentOwner: false },
    { tier: EC, accountId: "A", contactUserId: "u2", currentOwner: true },
  ];
  it("renames kept IDs like FNO", () => {
    expect(transferredId("E-1", 1700000000000)).toBe("E-1-TRANSFERRED-1700000000000");
  });
  it("makes the target End Customer and current owner and copies the other tiers", () => {
    expect(currentHolder(partners)).toBe("A");
    expect(transferredPartners(partners, "B")).toEqual([
      { tier: EC, accountId: "B", contactUserId: null, currentOwner: true },
      { tier: DIST, accountId: "D", contactUserId: "u1", currentOwner: false },
    ]);
  });
});

describe("related products and lineage", () => {
  const a = { id: "a", name: "CAD", version: "1" };
  const b = { id: "b", name: "CAD", version: "2" };
  const c = { id: "c", name: "Viewer", version: "1" };
  const labels = new Map([a, b, c].map((p) => [p.id, p]));
  const relations = [{ productId: "a", relatedProductId: "b", kind: "UPGRADE" }];
  it("finds the related product of the line item", () => {
    expect(relatedSourceProduct("UPGRADE", [a], relations, b, labels)).toEqual({ sourceProductId: "a" });
  });
  it("names the allowed targets when the product is not related", () => {
    expect(relatedSourceProduct("UPGRADE", [a], relations, c, labels)).toEqual({
      status: "invalid",
      field: "productId",
      message: "product 'Viewer 1' is not an upgrade of 'CAD 1'; it can be upgraded to 'CAD 2'",
    });
    expect(relatedSourceProduct("UPSELL", [a], relations, b, labels)).toMatchObject({
      message: expect.stringContaining('no product is set as its "upsold to" product'),
    });
  });
  it("calls a move to another entitlement a transfer", () => {
    expect(lineageRelation({ entitlementPk: "e1", lineItemType: "RENEWAL" }, { entitlementPk: "e1" })).toBe("RENEWAL");
    expect(lineageRelation({ entitlementPk: "e2", lineItemType: "RENEWAL" }, { entitlementPk: "e1" })).toBe("TRANSFER");
    expect(lineageRelation({ entitlementPk: "e1", lineItemType: null }, null)).toBeNull();
  });
});
