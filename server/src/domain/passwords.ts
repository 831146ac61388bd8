import { LIMITS } from "../../../common/src/limits.js";

/**
 * zxcvbn's score 3 ("safely unguessable: moderate protection from offline slow-hash scenario",
 * about 10^8 guesses) is the floor: it refuses common passwords (`password1234`), sequences and
 * keyboard walks (`123456789012`, `qwertyuiop12`), repeats and dates, and their l33t forms.
 */
const MIN_SCORE = 3;
/**
 * zxcvbn's matching grows faster than linearly with length (a 64-character random string took
 * ~0.5 s on the 2-core machine, 32 characters ~30-170 ms). Only the first 32 characters are
 * estimated: a password that is weak there is weak, and more characters only add to a strong one.
 */
export const ESTIMATE_CHARS = 32;

/** What zxcvbn says of a password: its score (0-4) and its warning in words ("" for none). */
export interface GuessEstimate {
  score: number;
  warning: string;
}

/**
 * Password rules: NIST 800-63B style — length, and not a common, guessable or trivially patterned
 * password. The rules that need no dictionary; null when the password passes them.
 */
export function passwordShapeProblem(password: string, email?: string): string | null {
  if (password.length < LIMITS.passwordMin) return `must be at least ${LIMITS.passwordMin} characters`;
  if (password.length > LIMITS.passwordMax) return `must be at most ${LIMITS.passwordMax} characters`;
  if (email && password.toLowerCase() === email.toLowerCase()) return "must not be your email address";
  if (/^(.)\1*$/.test(password)) return "must not be one character repeated";
  return null;
}

/** The words zxcvbn counts as known for this user: `userInputs` (names, company) and the email's parts. */
export function knownWords(email: string | undefined, userInputs: string[]): string[] {
  return [...userInputs, ...(email ? [email, ...email.split(/[@.+_-]/)] : [])].filter((s) => s.length >= 3);
}

/** The problem, in words, with a password zxcvbn estimated so; null when it is hard enough to guess. */
export function guessProblem(estimate: GuessEstimate): string | null {
  if (estimate.score >= MIN_SCORE) return null;
  const why = estimate.warning.replace(/\.$/, "");
  return `is too easy to guess${why ? ` (${why.charAt(0).toLowerCase()}${why.slice(1)})` : ""}: use a longer passphrase of uncommon words, or a password manager`;
}
