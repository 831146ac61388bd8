import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { Pool } from "undici";
import { login } from "../e2e/harness.js";

/**
 * What the HTTP benchmarks set up on a running server before they measure: a producer-admin
 * token, a deployed license model and product, a distributor (DIST) and a customer (CUST), and
 * bulk entitlements sold to DIST whose keys they generate and read back through the API.
 */
export async function benchCatalog(base: string) {
  const s = await login(base, "bench@example.com", "correct horse battery staple");
  const token = (
    (await (await s.post("/api/v1/tokens", { name: "bench", accountId: "PUBLISHER", role: "PRODUCER_ADMIN" })).json()) as {
      token: string;
    }
  ).token;
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const call = async (method: string, p: string, body?: unknown) =>
    (await fetch(`${base}${p}`, { method, headers, body: body ? JSON.stringify(body) : undefined })).json() as Promise<any>;
  const lm = await call("POST", "/api/v1/license-models", {
    name: "LM",
    technology: "CERTIFICATE",
    modelType: "NODE_LOCKED_UNCOUNTED",
  });
  await call("POST", `/api/v1/license-models/${lm.id}/actions/change-state`, { state: "DEPLOYED" });
  const product = await call("POST", "/api/v1/products", { name: "Bench CAD", version: "1", licenseModelIds: [lm.id] });
  await call("POST", `/api/v1/products/${product.id}/actions/change-state`, { state: "DEPLOYED" });
  await call("POST", "/api/v1/accounts", { id: "DIST", name: "Distributor", type: "CHANNEL_PARTNER" });
  await call("POST", "/api/v1/accounts", { id: "CUST", name: "Customer", type: "CUSTOMER" });
  /** A DEPLOYED bulk entitlement sold to DIST. */
  const newBulk = (): Promise<{ id: string }> =>
    call("POST", "/api/v1/entitlements", {
      kind: "BULK",
      soldTo: "DIST",
      product: { products: [{ productId: product.id }], licenseModelId: lm.id },
      autoDeploy: true,
    });
  /** Generates `count` keys into the bulk entitlement (10,000 a request) and reads them all back, in load order. */
  const generateKeys = async (bulkId: string, count: number): Promise<string[]> => {
    for (let done = 0; done < count; done += 10_000)
      await call("POST", `/api/v1/entitlements/${bulkId}/keys/generate`, { count: Math.min(10_000, count - done) });
    const keys: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { key: string }[]; nextCursor: string | null } = await call(
        "GET",
        `/api/v1/entitlements/${bulkId}/keys?limit=200${cursor ? `&cursor=${cursor}` : ""}`,
      );
      keys.push(...page.items.map((k) => k.key));
      cursor = page.nextCursor;
    } while (cursor);
    return keys;
  };
  return { token, headers, call, newBulk, generateKeys, licenseModelId: lm.id as string, productId: product.id as string };
}

/** The p-th percentile of `xs` (nearest rank), 0 for none. */
export const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number) : 0;
};

/** `url` with its database replaced by `name`. */
export const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

/** One statement on the server `pgUrl` names (CREATE/DROP DATABASE of a benchmark's own databases). */
export async function adminQuery(pgUrl: string, q: string) {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
}

/**
 * A copy of a stopped server's database for a floor server to work on (same schema, indexes and
 * rows): by `CREATE DATABASE … TEMPLATE` on PostgreSQL, by its files on SQLite. Returns where the
 * copy is (a postgres:// URL or the SQLite file).
 */
export async function copyDatabaseForFloor(o: {
  database: "sqlite" | "postgres";
  pgUrl: string;
  dbName: string;
  floorDbName: string;
  dataDir: string;
  floorDir: string;
}): Promise<string> {
  if (o.database === "postgres") {
    await adminQuery(o.pgUrl, `CREATE DATABASE ${o.floorDbName} TEMPLATE ${o.dbName}`);
    return withDatabase(o.pgUrl, o.floorDbName);
  }
  for (const f of ["licensor.sqlite", "licensor.sqlite-wal"])
    if (fs.existsSync(path.join(o.dataDir, f))) fs.copyFileSync(path.join(o.dataDir, f), path.join(o.floorDir, f));
  return path.join(o.floorDir, "licensor.sqlite");
}

/**
 * What the HTTP benchmarks start the built server with: the bench admin, their environment and
 * data folder, and BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" profiles
 * the server under load).
 */
export const benchServerOptions = (env: Record<string, string>, dataDir: string) => ({
  adminEmail: "bench@example.com",
  adminPassword: "correct horse battery staple",
  env,
  dataDir,
  nodeArgs: process.env.BENCH_SERVER_NODE_ARGS?.split(" ").filter(Boolean),
});

/** The server's database pool size (as config.ts chooses it), given to the floors so both sides have as many connections. */
export const serverPoolSize = (env: Record<string, string>) =>
  Number(env.DATABASE_POOL_SIZE || Math.max(4, 2 * os.availableParallelism()));

/** One redemption of `key` for CUST over a kept-alive pool; its status code. */
export async function postRedemption(pool: Pool, headers: Record<string, string>, key: string): Promise<number> {
  const r = await pool.request({
    method: "POST",
    path: "/api/v1/redemptions",
    headers,
    body: JSON.stringify({ key, soldTo: "CUST" }),
  });
  await r.body.dump();
  return r.statusCode;
}
