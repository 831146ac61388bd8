import { AjvCompiler } from "@fastify/ajv-compiler";
import type { FastifyServerOptions } from "fastify";

/**
 * Request validation, in one place for every route (item 3 and 10 of issue 12).
 *
 * - JSON bodies are validated WITHOUT type coercion: a number or boolean sent for a string field,
 *   or `" "` sent for a number, is refused with the field named, rather than silently becoming
 *   `"42"` or `0`.
 * - Query strings and path parameters arrive as text, so they keep coercion (`limit=20` is a
 *   number) — but only text that reads as a number becomes one: `limit=%20` is refused, where the
 *   validator alone would have made it 0.
 * - A NUL character (U+0000) is refused in every string of every part. PostgreSQL cannot store or
 *   compare it (it answered 500 on the first query that used one) and SQLite would keep it; both
 *   databases now answer the same 400 before any query runs.
 */

type AjvError = { instancePath: string; keyword: string; params: Record<string, unknown>; message: string };
type Validate = ((data: unknown, ctx?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown };
type RouteSchema = { schema: unknown; method: string; url: string; httpPart?: string };
type BuildValidator = NonNullable<
  NonNullable<NonNullable<FastifyServerOptions["schemaController"]>["compilersFactory"]>["buildValidator"]
>;

const NUL = "\u0000";

/** JSON pointer of the first string (or property name) holding a NUL, or null. Walks what JSON can hold. */
export function findNul(value: unknown, pointer = "", depth = 0): string | null {
  if (typeof value === "string") return value.includes(NUL) ? pointer : null;
  if (value === null || typeof value !== "object" || depth > 64) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findNul(value[i], `${pointer}/${i}`, depth + 1);
      if (hit !== null) return hit;
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    const here = `${pointer}/${k.replaceAll("~", "~0").replaceAll("/", "~1")}`;
    if (k.includes(NUL)) return here;
    const hit = findNul(v, here, depth + 1);
    if (hit !== null) return hit;
  }
  return null;
}

/** Text that reads as a number: what coercion may turn into one. Blank, `0x10`, `1e` do not. */
const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Top-level properties of a query/params schema declared as numbers (the ones coercion would touch). */
function numericProperties(schema: unknown): Map<string, "integer" | "number"> {
  const out = new Map<string, "integer" | "number">();
  const props = (schema as { properties?: Record<string, { type?: unknown }> } | null)?.properties;
  if (!props) return out;
  for (const [name, s] of Object.entries(props)) {
    const types = Array.isArray(s?.type) ? s.type : [s?.type];
    if (types.includes("integer")) out.set(name, "integer");
    else if (types.includes("number")) out.set(name, "number");
  }
  return out;
}

function refuse(fn: Validate, errors: AjvError[]): false {
  fn.errors = errors;
  return false;
}

/** Wraps one compiled validator with the checks above; keeps `schemaEnv` so Fastify still lets ajv replace a root value. */
function guarded(inner: Validate, schema: unknown, httpPart: string | undefined): Validate {
  const numeric = httpPart === "body" ? new Map<string, "integer" | "number">() : numericProperties(schema);
  const fn: Validate = (data: unknown, ctx?: unknown) => {
    const nul = findNul(data);
    if (nul !== null) {
      return refuse(fn, [
        { instancePath: nul, keyword: "nul", params: {}, message: "must not contain a NUL character (\\u0000)" },
      ]);
    }
    if (numeric.size > 0 && data && typeof data === "object") {
      for (const [name, type] of numeric) {
        const v = (data as Record<string, unknown>)[name];
        if (typeof v === "string" && !NUMBER_TEXT.test(v)) {
          return refuse(fn, [{ instancePath: `/${name}`, keyword: "type", params: { type }, message: `must be ${type}` }]);
        }
      }
    }
    const ok = inner(data, ctx);
    fn.errors = inner.errors;
    return ok;
  };
  if (inner.schemaEnv) fn.schemaEnv = inner.schemaEnv;
  return fn;
}

/**
 * The schema controller's validator factory: two ajv instances (bodies without coercion; query,
 * params and headers with it), each validator wrapped by `guarded`. `ajvOptions` are the server's
 * `ajv` option (its `customOptions` apply to both, except `coerceTypes`).
 */
export const requestValidatorFactory: BuildValidator = (externalSchemas, ajvOptions) => {
  const base = (ajvOptions ?? {}) as { customOptions?: Record<string, unknown> };
  const custom = base.customOptions ?? {};
  const bodies = AjvCompiler()(externalSchemas, { ...base, customOptions: { ...custom, coerceTypes: false } } as never);
  const texts = AjvCompiler()(externalSchemas, { ...base, customOptions: { ...custom, coerceTypes: "array" } } as never);
  return ((route: RouteSchema) => {
    const compile = route.httpPart === "body" ? bodies : texts;
    return guarded(compile(route as never) as Validate, route.schema, route.httpPart);
  }) as never;
};
