import { type Static, type TSchema, Type } from "typebox";
import { LIMITS } from "../limits.js";

/*
 * The API contract: every request and response schema lives in common/src/api/<resource>.ts, with
 * `export type X = Static<typeof XSchema>`. The server validates with these schemas (and builds
 * /api/openapi.json from them), its presenters return their types, and the portal imports the
 * same types. Nothing here may import from server/ or web/: only `typebox` and common/.
 */

/** Schemas every route shares: problems, paging, common field shapes. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    field: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    requestId: Type.Optional(Type.String()),
  },
  { $id: "Problem", description: "RFC 9457 problem details" },
);

export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: LIMITS.pageSizeMax, description: `Page size (default ${LIMITS.pageSizeDefault}).` }),
  ),
  cursor: Type.Optional(Type.String({ description: "`nextCursor` of the previous page." })),
};

export const TextFilterParam = (description: string) =>
  Type.Optional(
    Type.String({ description: `${description}. Optional operator prefix: STARTS_WITH:, CONTAINS:, ENDS_WITH:, EQUALS:.` }),
  );
export const DateFilterParam = (description: string) =>
  Type.Optional(
    Type.String({
      description: `${description}. BEFORE:, AFTER: or ON: followed by a real day YYYY-MM-DD (or an ISO timestamp for BEFORE/AFTER, UTC unless it names a zone).`,
    }),
  );

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

/**
 * Characters a name must not hold: control characters, bidirectional overrides, embeddings and
 * isolates (U+202A–202E, U+2066–2069: "Evil\u202Eexe.pdf" reads as "Evilfdp.exe"), marks and
 * zero-width characters (U+200B–200F, U+2060–2064, U+FEFF, U+180E, U+061C) that make two names
 * look the same. Names are labels people compare by eye; descriptions may hold any text.
 */
export const NAME_FORBIDDEN =
  "\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff";
export const Name = Type.String({
  minLength: 1,
  maxLength: LIMITS.nameMax,
  pattern: `^[^${NAME_FORBIDDEN}]*$`,
  description: "No control, bidirectional-override or zero-width characters.",
});
/**
 * A string that may be null. Written as one schema with `type: ["string","null"]`, not a union:
 * with type coercion on, the validator would turn `null` into `""` when trying the string branch.
 */
export const NullableString = (opts: { maxLength?: number; minLength?: number; description?: string } = {}) =>
  Type.Unsafe<string | null>({ type: ["string", "null"], ...opts });
export const OptionalText = (max: number = LIMITS.descriptionMax) => Type.Optional(NullableString({ maxLength: max }));
export const Email = Type.String({ format: "email", maxLength: LIMITS.emailMax });
export const Timestamp = Type.String({ format: "date-time" });

/** Standard error responses, so the OpenAPI document lists them for every route. */
export const errorResponses = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
};

/** A file answered as a stream rather than JSON: its media type, so the OpenAPI document says what comes. */
export const fileResponse = (mediaType: string, description: string) => ({
  description,
  content: { [mediaType]: { schema: { type: "string", format: "binary" } } },
});

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: LIMITS.idMax }) });

/** A string enum that keeps its literal type and renders as `enum` in OpenAPI. */
export const StringEnum = <const T extends readonly string[]>(values: T, opts: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: "string", enum: [...values], ...opts });

export type Problem = Static<typeof ProblemSchema>;
/** One page of a list: what `Page(item)` describes, for callers holding the item's type. */
export type Page<T> = { items: T[]; nextCursor: string | null };

/** The body of a 204 answer. */
export const NoContent = Type.Null();
