import crypto from "node:crypto";
import { canonicalize } from "./canonical.js";

/** Unpadded base64url (RFC 4648 §5) of bytes or of a string's UTF-8. */
export function b64url(data: Uint8Array | string): string {
  return (
    typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  ).toString("base64url");
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Strict unpadded base64url decoding: Node's decoder skips characters it does not know, so the
 * text is checked first and must re-encode to itself (no padding, no non-zero trailing bits).
 * Returns null for anything else.
 */
export function fromB64url(text: string): Buffer | null {
  if (!B64URL.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? bytes : null;
}

/** UTF-8 bytes to text, refusing invalid UTF-8 (null). */
export function utf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** A public key as the server publishes it: an RFC 8037 OKP JWK plus Licensor's status and dates. */
export interface PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  alg?: "EdDSA";
  use?: "sig";
  kid: string;
  /** The 32-byte Ed25519 public key, base64url. */
  x: string;
  status?: "active" | "retired";
  createdAt?: string;
  retiredAt?: string | null;
}

/** The key set `GET /api/v1/license-keys` answers (JWKS, RFC 7517 §5). */
export interface Jwks {
  keys: PublicJwk[];
}

/**
 * The key ID of an Ed25519 public key: its RFC 7638 JWK thumbprint, i.e. base64url(SHA-256 of
 * `{"crv":"Ed25519","kty":"OKP","x":"<x>"}`). Anyone can recompute it from the public key alone.
 */
export function keyIdOf(x: string): string {
  return b64url(
    crypto
      .createHash("sha256")
      .update(canonicalize({ crv: "Ed25519", kty: "OKP", x }))
      .digest(),
  );
}

/** The base64url `x` of an Ed25519 public KeyObject. */
export function publicX(key: crypto.KeyObject): string {
  const jwk = key.export({ format: "jwk" });
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") throw new TypeError("not an Ed25519 key");
  return jwk.x;
}
