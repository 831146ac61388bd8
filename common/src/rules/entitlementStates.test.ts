import { describe, expect, it } from "vitest";
import { STATE_TYPES, type StateType } from "../enums.js";
import {
  canAddLineItems,
  canMove,
  cascadedLineItemState,
  isEditable,
  isEditableState,
  isLineItemDeletable,
  lineItemMoveProblem,
  movesFrom,
  transitionProblem,
} from "./entitlementStates.js";

const ALLOWED = new Set([
  "DRAFT>DEPLOYED",
  "DRAFT>OBSOLETE",
  "DEPLOYED>INACTIVE",
  "DEPLOYED>OBSOLETE",
  "INACTIVE>DEPLOYED",
  "INACTIVE>OBSOLETE",
  "ON_HOLD>DEPLOYED",
]);

describe("entitlement state transitions", () => {
  for (const from of STATE_TYPES) {
    for (const to of STATE_TYPES) {
      const ok = ALLOWED.has(`${from}>${to}`);
      it(`${from} → ${to} is ${ok ? "allowed" : "refused"}`, () => {
        expect(canMove(from, to)).toBe(ok);
        const p = transitionProblem("Entitlement E-1", from, to);
        if (ok) expect(p).toBeNull();
        else if (from === to) expect(p).toBe(`Entitlement E-1 is already ${from}.`);
        else expect(p).toMatch(new RegExp(`^Entitlement E-1 cannot be moved from ${from} to ${to}`));
      });
    }
  }

  it("explains terminal states", () => {
    expect(transitionProblem("X", "TEST", "DEPLOYED")).toContain("test entitlements never change state");
    expect(transitionProblem("X", "OBSOLETE", "DEPLOYED")).toContain("OBSOLETE is permanent");
    expect(transitionProblem("X", "DEPLOYED", "DRAFT")).toBe(
      "X cannot be moved from DEPLOYED to DRAFT; from DEPLOYED it can only go to INACTIVE or OBSOLETE.",
    );
  });

  it("edits only DRAFT and TEST, or dates and descriptions of DEPLOYED with the setting", () => {
    const states: StateType[] = ["DRAFT", "TEST"];
    for (const s of STATE_TYPES) expect(isEditable(s, false)).toBe(states.includes(s));
    expect(isEditable("DEPLOYED", true, "datesOrDescription")).toBe(true);
    expect(isEditable("DEPLOYED", true, "any")).toBe(false);
    expect(isEditable("INACTIVE", true, "datesOrDescription")).toBe(false);
  });

  it("cascades to line items", () => {
    expect(cascadedLineItemState("DRAFT", "DEPLOYED", "DRAFT")).toBe("DEPLOYED");
    expect(cascadedLineItemState("DRAFT", "DEPLOYED", "OBSOLETE")).toBe("OBSOLETE");
    expect(cascadedLineItemState("DEPLOYED", "INACTIVE", "DEPLOYED")).toBe("INACTIVE");
    expect(cascadedLineItemState("DEPLOYED", "INACTIVE", "DRAFT")).toBe("DRAFT");
    expect(cascadedLineItemState("INACTIVE", "DEPLOYED", "INACTIVE")).toBe("DEPLOYED");
    // Reactivating never deploys a DRAFT item: it was added after the deploy and never checked.
    expect(cascadedLineItemState("INACTIVE", "DEPLOYED", "DRAFT")).toBe("DRAFT");
    expect(cascadedLineItemState("DEPLOYED", "OBSOLETE", "INACTIVE")).toBe("OBSOLETE");
  });

  it("refuses line-item moves against the entitlement state and the used-items setting", () => {
    const unused = { fulfilled: 0, allowUsedToInactiveObsolete: false };
    expect(lineItemMoveProblem("A-1", "DRAFT", "DRAFT", "DEPLOYED", unused)).toContain("deploy the entitlement first");
    expect(lineItemMoveProblem("A-1", "DEPLOYED", "DRAFT", "DEPLOYED", unused)).toBeNull();
    const used = { fulfilled: 2, allowUsedToInactiveObsolete: false };
    expect(lineItemMoveProblem("A-1", "DEPLOYED", "DEPLOYED", "INACTIVE", used)).toContain("2 fulfilled copies");
    expect(
      lineItemMoveProblem("A-1", "DEPLOYED", "DEPLOYED", "OBSOLETE", { ...used, allowUsedToInactiveObsolete: true }),
    ).toBeNull();
  });

  it("lists the moves from each state as the transitions allow them, none from an unknown state", () => {
    for (const from of STATE_TYPES) {
      const expected = STATE_TYPES.filter((to) => ALLOWED.has(`${from}>${to}`));
      expect([...movesFrom(from)].sort()).toEqual([...expected].sort());
    }
    expect(movesFrom("SOMETHING_ELSE")).toEqual([]);
  });

  it("answers the state questions of stored (string) states: edit, delete a line item, add line items", () => {
    expect(STATE_TYPES.filter(isEditableState)).toEqual(["DRAFT", "TEST"]);
    expect(STATE_TYPES.filter(isLineItemDeletable)).toEqual(["DRAFT", "OBSOLETE", "TEST"]);
    expect(STATE_TYPES.filter(canAddLineItems)).toEqual(["DRAFT", "DEPLOYED", "TEST"]);
    expect(isEditableState("draft")).toBe(false);
  });
});
