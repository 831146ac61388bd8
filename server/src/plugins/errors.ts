import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { ERROR_CODES, type Problem } from "../../../common/src/errors.js";
import { FilterError } from "../domain/filters.js";
import { AppError } from "../errors.js";

/** Friendly words for the validator's messages. */
function wordsFor(e: { keyword: string; message?: string | undefined; params: Record<string, unknown> }): string {
  switch (e.keyword) {
    case "required":
      return "is required";
    case "additionalProperties":
      return `is not a known field`;
    case "minLength":
      return e.params.limit === 1 ? "must not be empty" : `must be at least ${e.params.limit} characters`;
    case "maxLength":
      return `must be at most ${e.params.limit} characters`;
    case "format":
      return `must be a valid ${e.params.format}`;
    case "enum":
    case "anyOf":
      return Array.isArray(e.params.allowedValues)
        ? `must be one of ${(e.params.allowedValues as unknown[]).join(", ")}`
        : (e.message ?? "is not an allowed value");
    case "type":
      return `must be ${e.params.type === "integer" ? "a whole number" : `a ${e.params.type}`}`;
    case "minimum":
      return `must be ${e.params.comparison} ${e.params.limit}`;
    case "maximum":
      return `must be ${e.params.comparison} ${e.params.limit}`;
    case "pattern":
      return "has characters that are not allowed";
    default:
      return e.message ?? "is not valid";
  }
}

function fieldFor(
  e: { instancePath: string; keyword: string; params: Record<string, unknown> },
  context: string | undefined,
): string {
  // `/features/2/name` → `features[2].name`
  let path = e.instancePath
    .split("/")
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join("")
    .replace(/^\./, "");
  const extra =
    e.keyword === "required"
      ? (e.params.missingProperty as string)
      : e.keyword === "additionalProperties"
        ? (e.params.additionalProperty as string)
        : undefined;
  if (extra) path = path ? `${path}.${extra}` : extra;
  if (!path) return context === "body" ? "body" : (context ?? "request");
  return context === "querystring" || context === "params" || context === "headers" ? path : path;
}

/** Renders every error as RFC 9457 problem+json with a stable `code`; 5xx details stay in the log. */
export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((err: FastifyError | AppError | Error, req: FastifyRequest, reply: FastifyReply) => {
    const problem = toProblem(err, req);
    if (problem.status >= 500) req.log.error({ err }, "request failed");
    else req.log.info({ code: problem.code, status: problem.status }, "request refused");
    if (err instanceof AppError && err.headers) reply.headers(err.headers);
    reply.status(problem.status).type("application/problem+json").send(problem);
  });

  app.setNotFoundHandler((req, reply) => {
    reply
      .status(404)
      .type("application/problem+json")
      .send({
        type: `urn:licensor:problem:${ERROR_CODES.routeNotFound}`,
        title: "Not found",
        status: 404,
        detail: `There is no ${req.method} ${req.url.split("?")[0]}.`,
        code: ERROR_CODES.routeNotFound,
        requestId: req.id,
      } satisfies Problem);
  });
});

function problem(status: number, code: Problem["code"], title: string, detail: string, extra: Partial<Problem> = {}): Problem {
  return { type: `urn:licensor:problem:${code}`, title, status, detail, code, ...extra };
}

function dbConstraint(err: unknown): "unique" | "foreign" | "check" | null {
  const e = err as { code?: string };
  if (!e || typeof e.code !== "string") return null;
  if (e.code === "23505" || e.code === "SQLITE_CONSTRAINT_UNIQUE" || e.code === "SQLITE_CONSTRAINT_PRIMARYKEY") return "unique";
  if (e.code === "23503" || e.code === "SQLITE_CONSTRAINT_FOREIGNKEY") return "foreign";
  if (e.code === "23514" || e.code === "SQLITE_CONSTRAINT_CHECK") return "check";
  return null;
}

export function toProblem(err: unknown, req: FastifyRequest): Problem {
  const requestId = req.id;
  if (err instanceof AppError) {
    return problem(err.status, err.code, err.title, err.message, {
      ...(err.field ? { field: err.field } : {}),
      ...(err.errors ? { errors: err.errors } : {}),
      requestId,
    });
  }
  if (err instanceof FilterError) {
    return problem(400, ERROR_CODES.validation, "Invalid input", `${err.field}: ${err.message}`, {
      field: err.field,
      errors: [{ field: err.field, message: err.message }],
      requestId,
    });
  }
  const fe = err as FastifyError & { validation?: any[]; validationContext?: string };
  if (Array.isArray(fe.validation)) {
    const list = fe.validation.map((v) => ({ field: fieldFor(v, fe.validationContext), message: wordsFor(v) }));
    // The same field can fail several keywords (e.g. anyOf branches); keep the first word per field.
    const seen = new Set<string>();
    const uniq = list.filter((e) => {
      if (seen.has(e.field)) return false;
      seen.add(e.field);
      return true;
    });
    return problem(400, ERROR_CODES.validation, "Invalid input", uniq.map((e) => `${e.field}: ${e.message}`).join("; "), {
      field: uniq[0]?.field,
      errors: uniq,
      requestId,
    });
  }
  const kind = dbConstraint(err);
  if (kind === "unique") {
    return problem(409, ERROR_CODES.alreadyExists, "Already exists", "A record with the same identifier already exists.", {
      requestId,
    });
  }
  if (kind === "foreign") {
    return problem(
      409,
      ERROR_CODES.inUse,
      "Referenced record",
      "The record is referenced by, or refers to, a record that does not allow this change.",
      { requestId },
    );
  }
  const status = typeof fe.statusCode === "number" ? fe.statusCode : 500;
  if (status === 413)
    return problem(
      413,
      ERROR_CODES.payloadTooLarge,
      "Payload too large",
      "The request body is larger than this endpoint accepts.",
      { requestId },
    );
  if (status === 415) return problem(415, ERROR_CODES.unsupportedMediaType, "Unsupported media type", fe.message, { requestId });
  if (status === 429) {
    return problem(
      429,
      ERROR_CODES.rateLimited,
      "Too many requests",
      fe.message || "Too many requests; slow down and retry later.",
      { requestId },
    );
  }
  if (status >= 400 && status < 500) {
    // Malformed JSON, bad content-length and the like: the client's fault, worded by Fastify.
    return problem(status, ERROR_CODES.validation, "Invalid request", fe.message, { field: "body", requestId });
  }
  return problem(
    500,
    ERROR_CODES.internal,
    "Internal error",
    `Something went wrong on our side. Quote request id ${requestId} when reporting it.`,
    { requestId },
  );
}
