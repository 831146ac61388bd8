import { describe, expect, it } from "vitest";
import { STATE_TYPES } from "../enums.js";
import { isKeyLoadable, isKeyRedeemable, keyLoadStateProblem } from "./keys.js";

describe("which bulk entitlements take and give keys", () => {
  it("loads keys into DRAFT, TEST and DEPLOYED bulk entitlements only", () => {
    expect(STATE_TYPES.filter(isKeyLoadable)).toEqual(["DRAFT", "DEPLOYED", "TEST"]);
    for (const state of ["DRAFT", "TEST", "DEPLOYED"]) expect(keyLoadStateProblem("B-1", "BULK", state)).toBeNull();
    expect(keyLoadStateProblem("B-1", "BULK", "INACTIVE")).toBe(
      "Bulk entitlement B-1 is INACTIVE; keys load only into DRAFT, TEST or DEPLOYED bulk entitlements.",
    );
    expect(keyLoadStateProblem("B-1", "BULK", "OBSOLETE")).toContain("is OBSOLETE");
    expect(keyLoadStateProblem("B-1", "BULK", "ON_HOLD")).toContain("is ON_HOLD");
  });

  it("refuses keys for a simple entitlement whatever its state", () => {
    expect(keyLoadStateProblem("E-1", "SIMPLE", "DRAFT")).toBe(
      "Entitlement E-1 is not a bulk entitlement; only bulk entitlements hold web register keys.",
    );
  });

  it("redeems keys only of DEPLOYED or TEST bulk entitlements (a DRAFT offer is not released)", () => {
    expect(STATE_TYPES.filter(isKeyRedeemable)).toEqual(["DEPLOYED", "TEST"]);
    expect(isKeyRedeemable("DRAFT")).toBe(false);
    expect(isKeyRedeemable("deployed")).toBe(false);
  });
});
