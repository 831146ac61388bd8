import crypto from "node:crypto";
import { promisify } from "node:util";
import { passwordProblem } from "./passwordStrength.js";

const scrypt = promisify(crypto.scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: crypto.ScryptOptions,
) => Promise<Buffer>;

// OWASP's scrypt minimum (N=2^17, r=8, p=1) costs 128 MiB per hash; 2^15 keeps login under
// ~100 ms on two cores while staying far beyond GPU-friendly cost. Stored per hash, so raising
// it later re-hashes nothing that already works.
const N = 2 ** 15;
const R = 8;
const P = 1;
const KEYLEN = 32;
const MAXMEM = 256 * 1024 * 1024;

/** `scrypt$N$r$p$salt$hash`, base64url parts. */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password.normalize("NFKC"), salt, KEYLEN, { N, r: R, p: P, maxmem: MAXMEM });
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

// A real hash of a random password: verifying against it costs the same as a real check, so a
// login for an unknown email takes as long as one for a known email.
let dummyHash: Promise<string> | null = null;
const getDummyHash = () => {
  dummyHash ??= hashPassword(crypto.randomBytes(16).toString("hex"));
  return dummyHash;
};

/** Constant-time check; `stored` null (no password set / unknown user) still spends the full cost. */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const target = stored ?? (await getDummyHash());
  const parts = target.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [, n, r, p, saltB64, keyB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(keyB64, "base64url");
  const key = await scrypt(password.normalize("NFKC"), Buffer.from(saltB64, "base64url"), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAXMEM,
  });
  return crypto.timingSafeEqual(key, expected) && stored !== null;
}

/**
 * A readable generated password: 20 chars from an unambiguous alphabet (~100 bits). It passes the
 * same policy as a typed one; a draw the policy refuses (a word or a run by chance) is drawn again.
 */
export async function generatePassword(): Promise<string> {
  const alphabet = "ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789";
  for (;;) {
    let out = "";
    for (let i = 0; i < 20; i++) out += alphabet[crypto.randomInt(alphabet.length)];
    if ((await passwordProblem(out)) === null) return out;
  }
}
