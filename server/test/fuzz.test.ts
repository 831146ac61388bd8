import { expect, it } from "vitest";
import { describeEachDb } from "./helpers.js";

/**
 * A small fuzzer over the OpenAPI document (issue 12, item 3): every operation gets a NUL character
 * (U+0000) in each of its string fields in turn — each path parameter, each query parameter, each
 * string in its JSON body (nested objects and arrays too) — once anonymously and once as a producer
 * admin. PostgreSQL cannot hold a NUL and answered 500 to 61 of these; SQLite stored it. Now both
 * must refuse it at validation: 400, naming the field, never 5xx.
 */

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
};
type Parameter = { in: string; name: string; schema?: Schema };
type Operation = {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
};
type Doc = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, Schema> } };

const NUL = "a\u0000b";

/** Each string field of a body schema, as the path to it (property names and array indexes). */
function stringPaths(doc: Doc, schema: Schema | undefined, depth = 0, seen = new Set<string>()): (string | number)[][] {
  if (!schema || depth > 6) return [];
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop() as string;
    if (seen.has(name)) return [];
    return stringPaths(doc, doc.components?.schemas?.[name], depth, new Set([...seen, name]));
  }
  const out: (string | number)[][] = [];
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) {
    out.push(...stringPaths(doc, branch, depth, seen));
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes("string")) out.push([]);
  if (schema.properties) {
    for (const [k, v] of Object.entries(schema.properties)) {
      for (const p of stringPaths(doc, v, depth + 1, seen)) out.push([k, ...p]);
    }
  }
  if (types.includes("array") && schema.items) {
    for (const p of stringPaths(doc, schema.items, depth + 1, seen)) out.push([0, ...p]);
  }
  const unique = new Map(out.map((p) => [JSON.stringify(p), p]));
  return [...unique.values()];
}

/** `{a: [{b: NUL}]}` for the path `["a", 0, "b"]`. */
function bodyAt(path: (string | number)[]): unknown {
  if (path.length === 0) return NUL;
  const [head, ...rest] = path;
  return typeof head === "number" ? [bodyAt(rest)] : { [head as string]: bodyAt(rest) };
}

/** The field name the problem should carry for a body path: `a[0].b`. */
const fieldOf = (path: (string | number)[]) =>
  path
    .map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`))
    .join("")
    .replace(/^\./, "") || "body";

describeEachDb("NUL fuzzer over every operation", (env) => {
  it("refuses a NUL in every string field with 400 naming the field, never 5xx", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const doc = env.app.swagger() as unknown as Doc;
    const failures: string[] = [];
    let cases = 0;
    const send = async (
      what: string,
      field: string,
      method: string,
      url: string,
      body: unknown,
      token: boolean,
    ): Promise<void> => {
      cases++;
      const res = token
        ? method === "GET"
          ? await admin.get(url)
          : method === "DELETE"
            ? await admin.delete(url)
            : method === "POST"
              ? await admin.post(url, body)
              : method === "PATCH"
                ? await admin.patch(url, body)
                : await admin.put(url, body)
        : await env.app.inject({
            method: method as "GET",
            url,
            ...(body !== undefined ? { payload: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}),
          });
      const who = token ? "admin" : "anon";
      if (res.statusCode >= 500) {
        failures.push(`${who} ${what} → ${res.statusCode} ${res.body.slice(0, 160)}`);
        return;
      }
      // The login route's per-IP limit may answer first; that is a refusal too.
      if (res.statusCode === 429) return;
      const problem = res.json() as { code?: string; field?: string };
      if (res.statusCode !== 400 || problem.code !== "validation_failed" || problem.field !== field) {
        failures.push(`${who} ${what} → ${res.statusCode} field=${problem.field} ${res.body.slice(0, 160)}`);
      }
    };

    for (const [template, methods] of Object.entries(doc.paths)) {
      if (!template.startsWith("/api/v1/")) continue;
      for (const [m, op] of Object.entries(methods)) {
        const method = m.toUpperCase();
        const params = op.parameters ?? [];
        const pathParams = params.filter((p) => p.in === "path");
        const plainUrl = template.replace(/\{([^}]+)\}/g, "x");
        const jsonBody = op.requestBody?.content?.["application/json"]?.schema;
        const emptyBody = jsonBody ? {} : method === "GET" || method === "DELETE" ? undefined : {};
        for (const token of [false, true]) {
          // Each path parameter in turn.
          for (const p of pathParams) {
            const url = template.replace(/\{([^}]+)\}/g, (_, name) => (name === p.name ? encodeURIComponent(NUL) : "x"));
            await send(`${method} ${template} path ${p.name}`, p.name, method, url, emptyBody, token);
          }
          // Each string query parameter in turn.
          for (const p of params.filter((q) => q.in === "query")) {
            if (stringPaths(doc, p.schema).length === 0) continue;
            const url = `${plainUrl}?${p.name}=${encodeURIComponent(NUL)}`;
            await send(`${method} ${template} query ${p.name}`, p.name, method, url, emptyBody, token);
          }
          // Each string in the JSON body in turn.
          for (const path of stringPaths(doc, jsonBody)) {
            const body = bodyAt(path);
            await send(`${method} ${template} body ${fieldOf(path)}`, fieldOf(path), method, plainUrl, body, token);
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(300);
    expect(failures).toEqual([]);
  }, 300_000);
});
