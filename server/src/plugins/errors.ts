import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { ERROR_CODES, type Problem } from "../../../common/src/errors.js";
import { violationOf } from "../db/constraints.js";
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

/** Words for the records each table holds, to name them in a refusal. */
const TABLE_NOUNS: Record<string, string> = {
  accounts: "accounts",
  account_relations: "account relations",
  users: "users",
  user_roles: "user roles",
  api_tokens: "API tokens",
  partner_tiers: "partner tiers",
  license_models: "license models",
  products: "products",
  product_features: "product features",
  product_relations: "product relations",
  product_license_models: "products allowing the license model",
  part_numbers: "part numbers",
  entitlements: "entitlements",
  line_items: "line items",
  line_item_products: "line items",
  entitlement_partners: "entitlements (as a channel partner)",
  entitlement_events: "entitlement history",
  web_register_keys: "web register keys",
  key_redemption_counts: "redeemed-key counts",
};

/** Unique constraints by `table.columns`, with the field they concern and what is wrong. */
const UNIQUE_WORDS: Record<string, { field: string; message: string }> = {
  "entitlements.entitlement_id": { field: "entitlementId", message: "another entitlement already has this entitlement ID" },
  "line_items.activation_id": { field: "activationId", message: "another line item already has this activation ID" },
  "line_items.entitlement_id": { field: "product", message: "a bulk entitlement holds one product configuration" },
  "web_register_keys.key": {
    field: "key",
    message: "this web register key is already loaded (keys are unique across all bulk entitlements)",
  },
  // Keys are unique by their canonical form (case, spaces and dashes ignored).
  "web_register_keys.key_canon": {
    field: "key",
    message: "this web register key is already loaded (keys are unique across all bulk entitlements)",
  },
  "entitlement_partners.entitlement_id,tier": {
    field: "channelPartners",
    message: "a partner tier is listed twice on the entitlement",
  },
  "entitlement_partners.entitlement_id": { field: "channelPartners", message: "an entitlement has exactly one current owner" },
  "line_item_products.line_item_id,product_id": { field: "products", message: "a product is listed twice on one line item" },
  "accounts.id": { field: "id", message: "an account with this ID already exists" },
  "accounts.type": { field: "type", message: "there is exactly one producer account" },
  "users.email": { field: "email", message: "a user with this email already exists" },
  "partner_tiers.name": { field: "name", message: "a partner tier with this name already exists" },
  "partner_tiers.display_name": { field: "displayName", message: "a partner tier with this display name already exists" },
  "license_models.name": { field: "name", message: "a license model with this name already exists" },
  "part_numbers.part_id": { field: "partId", message: "a part number with this ID already exists" },
};

/** Check constraints by name. */
const CHECK_WORDS: Record<string, { field: string; message: string }> = {
  line_items_copies_positive: { field: "numberOfCopies", message: "must be at least 1" },
  line_items_fulfilled_within_copies: {
    field: "numberOfCopies",
    message: "a line item cannot have fewer copies than it has fulfilled, nor fulfil more copies than it has",
  },
  line_item_products_quantity_positive: { field: "quantity", message: "must be at least 1" },
};

/** Resources by their path segment, to name the object a refused request was about. */
const RESOURCE_NOUNS: Record<string, string> = {
  accounts: "Account",
  users: "User",
  tokens: "API token",
  "partner-tiers": "Partner tier",
  "license-models": "License model",
  products: "Product",
  "part-numbers": "Part number",
  entitlements: "Entitlement",
  "line-items": "Line item",
  keys: "Web register key",
  redemptions: "Key",
  settings: "Settings",
};

/**
 * The object a request was about, from its route: the last resource named with an id
 * ("Entitlement 'X'" for `/entitlements/:id/keys`, "Line item 'Y'" for `…/line-items/:lineItemId`),
 * else the resource created ("The entitlement" for `POST /entitlements`).
 */
function objectOf(req: FastifyRequest): string {
  const route = (req.routeOptions?.url ?? req.url.split("?")[0] ?? "").replace(/^\/api\/v1\//, "");
  const segs = route.split("/").filter(Boolean);
  const params = (req.params ?? {}) as Record<string, unknown>;
  let named: string | null = null;
  let first: string | null = null;
  segs.forEach((seg, i) => {
    const noun = RESOURCE_NOUNS[seg];
    if (!noun) return;
    first ??= noun;
    const next = segs[i + 1];
    const id = next?.startsWith(":") ? params[next.slice(1)] : undefined;
    if (typeof id === "string" && id) named = `${noun} '${id}'`;
  });
  return named ?? (first ? `The ${(first as string).toLowerCase()}` : "The record");
}

/**
 * A constraint violation no command worded itself, in words that say which object and why
 * (never the constraint's text): the database is the last guard of uniqueness, references and
 * counts, so this only meets races and paths not foreseen.
 */
function constraintProblem(err: unknown, req: FastifyRequest): Problem | null {
  const v = violationOf(err);
  // NOT NULL is the server's own mistake, never the caller's: it stays a 500 (details in the log).
  if (!v || v.kind === "notNull") return null;
  const requestId = req.id;
  const object = objectOf(req);
  const key = v.table ? `${v.table}.${v.columns.join(",")}` : "";
  if (v.kind === "unique") {
    const w = UNIQUE_WORDS[key] ?? {
      field: v.columns[0] ?? "id",
      message: `${v.table ? `one of the ${TABLE_NOUNS[v.table] ?? v.table}` : "a record"} already has the same ${v.columns.join(" and ") || "identifier"}`,
    };
    return problem(409, ERROR_CODES.alreadyExists, "Already exists", `${object}: ${w.message}.`, {
      field: w.field,
      errors: [{ field: w.field, message: w.message }],
      requestId,
    });
  }
  if (v.kind === "check") {
    const w = (v.constraint && CHECK_WORDS[v.constraint]) || {
      field: v.columns[0] ?? "body",
      message: `breaks the rule ${v.constraint ?? "of its table"}`,
    };
    return problem(400, ERROR_CODES.validation, "Invalid input", `${object}: ${w.field}: ${w.message}.`, {
      field: w.field,
      errors: [{ field: w.field, message: w.message }],
      requestId,
    });
  }
  // Foreign keys: PostgreSQL says which table refers or is missing; SQLite only that one failed.
  const other = v.otherTable ? (TABLE_NOUNS[v.otherTable] ?? v.otherTable) : null;
  const deleting = req.method === "DELETE" || v.stillReferenced;
  const detail = deleting
    ? `${object} cannot be ${req.method === "DELETE" ? "deleted" : "changed this way"}: ${other ? `${other} still refer to it` : "other records still refer to it"}; remove or change those first.`
    : `${object} cannot be saved: it refers to ${other ? `one of the ${other}` : "a record"} that does not exist (any more).`;
  return problem(409, ERROR_CODES.inUse, deleting ? "In use" : "Referenced record missing", detail, { requestId });
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
  const constraint = constraintProblem(err, req);
  if (constraint) return constraint;
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
