import { specifiedIdProblem } from "./ids.js";

/** One key to load, as read from a file, a request or the generator: the one shape every key load takes. */
export interface KeyRecord {
  /** 1-based line of the key in its source (for XML, the line of its opening `<webregkey>` tag; in a list, index + 1). */
  line: number;
  key: string;
}

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
