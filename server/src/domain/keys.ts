import { specifiedIdProblem } from "./ids.js";

/** Keys load into bulk entitlements in these states only (never INACTIVE or OBSOLETE ones). */
export const KEY_LOADABLE_STATES = ["DRAFT", "TEST", "DEPLOYED"] as const;

export const KEY_STATUSES = ["UNREDEEMED", "REDEEMED"] as const;

/** Above these sizes a key request runs as a background job instead of answering at once. */
export const SYNC_GENERATE_MAX = 10_000;
export const SYNC_DELETE_ALL_MAX = 50_000;

/** One key to load, as read from a file, a request or the generator: the one shape every key load takes. */
export interface KeyRecord {
  /** 1-based line of the key in its source (for XML, the line of its opening `<webregkey>` tag; in a list, index + 1). */
  line: number;
  key: string;
}
export type KeyStatus = (typeof KEY_STATUSES)[number];

// One regex for the common, valid case: a million keys are checked per load.
const FORBIDDEN_RE = /[,"&%^()#@!~/<>\\}{=|.\u0000-\u001f\u007f]/;

/** Why a loaded key is not acceptable (FNO's specified-ID rules apply to keys too), or null. */
export function keyProblem(key: string): string | null {
  if (
    key.length > 0 &&
    key.length <= 255 &&
    !FORBIDDEN_RE.test(key) &&
    key.charCodeAt(0) !== 32 &&
    key.charCodeAt(key.length - 1) !== 32
  ) {
    return null;
  }
  return specifiedIdProblem(key);
}

/** Why keys cannot be loaded into (or deleted from) this entitlement, or null. */
export function keyLoadStateProblem(entitlementId: string, kind: string, state: string): string | null {
  if (kind !== "BULK")
    return `Entitlement ${entitlementId} is not a bulk entitlement; only bulk entitlements hold web register keys.`;
  if (!(KEY_LOADABLE_STATES as readonly string[]).includes(state)) {
    return `Bulk entitlement ${entitlementId} is ${state}; keys load only into DRAFT, TEST or DEPLOYED bulk entitlements.`;
  }
  return null;
}

/** Shows enough of a key to recognise it in logs and audit, never the whole secret. */
export function maskKey(key: string): string {
  return key.length <= 8 ? `${key.slice(0, 2)}…` : `${key.slice(0, 5)}…${key.slice(-2)}`;
}

export interface BadLine {
  line: number;
  /** As written in the file: the report goes to producer staff, who must find and fix the line. Never logged. */
  key: string;
  reason: string;
}

export interface LoadReport {
  status: "SUCCESS" | "PARTIAL_FAILURE" | "FAILURE";
  /** all-or-nothing (default) or partial (valid keys kept, the rest reported). */
  mode: "all" | "partial";
  read: number;
  loaded: number;
  rejected: number;
  /** The first bad lines (up to a limit); `rejected` counts them all. */
  badLines: BadLine[];
  truncated: boolean;
}

export const REPORT_LINE_LIMIT = 1000;
