import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.js";
import type { DbHandle } from "../src/db/connect.js";
import { DIALECTS, describeEachDb, freshDatabase, makeEnv, PUBLISHER_ID, testConfig } from "./helpers.js";

/**
 * The session tells the portal where key cards point (issue 11, item 15): without
 * LICENSOR_PUBLIC_URL that is http://localhost:<port>, a dead end on a customer's phone, and the
 * portal warns producer staff before they print.
 */
describeEachDb("public URL on the session", (env) => {
  it("says key cards would point at localhost when LICENSOR_PUBLIC_URL is not set", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const res = await admin.get("/api/v1/session");
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().publicUrl).toEqual({ url: "http://localhost:8080", local: true });

    // An end user's session says the same (the redeem page address is no secret).
    const customer = await env.makeAccount({ type: "CUSTOMER" });
    const user = await env.as("CUSTOMER_PORTAL_USER", customer);
    expect((await user.get("/api/v1/session")).json().publicUrl.local).toBe(true);
  });
});

for (const dialect of DIALECTS) {
  describe(`public URL on the session, configured [${dialect}]`, () => {
    let handle: DbHandle;
    let app: FastifyInstance;
    const build = async (publicUrl: string) => {
      app = await buildApp({ db: handle.db, dialect, config: testConfig({ publicUrl }), bulk: handle.bulk }, { logger: false });
      await app.ready();
      return makeEnv(dialect, handle.db, app);
    };
    beforeEach(async () => {
      handle = await freshDatabase(dialect);
    });
    afterEach(async () => {
      await app?.close();
      await handle?.close();
    });

    it("says key cards point at the configured address, on login and on every session read", async () => {
      const env = await build("https://licensing.example.com");
      const admin = await env.as("PRODUCER_ADMIN");
      const email = "printer@example.test";
      const password = "correct-horse-battery-staple";
      const created = await admin.post("/api/v1/users", {
        email,
        firstName: "Pat",
        lastName: "Printer",
        password,
        memberships: [{ accountId: PUBLISHER_ID, role: "PRODUCER_OPERATIONS" }],
      });
      expect(created.statusCode, created.body).toBe(201);
      const login = await app.inject({ method: "POST", url: "/api/v1/session", payload: { email, password } });
      expect(login.statusCode, login.body).toBe(200);
      expect(login.json().publicUrl).toEqual({ url: "https://licensing.example.com", local: false });
      expect((await admin.get("/api/v1/session")).json().publicUrl).toEqual({
        url: "https://licensing.example.com",
        local: false,
      });
    });

    it("counts every address that only reaches this machine as local", async () => {
      for (const url of ["http://127.0.0.1:8080", "http://[::1]:8080", "http://0.0.0.0", "http://portal.localhost"]) {
        const env = await build(url);
        const admin = await env.as("PRODUCER_ADMIN");
        expect((await admin.get("/api/v1/session")).json().publicUrl, url).toEqual({ url, local: true });
        await app.close();
      }
    });
  });
}
