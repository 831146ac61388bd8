import { FORBIDDEN_ID_CHARS, LIMITS } from "./enums";

/** Client-side checks that mirror the server's, worded the same way, for validating as you type. */
export type Check = (value: any) => string | null;

export const required =
  (what = "This field"): Check =>
  (v) =>
    v === null || v === undefined || (typeof v === "string" && v.trim() === "") || (Array.isArray(v) && v.length === 0)
      ? `${what} is required`
      : null;

export const maxLength =
  (max: number): Check =>
  (v) =>
    typeof v === "string" && v.length > max ? `Must be at most ${max} characters` : null;

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const email: Check = (v) =>
  typeof v === "string" && v.trim() !== "" && !EMAIL_RE.test(v.trim())
    ? "Enter a valid email address, like name@company.com"
    : null;

export const password: Check = (v) =>
  typeof v === "string" && v !== "" && v.length < LIMITS.passwordMin
    ? `Use at least ${LIMITS.passwordMin} characters (${v.length} so far)`
    : typeof v === "string" && v.length > LIMITS.passwordMax
      ? `Use at most ${LIMITS.passwordMax} characters`
      : null;

/** FNO's rule for IDs a user chooses (accounts, entitlements, activation IDs). */
export const idChars: Check = (v) => {
  if (typeof v !== "string") return null;
  const bad = FORBIDDEN_ID_CHARS.filter((c) => v.includes(c));
  if (bad.length > 0) return `Must not contain ${bad.map((c) => `'${c}'`).join(" ")}`;
  if (/\s/.test(v.trim())) return "Must not contain spaces";
  return null;
};

export const wholeNumber =
  (min: number): Check =>
  (v) =>
    v === "" || v === null || v === undefined
      ? null
      : typeof v !== "number" || !Number.isInteger(v) || v < min
        ? `Must be a whole number of at least ${min}`
        : null;

/** Runs checks in order and returns the first problem. */
export const all =
  (...checks: Check[]): Check =>
  (v) => {
    for (const c of checks) {
      const p = c(v);
      if (p) return p;
    }
    return null;
  };
