import { expect, it } from "vitest";
import { describeEachDb } from "./helpers.js";

/**
 * Every endpoint in the OpenAPI document gets hostile input — wrong JSON types, unknown fields,
 * huge and odd strings, bad path ids, bad query values — and must answer 4xx problem+json, never 5xx.
 */
const BODIES: unknown[] = [
  "just a string",
  42,
  [],
  [1, 2, 3],
  null,
  {},
  { id: "", name: "", email: "", type: "NOPE", state: "NOPE", role: "NOPE", features: "x", memberships: [{}] },
  { id: "x".repeat(5000), name: "\u0000\u202e", version: 1, features: [{ name: 1, count: -5 }], expiresAt: "tomorrow" },
  { __proto__: { polluted: true }, constructor: { prototype: { x: 1 } } },
  { accountId: "../../etc/passwd", password: "p", quantity: 1e308, rank: "high", attributes: [{ valueType: "ENUM" }] },
];
const IDS = ["does-not-exist", "%00", "x".repeat(300), "ü🙂", "..%2F..%2F", "1 OR 1=1"];
const QUERIES = [
  "limit=0",
  "limit=100000",
  "limit=abc",
  "cursor=%%%",
  "cursor=W10",
  "q=%27%22",
  "state=NOPE",
  "createdAt=ON:2020-13-45",
  "name=FOO:bar",
  "at=AFTER:",
];

describeEachDb("hostile input", (env) => {
  it("never answers 5xx, and every error is problem+json", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const doc = (await admin.get("/api/openapi.json")).json() as { paths: Record<string, Record<string, unknown>> };
    const failures: string[] = [];
    let calls = 0;
    const check = (what: string, res: { statusCode: number; headers: Record<string, unknown>; body: string }) => {
      calls++;
      if (res.statusCode >= 500) failures.push(`${what.slice(0, 120)} → ${res.statusCode} ${res.body.slice(0, 200)}`);
      else if (res.statusCode >= 400 && !String(res.headers["content-type"]).includes("application/problem+json")) {
        failures.push(`${what.slice(0, 120)} → ${res.statusCode} without problem+json`);
      }
    };
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (path.startsWith("/api/docs")) continue;
      for (const method of Object.keys(methods)) {
        const M = method.toUpperCase() as "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
        const urls = path.includes("{") ? IDS.map((id) => path.replace(/\{[^}]+\}/g, encodeURIComponent(id))) : [path];
        for (const url of urls) {
          if (M === "GET") {
            for (const q of ["", ...QUERIES]) check(`GET ${url}?${q}`, await admin.get(`${url}?${q}`));
          } else if (M === "DELETE") {
            check(`DELETE ${url}`, await admin.delete(url));
          } else {
            for (const b of BODIES) {
              const res = await env.app.inject({
                method: M,
                url,
                payload: JSON.stringify(b),
                headers: { "content-type": "application/json" },
              });
              // Anonymous first (raw JSON, whatever its type), then the same body authenticated.
              check(`${M} ${url} (anon) ${JSON.stringify(b).slice(0, 40)}`, res);
              const authed =
                M === "POST" ? await admin.post(url, b) : M === "PATCH" ? await admin.patch(url, b) : await admin.put(url, b);
              check(`${M} ${url} ${JSON.stringify(b).slice(0, 40)}`, authed);
            }
          }
        }
      }
    }
    expect(calls).toBeGreaterThan(200);
    expect(failures).toEqual([]);
  }, 120_000);
});
