import crypto from "node:crypto";
import { v7 as uuidv7 } from "uuid";

/** Time-ordered unique id: sorts by creation, so it doubles as a keyset for append-only tables. */
export const newId = (): string => uuidv7();

export const nowIso = (): string => new Date().toISOString();

export const sha256 = (s: string): string => crypto.createHash("sha256").update(s).digest("hex");

export const randomToken = (bytes = 32): string => crypto.randomBytes(bytes).toString("base64url");

/** Constant-time string equality (for CSRF tokens and other secrets). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && crypto.timingSafeEqual(ab, bb);
}

export const bool = (n: number | boolean | null | undefined): boolean => n === 1 || n === true;
export const int = (b: boolean): number => (b ? 1 : 0);
