import { FORBIDDEN_ID_CHARS, LIMITS } from "../../../common/src/limits.js";

/**
 * FNO's rule for any user-specified ID (entitlement, activation, account, part number, key):
 * 1–255 characters, none of `, " & % ^ ( ) # @ ! ~ / < > \ } { = | .`, no leading/trailing spaces.
 * Returns the problem in words, or null when the ID is acceptable.
 */
export function specifiedIdProblem(id: string): string | null {
  if (id.length === 0) return "must not be empty";
  if (id.length > LIMITS.idMax) return `must be at most ${LIMITS.idMax} characters`;
  if (id !== id.trim()) return "must not start or end with a space";
  const bad = [...new Set([...id].filter((c) => FORBIDDEN_ID_CHARS.includes(c)))];
  if (bad.length > 0) return `must not contain ${bad.map((c) => `'${c}'`).join(" ")}`;
  if (/[\u0000-\u001f\u007f]/.test(id)) return "must not contain control characters";
  return null;
}
