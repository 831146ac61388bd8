import crypto from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { account, deployedBulk, deployedLicenseModel, deployedProduct } from "./factories.js";
import { login, type RunningServer, startServer } from "./harness.js";

/**
 * Two real server processes sharing one PostgreSQL database, as behind a load balancer:
 * concurrent redemptions split across both never make a second entitlement.
 */
const PG_URL = process.env.LICENSOR_TEST_PG_URL || "";
const REQUIRED = process.env.LICENSOR_REQUIRE_PG === "1";
if (!PG_URL && !REQUIRED)
  console.warn("\n[licensor e2e] two-process PostgreSQL redemption tests are NOT running: set LICENSOR_TEST_PG_URL.\n");

describe.skipIf(!PG_URL && !REQUIRED)("redemption across two server processes on one PostgreSQL", () => {
  const dbName = `licensor_cluster_${crypto.randomBytes(4).toString("hex")}`;
  const servers: RunningServer[] = [];
  let token = "";
  // Each test redeems the keys of its own bulk entitlement and counts only that one's, so neither
  // depends on the other having run, or on the order.
  let single = { bulkId: "", keys: [] as string[] };
  let many = { bulkId: "", keys: [] as string[] };
  const accounts: string[] = [];

  async function admin(q: string) {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      return await c.query(q);
    } finally {
      await c.end();
    }
  }
  const api = (i: number) => async (method: string, p: string, body?: unknown) => {
    const r = await fetch(`${(servers[i % servers.length] as RunningServer).url}${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: r.status, json: (await r.json().catch(() => null)) as any };
  };

  beforeAll(async () => {
    if (!PG_URL) throw new Error("LICENSOR_REQUIRE_PG=1 but LICENSOR_TEST_PG_URL is not set");
    await admin(`CREATE DATABASE ${dbName}`);
    const u = new URL(PG_URL);
    u.pathname = `/${dbName}`;
    const env = {
      DATABASE_URL: u.toString(),
      LICENSOR_REDEEM_IP_PER_MINUTE: "1000000",
      LICENSOR_REDEEM_ACCOUNT_PER_MINUTE: "1000000",
      LICENSOR_REDEEM_MISSES_BEFORE_LOCK: "1000000",
    };
    const creds = { adminEmail: "admin@cluster.example", adminPassword: "correct horse battery staple" };
    servers.push(await startServer({ ...creds, env }));
    servers.push(await startServer({ ...creds, env }));
    const s = await login((servers[0] as RunningServer).url, creds.adminEmail, creds.adminPassword);
    token = (await (await s.post("/api/v1/tokens", { name: "cluster", accountId: "PUBLISHER", role: "PRODUCER_ADMIN" })).json())
      .token;
    // The catalog, the accounts and the keys, through the first server with the admin's session.
    const lm = await deployedLicenseModel(s, "LM");
    const product = await deployedProduct(s, { name: "Cluster CAD", version: "1", licenseModelIds: [lm.id] });
    await account(s, "DIST", "Distributor", "CHANNEL_PARTNER");
    for (let i = 0; i < 50; i++) {
      accounts.push(`CUST-${i}`);
      await account(s, `CUST-${i}`, `Customer ${i}`);
    }
    const bulkWithKeys = async (count: number) => {
      const { bulk, keys } = await deployedBulk(s, { soldTo: "DIST", productId: product.id, licenseModelId: lm.id, keys: count });
      return { bulkId: bulk.id as string, keys };
    };
    single = await bulkWithKeys(1);
    many = await bulkWithKeys(2000);
  }, 120_000);

  /** Entitlements made from the bulk entitlement's keys, counted in the database itself. */
  async function redeemedFrom(bulkId: string): Promise<number> {
    const u = new URL(PG_URL);
    u.pathname = `/${dbName}`;
    const c = new pg.Client({ connectionString: u.toString() });
    await c.connect();
    try {
      return (await c.query("SELECT count(*)::int AS n FROM entitlements WHERE parent_bulk_id = $1", [bulkId])).rows[0].n;
    } finally {
      await c.end();
    }
  }

  afterAll(async () => {
    for (const s of servers) await s.stop();
    if (PG_URL) await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  });

  it("200 concurrent redemptions of one key through both processes: exactly one entitlement", async () => {
    const key = single.keys[0] as string;
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => api(i)("POST", "/api/v1/redemptions", { key, soldTo: "CUST-0" })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(199);
    expect(new Set(results.map((r) => r.json.entitlement.id)).size).toBe(1);
    expect(await redeemedFrom(single.bulkId)).toBe(1);
    expect((await api(1)("GET", `/api/v1/entitlements/${single.bulkId}/keys/counts`)).json).toEqual({
      total: 1,
      redeemed: 1,
      unredeemed: 0,
    });
  }, 120_000);

  it("2,000 distinct keys by 50 concurrent clients through both processes: 2,000 entitlements, exact counts", async () => {
    const queue = [...many.keys];
    const failures: string[] = [];
    await Promise.all(
      accounts.map(async (acct, i) => {
        for (let key = queue.pop(); key; key = queue.pop()) {
          const r = await api(i)("POST", "/api/v1/redemptions", { key, soldTo: acct });
          if (r.status !== 201) failures.push(`${r.status} ${JSON.stringify(r.json).slice(0, 120)}`);
        }
      }),
    );
    expect(failures).toEqual([]);
    expect(await redeemedFrom(many.bulkId)).toBe(2000);
    expect((await api(1)("GET", `/api/v1/entitlements/${many.bulkId}/keys/counts`)).json).toEqual({
      total: 2000,
      redeemed: 2000,
      unredeemed: 0,
    });
  }, 300_000);
});
