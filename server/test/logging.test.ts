import { Writable } from "node:stream";
import { expect, it } from "vitest";
import { buildApp } from "../src/app.js";
import { generateKey } from "../src/domain/keyFormat.js";
import { bulkEntitlement } from "./factories.js";
import { DIALECTS, freshDatabase, makeEnv, PUBLISHER_ID, testConfig } from "./helpers.js";

it("writes structured logs with request ids and never a password, session cookie or token", async () => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const handle = await freshDatabase("sqlite");
  const app = await buildApp(
    { db: handle.db, dialect: "sqlite", config: testConfig({ logLevel: "debug" }), bulk: handle.bulk },
    { logger: { stream } },
  );
  try {
    const env = makeEnv("sqlite", handle.db, app);
    const admin = await env.makeUser({ role: "PRODUCER_ADMIN", accountId: PUBLISHER_ID });
    const password = "a very secret password 123";
    const created = await env.caller(admin.token).post("/api/v1/users", {
      email: "log@example.com",
      firstName: "L",
      lastName: "G",
      password,
      memberships: [{ accountId: PUBLISHER_ID, role: "PRODUCER_VIEWER" }],
    });
    expect(created.statusCode).toBe(201);
    const login = await app.inject({
      method: "POST",
      url: "/api/v1/session",
      payload: { email: "log@example.com", password },
      headers: { "x-request-id": "req-log-1" },
    });
    expect(login.statusCode).toBe(200);
    const cookie = String(login.headers["set-cookie"]).split(";")[0]!.split("=")[1]!;
    await app.inject({ method: "GET", url: "/api/v1/session", headers: { cookie: `licensor_session=${cookie}` } });
    await app.inject({
      method: "POST",
      url: "/api/v1/session",
      payload: { email: "log@example.com", password: "wrong-password-xyz" },
    });
    const all = lines.join("");
    expect(lines.length).toBeGreaterThan(3);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    expect(all).toContain('"reqId":"req-log-1"');
    expect(all).not.toContain(password);
    expect(all).not.toContain("wrong-password-xyz");
    expect(all).not.toContain(cookie);
    expect(all).not.toContain(admin.token);
  } finally {
    await app.close();
    await handle.close();
  }
});

for (const dialect of DIALECTS) {
  it(`never logs a whole web register key, in any URL, query or body, after a full key flow [${dialect}]`, async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const handle = await freshDatabase(dialect);
    const app = await buildApp(
      { db: handle.db, dialect, config: testConfig({ logLevel: "debug" }), bulk: handle.bulk },
      { logger: { stream } },
    );
    try {
      const env = makeEnv(dialect, handle.db, app);
      const admin = await env.as("PRODUCER_ADMIN");
      const { bulk, customer } = await bulkEntitlement(env, admin);
      const key = generateKey();
      const imported = "acme-retail-hand-0001";
      const spellings = [key, key.replace(/-/g, ""), key.toLowerCase(), imported, imported.toUpperCase()];
      expect((await admin.post(`/api/v1/entitlements/${bulk.id}/keys/batch`, { keys: [key, imported] })).statusCode).toBe(200);
      expect((await admin.post(`/api/v1/entitlements/${bulk.id}/keys`, { key: imported })).statusCode).toBe(409);
      await admin.get(`/api/v1/entitlements/${bulk.id}/keys?prefix=${encodeURIComponent(key)}&limit=5`);
      await app.inject({ method: "GET", url: `/redeem?key=${encodeURIComponent(key)}` });
      const user = await env.as("CUSTOMER_PORTAL_USER", customer);
      expect((await user.post("/api/v1/redemptions", { key: key.toLowerCase() })).statusCode).toBe(201);
      await user.post("/api/v1/redemptions", { key: `${key.slice(0, -1)}0` });
      await admin.get(
        `/api/v1/entitlements?activationId=EQUALS:${encodeURIComponent(key)}&entitlementId=${encodeURIComponent(`EQUALS:${key}ENT`)}`,
      );
      await admin.get(`/api/v1/entitlements?q=${encodeURIComponent(imported)}`);
      await admin.get(`/api/v1/entitlements/${encodeURIComponent(`${key}ENT`)}`);
      await admin.post(`/api/v1/entitlements/${bulk.id}/keys/delete`, { keys: [imported] });
      const all = lines.join("");
      expect(all).toContain("prefix=");
      expect(all).toContain("/redeem?key=");
      expect(all).toContain(`/api/v1/entitlements/${bulk.id}/keys`);
      for (const k of spellings) {
        expect(all).not.toContain(k);
        expect(all).not.toContain(encodeURIComponent(k));
      }
    } finally {
      await app.close();
      await handle.close();
    }
  });
}
