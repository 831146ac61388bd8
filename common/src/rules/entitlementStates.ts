import type { StateType } from "../enums.js";

/**
 * The entitlement/line-item state machine (PRODUCT.md §3): DRAFT → DEPLOYED; DEPLOYED ↔ INACTIVE;
 * DRAFT, DEPLOYED, INACTIVE → OBSOLETE (permanent); ON_HOLD → DEPLOYED on producer approval;
 * TEST never changes state. Pure; the commands add the checks that need data (deployed products…).
 */
export const TRANSITIONS = {
  DRAFT: ["DEPLOYED", "OBSOLETE"],
  DEPLOYED: ["INACTIVE", "OBSOLETE"],
  INACTIVE: ["DEPLOYED", "OBSOLETE"],
  OBSOLETE: [],
  TEST: [],
  ON_HOLD: ["DEPLOYED"],
} as const satisfies Record<StateType, readonly StateType[]>;

/** The states an entitlement or line item can be moved to (the portal words each one as an action). */
export type MoveTarget = (typeof TRANSITIONS)[StateType][number];

/** The legal moves from `state` (stored states are plain strings; an unknown one has none). */
export function movesFrom(state: string): readonly MoveTarget[] {
  return (TRANSITIONS as Record<string, readonly MoveTarget[] | undefined>)[state] ?? [];
}

export function canMove(from: StateType, to: StateType): boolean {
  return (TRANSITIONS[from] as readonly StateType[]).includes(to);
}

/** FNO-like refusal wording: "Entitlement X cannot be moved from DEPLOYED to DRAFT." plus what is possible. */
export function transitionProblem(what: string, from: StateType, to: StateType): string | null {
  if (canMove(from, to)) return null;
  if (from === to) return `${what} is already ${from}.`;
  const base = `${what} cannot be moved from ${from} to ${to}`;
  if (from === "TEST") return `${base}: test entitlements never change state.`;
  if (from === "OBSOLETE") return `${base}: OBSOLETE is permanent.`;
  return `${base}; from ${from} it can only go to ${TRANSITIONS[from].join(" or ")}.`;
}

/** Entitlements (and their line items) may be edited or deleted only in these states. */
export const EDITABLE_STATES: readonly StateType[] = ["DRAFT", "TEST"];

/** True when an entitlement or line item in `state` may be edited or deleted (no "edit deployed" setting). */
export function isEditableState(state: string): boolean {
  return (EDITABLE_STATES as readonly string[]).includes(state);
}

export function isEditable(state: StateType, allowEditDeployed: boolean, field: "any" | "datesOrDescription" = "any"): boolean {
  if (EDITABLE_STATES.includes(state)) return true;
  return allowEditDeployed && field === "datesOrDescription" && state === "DEPLOYED";
}

/** Line items can be deleted while DRAFT, TEST or OBSOLETE (FNO). */
export const LINE_ITEM_DELETABLE: readonly StateType[] = ["DRAFT", "TEST", "OBSOLETE"];

export function isLineItemDeletable(state: string): boolean {
  return (LINE_ITEM_DELETABLE as readonly string[]).includes(state);
}

/** A simple entitlement takes new line items while DRAFT, TEST or DEPLOYED. */
export const LINE_ITEM_ADDABLE: readonly StateType[] = ["DRAFT", "TEST", "DEPLOYED"];

export function canAddLineItems(state: string): boolean {
  return (LINE_ITEM_ADDABLE as readonly string[]).includes(state);
}

/**
 * How a line item follows its entitlement's move: the first deploy deploys DRAFT items (their
 * checks ran), reactivating brings INACTIVE ones back (DRAFT ones stay DRAFT: they were never
 * checked), inactivating inactivates DEPLOYED ones, obsoleting obsoletes everything.
 */
export function cascadedLineItemState(entitlementFrom: StateType, entitlementTo: StateType, lineItemState: StateType): StateType {
  switch (entitlementTo) {
    case "DEPLOYED":
      if (entitlementFrom === "INACTIVE") return lineItemState === "INACTIVE" ? "DEPLOYED" : lineItemState;
      return lineItemState === "DRAFT" ? "DEPLOYED" : lineItemState;
    case "INACTIVE":
      return lineItemState === "DEPLOYED" ? "INACTIVE" : lineItemState;
    case "OBSOLETE":
      return "OBSOLETE";
    default:
      return lineItemState;
  }
}

/** Why a line item cannot make this move given its entitlement's state, or null. */
export function lineItemMoveProblem(
  activationId: string,
  entitlementState: StateType,
  from: StateType,
  to: StateType,
  usedItemRule: { fulfilled: number; allowUsedToInactiveObsolete: boolean },
): string | null {
  const p = transitionProblem(`Line item ${activationId}`, from, to);
  if (p) return p;
  if (to === "DEPLOYED" && entitlementState !== "DEPLOYED") {
    return `Line item ${activationId} cannot be DEPLOYED while its entitlement is ${entitlementState}; deploy the entitlement first.`;
  }
  if ((to === "INACTIVE" || to === "OBSOLETE") && usedItemRule.fulfilled > 0 && !usedItemRule.allowUsedToInactiveObsolete) {
    return `Line item ${activationId} has ${usedItemRule.fulfilled} fulfilled copies; enable "allow used items to go INACTIVE/OBSOLETE" in Settings to move it to ${to}.`;
  }
  return null;
}
