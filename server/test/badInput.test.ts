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

/** A refusal in words: 400 problem+json with the validation code, naming `field`. */
function expectRefused(res: { statusCode: number; body: string }, field: string) {
  expect(res.statusCode, res.body).toBe(400);
  const p = JSON.parse(res.body) as { code: string; field: string; detail: string };
  expect(p.code).toBe("validation_failed");
  expect(p.field).toBe(field);
  return p;
}

describeEachDb("input normalisation (issue 12)", (env) => {
  it("refuses a NUL character anywhere, anonymously or not, before any query runs", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const reg = await env.caller(null).post("/api/v1/registrations", {
      key: "ABCD-EFGH",
      company: "Nul\u0000Co",
      firstName: "A",
      lastName: "B",
      email: "nul@example.test",
      password: "a long enough password",
    });
    expect(expectRefused(reg, "company").detail).toContain("NUL");
    expectRefused(await admin.get("/api/v1/entitlements?q=%00"), "q");
    expectRefused(await admin.get("/api/v1/entitlements/%00"), "id");
    expectRefused(await admin.get("/api/v1/accounts?name=CONTAINS:a%00"), "name");
    expectRefused(
      await admin.post("/api/v1/accounts", { id: "NUL-1", name: "ok", type: "CUSTOMER", description: "x\u0000" }),
      "description",
    );
    expect((await admin.get("/api/v1/accounts/NUL-1")).statusCode).toBe(404);
  });

  it("does not coerce numbers or booleans into string fields, nor blanks into numbers", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    expectRefused(await admin.post("/api/v1/accounts", { id: 12345, name: "Numbers", type: "CUSTOMER" }), "id");
    expectRefused(await admin.post("/api/v1/accounts", { id: "BOOL-1", name: true, type: "CUSTOMER" }), "name");
    expect((await admin.get("/api/v1/accounts/12345")).statusCode).toBe(404);
    expect((await admin.get("/api/v1/accounts/BOOL-1")).statusCode).toBe(404);
    const tier = { name: `tier.blank${Date.now()}`, displayName: "Blank", rank: " " };
    expectRefused(await admin.post("/api/v1/partner-tiers", tier), "rank");
    expectRefused(await admin.post("/api/v1/partner-tiers", { ...tier, rank: "7" }), "rank");
    // Query strings are text: numbers are still read from them, but only text that is a number.
    expectRefused(await admin.get("/api/v1/accounts?limit=%20"), "limit");
    expectRefused(await admin.get("/api/v1/accounts?limit=0x10"), "limit");
    expect((await admin.get("/api/v1/accounts?limit=20")).statusCode).toBe(200);
  });

  it("refuses bidirectional-override and zero-width characters in names", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    for (const name of ["Evil\u202Eexe.pdf", "Ac\u200Bme", "Acme\uFEFF", "Tab\tName", "Iso\u2066late"]) {
      expectRefused(await admin.post("/api/v1/accounts", { id: "RTL-1", name, type: "CUSTOMER" }), "name");
    }
    expect((await admin.get("/api/v1/accounts/RTL-1")).statusCode).toBe(404);
    const ok = await admin.post("/api/v1/accounts", { id: "INTL-1", name: "Zoë Ünal 名前 مرحبا", type: "CUSTOMER" });
    expect(ok.statusCode, ok.body).toBe(201);
    expectRefused(await admin.patch("/api/v1/accounts/INTL-1", { name: "x\u200Dy" }), "name");
  });

  it("refuses date filters that are not real days", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    for (const f of [
      "AFTER:99999-01-01",
      "ON:2026-02-30",
      "BEFORE:2026-13-01",
      "AFTER:2026-01-01T25:00:00Z",
      "ON:+099999-01-01",
    ]) {
      expectRefused(await admin.get(`/api/v1/accounts?createdAt=${encodeURIComponent(f)}`), "createdAt");
    }
    for (const f of ["ON:2024-02-29", "AFTER:2026-01-01T10:00:00Z", "BEFORE:2026-01-01T10:00:00+02:00", "2026-02-28"]) {
      expect((await admin.get(`/api/v1/accounts?createdAt=${encodeURIComponent(f)}`)).statusCode, f).toBe(200);
    }
  });
});
