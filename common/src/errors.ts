/** Stable machine codes carried in every problem+json body (`code`). Never renamed once shipped. */
export const ERROR_CODES = {
  validation: "validation_failed",
  notFound: "not_found",
  routeNotFound: "route_not_found",
  conflict: "conflict",
  alreadyExists: "already_exists",
  inUse: "in_use",
  invalidState: "invalid_state",
  /** An activation asked for more copies than the line item has left. */
  notEnoughCopies: "not_enough_copies",
  /** A host already holds an active license for the line item. */
  hostLicensed: "host_already_licensed",
  /** A return, rehost or repair past the license model's policy. */
  policyLimit: "policy_limit_reached",
  unauthenticated: "unauthenticated",
  invalidCredentials: "invalid_credentials",
  loginLocked: "login_locked",
  forbidden: "forbidden",
  csrf: "csrf_token_invalid",
  rateLimited: "rate_limited",
  payloadTooLarge: "payload_too_large",
  unsupportedMediaType: "unsupported_media_type",
  idempotencyMismatch: "idempotency_key_reused",
  idempotencyInProgress: "idempotency_key_in_progress",
  internal: "internal_error",
  unavailable: "service_unavailable",
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** RFC 9457 problem details as Licensor renders them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  /** JSON path-ish name of the offending field, e.g. `address.country` or `features[2].name`. */
  field?: string;
  errors?: { field: string; message: string }[];
  requestId?: string;
}

/** One field's problem in words, as the rules report it (a `Problem`'s `errors` entries). */
export interface FieldProblem {
  field: string;
  message: string;
}
