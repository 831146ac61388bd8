import { Writable } from "node:stream";
import { expect, it } from "vitest";
import { buildApp } from "../src/app.js";
import { freshDatabase, makeEnv, PUBLISHER_ID, testConfig } from "./helpers.js";

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
