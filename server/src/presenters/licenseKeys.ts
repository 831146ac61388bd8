import type { LicenseKey } from "../../../common/src/api/licenseKeys.js";
import type { SigningKeyRow } from "../licensing/keyring.js";

/** A signing key as its public JWK: never the sealed private half. */
export function presentLicenseKey(row: SigningKeyRow): LicenseKey {
  return {
    kty: "OKP",
    crv: "Ed25519",
    alg: "EdDSA",
    use: "sig",
    kid: row.kid,
    x: row.public_x,
    status: row.status === "ACTIVE" ? "active" : "retired",
    createdAt: row.created_at,
    retiredAt: row.retired_at,
  };
}
