import { LIMITS } from "../../../common/src/limits.js";

/** Password rules (NIST 800-63B style: length over composition). Returns the problem in words or null. */
export function passwordProblem(password: string, email?: string): string | null {
  if (password.length < LIMITS.passwordMin) return `must be at least ${LIMITS.passwordMin} characters`;
  if (password.length > LIMITS.passwordMax) return `must be at most ${LIMITS.passwordMax} characters`;
  if (email && password.toLowerCase() === email.toLowerCase()) return "must not be your email address";
  if (/^(.)\1*$/.test(password)) return "must not be one character repeated";
  return null;
}
