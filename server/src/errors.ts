import { ERROR_CODES, type ErrorCode } from "../../common/src/errors.js";

/**
 * The one error type commands and routes throw. The errors plugin renders it as RFC 9457
 * problem+json; anything else becomes a 500 whose details stay in the log.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    readonly title: string,
    message: string,
    readonly field?: string,
    readonly errors?: { field: string; message: string }[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const errors = {
  validation: (field: string, message: string) =>
    new AppError(400, ERROR_CODES.validation, "Invalid input", `${field}: ${message}`, field, [{ field, message }]),
  validationMany: (list: { field: string; message: string }[]) =>
    new AppError(
      400,
      ERROR_CODES.validation,
      "Invalid input",
      list.map((e) => `${e.field}: ${e.message}`).join("; "),
      list[0]?.field,
      list,
    ),
  notFound: (what: string, id?: string) =>
    new AppError(404, ERROR_CODES.notFound, "Not found", id ? `${what} '${id}' was not found.` : `${what} was not found.`),
  alreadyExists: (field: string, message: string) =>
    new AppError(409, ERROR_CODES.alreadyExists, "Already exists", message, field, [{ field, message }]),
  conflict: (message: string, field?: string) => new AppError(409, ERROR_CODES.conflict, "Conflict", message, field),
  inUse: (message: string) => new AppError(409, ERROR_CODES.inUse, "In use", message),
  invalidState: (message: string, field = "state") =>
    new AppError(409, ERROR_CODES.invalidState, "Not allowed in this state", message, field),
  notEnoughCopies: (message: string, field = "count") =>
    new AppError(409, ERROR_CODES.notEnoughCopies, "Not enough copies", message, field),
  hostLicensed: (message: string, field = "hosts") =>
    new AppError(409, ERROR_CODES.hostLicensed, "Host already licensed", message, field),
  policyLimit: (message: string, field = "overridePolicy") =>
    new AppError(409, ERROR_CODES.policyLimit, "Policy limit reached", message, field),
  unauthenticated: (message = "Log in or send an API token to use this resource.") =>
    new AppError(401, ERROR_CODES.unauthenticated, "Authentication required", message),
  invalidCredentials: () =>
    new AppError(401, ERROR_CODES.invalidCredentials, "Invalid credentials", "The email or password is not correct."),
  loginLocked: (retryAfterSeconds: number) =>
    new AppError(
      429,
      ERROR_CODES.loginLocked,
      "Too many failed logins",
      `Too many failed logins for this account. Try again in ${retryAfterSeconds} seconds.`,
      undefined,
      undefined,
      { "retry-after": String(retryAfterSeconds) },
    ),
  forbidden: (message = "You do not have permission to do this.") =>
    new AppError(403, ERROR_CODES.forbidden, "Forbidden", message),
  csrf: () =>
    new AppError(
      403,
      ERROR_CODES.csrf,
      "CSRF token missing or wrong",
      "This request must carry the X-CSRF-Token header given at login.",
    ),
  idempotencyMismatch: () =>
    new AppError(
      422,
      ERROR_CODES.idempotencyMismatch,
      "Idempotency-Key reused",
      "This Idempotency-Key was already used with a different request body.",
      "Idempotency-Key",
    ),
  idempotencyInProgress: () =>
    new AppError(
      409,
      ERROR_CODES.idempotencyInProgress,
      "Request in progress",
      "A request with this Idempotency-Key is still being processed; retry shortly.",
      "Idempotency-Key",
    ),
};
