import type { StateType } from "../enums.js";

/**
 * Which bulk entitlements take and give web register keys (PRODUCT.md §3). Pure and shared: the
 * server's load and redemption (and the SQL that guards them), the CLI and the portal all ask here.
 */

/** Keys load into (and are deleted from) bulk entitlements in these states only: never INACTIVE or OBSOLETE ones. */
export const KEY_LOADABLE_STATES = ["DRAFT", "TEST", "DEPLOYED"] as const satisfies readonly StateType[];

/** A key is redeemed only while its bulk entitlement is in one of these states (a DRAFT offer is not released yet). */
export const KEY_REDEEMABLE_STATES = ["DEPLOYED", "TEST"] as const satisfies readonly StateType[];

export const KEY_STATUSES = ["UNREDEEMED", "REDEEMED"] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

/** True when keys can be loaded into a bulk entitlement in `state` (stored states are plain strings). */
export function isKeyLoadable(state: string): boolean {
  return (KEY_LOADABLE_STATES as readonly string[]).includes(state);
}

/** True when keys of a bulk entitlement in `state` can be redeemed. */
export function isKeyRedeemable(state: string): boolean {
  return (KEY_REDEEMABLE_STATES as readonly string[]).includes(state);
}

/** Why keys cannot be loaded into (or deleted from) this entitlement, or null. */
export function keyLoadStateProblem(entitlementId: string, kind: string, state: string): string | null {
  if (kind !== "BULK")
    return `Entitlement ${entitlementId} is not a bulk entitlement; only bulk entitlements hold web register keys.`;
  if (!isKeyLoadable(state)) {
    return `Bulk entitlement ${entitlementId} is ${state}; keys load only into DRAFT, TEST or DEPLOYED bulk entitlements.`;
  }
  return null;
}
