import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.js";
import type { DbHandle } from "../src/db/connect.js";
import { groupCommitOf } from "../src/db/groupCommit.js";
import { generateKey } from "../src/domain/keyFormat.js";
import { bulkEntitlement } from "./factories.js";
import { DIALECTS, freshDatabase, makeEnv, testConfig } from "./helpers.js";

for (const dialect of DIALECTS) {
  describe(`redemption abuse controls [${dialect}]`, () => {
    let handle: DbHandle;
    let close: (() => Promise<void>) | null = null;
    afterEach(async () => {
      await close?.();
      await handle?.close();
    });

    async function setup(limits: { redeemIpPerMinute: number; redeemAccountPerMinute: number; redeemMissesBeforeLock: number }) {
      handle = await freshDatabase(dialect);
      // trustProxy so X-Forwarded-For stands for different client addresses in this test.
      const app = await buildApp(
        { db: handle.db, dialect, config: testConfig({ ...limits, trustProxy: true }), bulk: handle.bulk },
        { logger: false },
      );
      await app.ready();
      close = () => app.close();
      const env = makeEnv(dialect, handle.db, app);
      const admin = await env.as("PRODUCER_ADMIN");
      const { keys } = await bulkEntitlement(env, admin, { keys: 5 });
      return { env, keys };
    }

    it("throttles a burst of wrong keys from one address with a growing lockout, while another address still redeems", async () => {
      const { env, keys } = await setup({ redeemIpPerMinute: 1000, redeemAccountPerMinute: 1000, redeemMissesBeforeLock: 5 });
      const attacker = await env.as("CUSTOMER_PORTAL_USER", await env.makeAccount());
      const from = (ip: string) => ({ "x-forwarded-for": ip });
      const codes: number[] = [];
      for (let i = 0; i < 8; i++)
        codes.push((await attacker.post("/api/v1/redemptions", { key: `GUESS-${i}` }, from("203.0.113.9"))).statusCode);
      expect(codes.slice(0, 5)).toEqual([404, 404, 404, 404, 404]);
      expect(codes.slice(5)).toEqual([429, 429, 429]);
      const locked = await attacker.post("/api/v1/redemptions", { key: keys[0] }, from("203.0.113.9"));
      expect(locked.statusCode).toBe(429);
      expect(Number(locked.headers["retry-after"])).toBeGreaterThanOrEqual(50);
      const honest = await env.as("CUSTOMER_PORTAL_USER", await env.makeAccount());
      const ok = await honest.post("/api/v1/redemptions", { key: keys[1] }, from("198.51.100.7"));
      expect(ok.statusCode).toBe(201);
      expect(ok.headers["ratelimit-limit"]).toBeDefined();
      expect(Number(ok.headers["ratelimit-remaining"])).toBeGreaterThan(0);
      const refused = await env.db
        .selectFrom("audit_events")
        .select(["object_id", "changes"])
        .where("action", "=", "key.redeem_refused")
        .execute();
      // The five misses; the refusals while locked out are not audited one by one.
      expect(refused.length).toBe(5);
      expect(refused.filter((r) => String(r.changes).includes('"lockedOut"'))).toHaveLength(1);
      expect(JSON.stringify(refused)).not.toContain(keys[0]);
    });

    it("looks up at most the miss limit of 50 concurrent wrong keys; the rest are refused before any lookup", async () => {
      const { env, keys } = await setup({ redeemIpPerMinute: 1000, redeemAccountPerMinute: 1000, redeemMissesBeforeLock: 10 });
      const attacker = await env.as("CUSTOMER_PORTAL_USER", await env.makeAccount());
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          attacker.post("/api/v1/redemptions", { key: `GUESS-${i}` }, { "x-forwarded-for": "203.0.113.50" }),
        ),
      );
      const codes = answers.map((a) => a.statusCode);
      expect(codes.filter((c) => c === 404).length).toBeLessThanOrEqual(10);
      expect(codes.filter((c) => c !== 404).every((c) => c === 429)).toBe(true);
      const lock = await env.db
        .selectFrom("redeem_misses")
        .selectAll()
        .where("subject", "=", "ip:203.0.113.50")
        .executeTakeFirst();
      expect(lock?.locked_until && lock.locked_until > new Date().toISOString()).toBe(true);
      // A real key from that address is refused too while the lockout holds.
      expect(
        (await attacker.post("/api/v1/redemptions", { key: keys[0] }, { "x-forwarded-for": "203.0.113.50" })).statusCode,
      ).toBe(429);
    });

    it("a success gives its miss places back; on SQLite in the redemption's one commit (one group-commit unit a redemption: admission, read, claim and return)", async () => {
      const { env, keys } = await setup({ redeemIpPerMinute: 1000, redeemAccountPerMinute: 1000, redeemMissesBeforeLock: 5 });
      const user = await env.as("CUSTOMER_PORTAL_USER", await env.makeAccount());
      const from = { "x-forwarded-for": "192.0.2.50" };
      expect((await user.post("/api/v1/redemptions", { key: keys[0] }, from)).statusCode).toBe(201);
      const group = groupCommitOf(env.db);
      const before = group?.submitted ?? 0;
      for (const key of keys.slice(1, 4)) expect((await user.post("/api/v1/redemptions", { key }, from)).statusCode).toBe(201);
      if (group) expect(group.submitted - before).toBe(3);
      const misses = await env.db
        .selectFrom("rate_counters")
        .select(["bucket", "count"])
        .where("bucket", "like", "miss:%")
        .execute();
      expect(misses.length).toBeGreaterThan(0);
      for (const m of misses) expect(Number(m.count)).toBe(0);
    });

    it("a refusal that is not a miss, and the same account redeeming again, give their miss places back; the rate counts them all", async () => {
      const { env, keys } = await setup({ redeemIpPerMinute: 1000, redeemAccountPerMinute: 1000, redeemMissesBeforeLock: 2 });
      const admin = await env.as("PRODUCER_ADMIN");
      const from = { "x-forwarded-for": "192.0.2.77" };
      // More refusals than the miss limit allows, none of them a miss: Sold To cannot hold entitlements.
      for (let i = 0; i < 3; i++)
        expect((await admin.post("/api/v1/redemptions", { key: keys[0], soldTo: "PUBLISHER" }, from)).json()).toMatchObject({
          status: 400,
          field: "soldTo",
        });
      const acct = await env.makeAccount();
      expect((await admin.post("/api/v1/redemptions", { key: keys[0], soldTo: acct }, from)).statusCode).toBe(201);
      for (let i = 0; i < 2; i++)
        expect((await admin.post("/api/v1/redemptions", { key: keys[0], soldTo: acct }, from)).statusCode).toBe(200);
      const counters = await env.db.selectFrom("rate_counters").select(["bucket", "count"]).execute();
      const count = (bucket: string) => counters.filter((c) => c.bucket === bucket).map((c) => Number(c.count));
      expect(count("ip:192.0.2.77")).toEqual([6]);
      expect(count("miss:ip:192.0.2.77")).toEqual([0]);
      expect(count(`miss:account:${acct}`)).toEqual([0]);
      expect(await env.db.selectFrom("redeem_misses").selectAll().execute()).toEqual([]);
    });

    it("audits a throttled window once, not every refused attempt", async () => {
      const { env, keys } = await setup({ redeemIpPerMinute: 3, redeemAccountPerMinute: 1000, redeemMissesBeforeLock: 1000 });
      const user = await env.as("CUSTOMER_PORTAL_USER", await env.makeAccount());
      const codes: number[] = [];
      for (let i = 0; i < 40; i++)
        codes.push((await user.post("/api/v1/redemptions", { key: keys[0] }, { "x-forwarded-for": "192.0.2.40" })).statusCode);
      expect(codes.filter((c) => c === 429)).toHaveLength(37);
      const rows = await env.db.selectFrom("audit_events").select("changes").where("action", "=", "key.redeem_refused").execute();
      expect(rows.filter((r) => String(r.changes).includes("rate_limited"))).toHaveLength(1);
    });

    it("limits attempts per address per minute with RateLimit headers and Retry-After", async () => {
      const { env, keys } = await setup({ redeemIpPerMinute: 3, redeemAccountPerMinute: 1000, redeemMissesBeforeLock: 1000 });
      const user = await env.as("CUSTOMER_PORTAL_USER", await env.makeAccount());
      const r1 = await user.post("/api/v1/redemptions", { key: keys[0] }, { "x-forwarded-for": "192.0.2.1" });
      expect(r1.headers["ratelimit-remaining"]).toBe("2");
      await user.post("/api/v1/redemptions", { key: keys[0] }, { "x-forwarded-for": "192.0.2.1" });
      await user.post("/api/v1/redemptions", { key: keys[0] }, { "x-forwarded-for": "192.0.2.1" });
      const r4 = await user.post("/api/v1/redemptions", { key: keys[0] }, { "x-forwarded-for": "192.0.2.1" });
      expect(r4.statusCode).toBe(429);
      expect(r4.json().code).toBe("rate_limited");
      expect(Number(r4.headers["retry-after"])).toBeGreaterThan(0);
    });

    it("registers a company with a key in one step, and leaves nothing behind when the key is bad", async () => {
      const { env, keys } = await setup({ redeemIpPerMinute: 1000, redeemAccountPerMinute: 1000, redeemMissesBeforeLock: 1000 });
      const body = {
        key: keys[2],
        company: "Widgets Ltd",
        firstName: "Wanda",
        lastName: "Widget",
        email: "wanda@widgets.example",
        password: "a long enough password",
      };
      const r = await env.app.inject({ method: "POST", url: "/api/v1/registrations", payload: body });
      expect(r.statusCode).toBe(201);
      expect(String(r.headers["set-cookie"])).toMatch(/licensor_session=/);
      expect(r.json()).toMatchObject({ portal: "enduser", entitlement: { entitlementId: `${keys[2]}ENT`, state: "DEPLOYED" } });
      expect(r.json().user.memberships[0]).toMatchObject({
        accountType: "SELF_REGISTERED",
        role: "CUSTOMER_PORTAL_ADMIN",
        accountName: "Widgets Ltd",
      });
      const before = (await env.db.selectFrom("accounts").select("id").execute()).length;
      const bad = await env.app.inject({
        method: "POST",
        url: "/api/v1/registrations",
        payload: { ...body, email: "other@widgets.example", key: "NOT-A-KEY" },
      });
      expect(bad.statusCode).toBe(404);
      expect((await env.db.selectFrom("accounts").select("id").execute()).length).toBe(before);
      expect(await env.db.selectFrom("users").select("id").where("email", "=", "other@widgets.example").execute()).toHaveLength(
        0,
      );
    });

    it("gives an unknown key the same counted 404 whether or not the email has a user: no email enumeration", async () => {
      const { env, keys } = await setup({ redeemIpPerMinute: 1000, redeemAccountPerMinute: 1000, redeemMissesBeforeLock: 1000 });
      const register = (email: string, key: string) =>
        env.app.inject({
          method: "POST",
          url: "/api/v1/registrations",
          headers: { "x-forwarded-for": "203.0.113.77" },
          payload: { key, company: "Probe Inc", firstName: "Pro", lastName: "Be", email, password: "a long enough password" },
        });
      const taken = (await register("taken@probe.example", keys[4] as string)).statusCode;
      expect(taken).toBe(201);
      // A random key in the generated shape: its check symbol is right, so it is looked up.
      const guess = generateKey();
      const existing = await register("taken@probe.example", guess);
      const fresh = await register("nobody@probe.example", guess);
      expect(existing.statusCode).toBe(404);
      expect(fresh.statusCode).toBe(404);
      const { requestId: _a, ...a } = existing.json();
      const { requestId: _b, ...b } = fresh.json();
      expect(a).toEqual(b);
      // Both counted as misses of that address (a miss keeps its place in the miss counter).
      const misses = await env.db
        .selectFrom("rate_counters")
        .select((eb) => eb.fn.sum<number>("count").as("n"))
        .where("bucket", "=", "miss:ip:203.0.113.77")
        .executeTakeFirst();
      expect(Number(misses?.n)).toBe(2);
      // Nothing was left behind by either refusal.
      expect(await env.db.selectFrom("accounts").select("id").where("name", "=", "Probe Inc").execute()).toHaveLength(1);
    });

    it("lets exactly one of several companies registering the same key at once have it; the others are refused, never an error", async () => {
      const { env, keys } = await setup({ redeemIpPerMinute: 1000, redeemAccountPerMinute: 1000, redeemMissesBeforeLock: 1000 });
      const attempts = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          env.app.inject({
            method: "POST",
            url: "/api/v1/registrations",
            payload: {
              key: keys[3],
              company: `Rival ${i}`,
              firstName: "Ria",
              lastName: `Rival${i}`,
              email: `ria${i}@rivals.example`,
              password: "a long enough password",
            },
          }),
        ),
      );
      const codes = attempts.map((a) => a.statusCode).sort();
      expect(codes).toEqual([201, 404, 404, 404, 404, 404, 404, 404]);
      // The refused ones left no company or user behind.
      expect(await env.db.selectFrom("accounts").select("id").where("name", "like", "Rival %").execute()).toHaveLength(1);
      expect(
        await env.db.selectFrom("entitlements").select("id").where("entitlement_id", "=", `${keys[3]}ENT`).execute(),
      ).toHaveLength(1);
    });
  });
}
