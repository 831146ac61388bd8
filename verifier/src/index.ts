/**
 * @licensor/verifier: verifies Licensor's signed licenses offline (docs/LICENSE-FORMAT.md) and
 * writes and reads offline activation requests. Node's own crypto only; no dependencies.
 */
export {
  ACTIVATION_REQUEST_FORMAT,
  type ActivationRequest,
  ActivationRequestError,
  readActivationRequest,
  writeActivationRequest,
} from "./activationRequest.js";
export { canonicalBytes, canonicalize } from "./canonical.js";
export { b64url, fromB64url, type Jwks, keyIdOf, type PublicJwk, publicX } from "./encoding.js";
export {
  claimsProblem,
  decodeLicense,
  encodeLicense,
  HOST_TYPES,
  type HostId,
  type HostType,
  LICENSE_BEGIN,
  LICENSE_END,
  LICENSE_FORMAT,
  LICENSE_TYP,
  type LicenseClaims,
  type LicenseFeature,
  type LicenseHeader,
  licenseFile,
  licenseText,
  signClaims,
  signingInput,
} from "./license.js";
export {
  compareVersions,
  DEFAULT_CLOCK_SKEW_SECONDS,
  normalizeHostId,
  VERIFY_CODES,
  type VerifyCode,
  type VerifyOptions,
  type VerifyResult,
  verifyLicense,
} from "./verify.js";
