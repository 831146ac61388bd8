import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as zxcvbnCommon from "@zxcvbn-ts/language-common";
import * as zxcvbnEn from "@zxcvbn-ts/language-en";
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
const ESTIMATE_CHARS = 32;

let estimator: ZxcvbnFactory | null = null;
/** Built on first use: the dictionaries take ~0.5 s to load and most processes never need them. */
function zxcvbn(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEn.translations,
  });
  return estimator;
}

/**
 * Password rules: NIST 800-63B style — length, and not a common, guessable or trivially patterned
 * password (zxcvbn-ts: its list of common passwords, words and names, and its pattern matchers).
 * `userInputs` (email, names, company) count as known words. Returns the problem in words or null.
 */
export function passwordProblem(password: string, email?: string, userInputs: string[] = []): string | null {
  if (password.length < LIMITS.passwordMin) return `must be at least ${LIMITS.passwordMin} characters`;
  if (password.length > LIMITS.passwordMax) return `must be at most ${LIMITS.passwordMax} characters`;
  if (email && password.toLowerCase() === email.toLowerCase()) return "must not be your email address";
  if (/^(.)\1*$/.test(password)) return "must not be one character repeated";
  const inputs = [...userInputs, ...(email ? [email, ...email.split(/[@.+_-]/)] : [])].filter((s) => s.length >= 3);
  const r = zxcvbn().check(password.slice(0, ESTIMATE_CHARS), inputs);
  if (r.score >= MIN_SCORE) return null;
  const why = (r.feedback.warning ?? "").replace(/\.$/, "");
  return `is too easy to guess${why ? ` (${why.charAt(0).toLowerCase()}${why.slice(1)})` : ""}: use a longer passphrase of uncommon words, or a password manager`;
}
