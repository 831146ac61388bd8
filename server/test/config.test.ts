import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { migrateToLatest, openDatabase } from "../src/db/connect.js";
import { JobRunner } from "../src/jobs/runner.js";
import { catalogFixture } from "./entitlementFixtures.js";
import { describeEachDb, PUBLISHER_ID } from "./helpers.js";

const modeOf = (p: string) => fs.statSync(p).mode & 0o777;

describe("configuration", () => {
  it("sizes the PostgreSQL pool from the cores unless told, and refuses a size that is not a whole number in range", () => {
    expect(loadConfig({}).databasePoolSize).toBe(Math.max(4, 2 * os.availableParallelism()));
    expect(loadConfig({ DATABASE_POOL_SIZE: "7" }).databasePoolSize).toBe(7);
    for (const bad of ["0", "-1", "2.5", "lots", "1001"])
      expect(() => loadConfig({ DATABASE_POOL_SIZE: bad })).toThrow(/DATABASE_POOL_SIZE must be a whole number from 1 to 1000/);
  });
});

describe("data folder permissions (SQLite)", () => {
  it("creates the data folder 0700 and the database, its WAL and shared memory 0600; narrows an old 0644 file", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "licensor-modes-"));
    const previous = process.umask(0o022);
    try {
      const dataDir = path.join(root, "nested", "data");
      const h = openDatabase({ dataDir, sqliteFile: "licensor.sqlite" });
      await migrateToLatest(h.db);
      const file = path.join(dataDir, "licensor.sqlite");
      expect(modeOf(path.join(root, "nested"))).toBe(0o700);
      expect(modeOf(dataDir)).toBe(0o700);
      expect(modeOf(file)).toBe(0o600);
      for (const side of ["-wal", "-shm"]) if (fs.existsSync(file + side)) expect(modeOf(file + side)).toBe(0o600);
      await h.close();

      const old = path.join(dataDir, "old.sqlite");
      fs.writeFileSync(old, "");
      fs.chmodSync(old, 0o644);
      const h2 = openDatabase({ dataDir, sqliteFile: "old.sqlite" });
      expect(modeOf(old)).toBe(0o600);
      await h2.close();
    } finally {
      process.umask(previous);
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describeEachDb("uploaded key files are owner-only", (env) => {
  it("stores an upload 0600 in an uploads folder created 0700", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "licensor-uploads-"));
    const previous = process.umask(0o022);
    try {
      (env.app.deps.config as { dataDir: string }).dataDir = path.join(dataDir, "fresh");
      (env.app.deps as { jobs?: unknown }).jobs = new JobRunner({
        db: env.db,
        dialect: env.dialect,
        config: env.app.deps.config,
        bulk: env.app.deps.bulk,
      });
      const { token } = await env.makeUser({ role: "PRODUCER_ADMIN", accountId: PUBLISHER_ID });
      const admin = env.caller(token);
      const { lm, product, distributor } = await catalogFixture(env, admin);
      const bulk = (
        await admin.post("/api/v1/entitlements", {
          kind: "BULK",
          soldTo: distributor,
          product: { products: [{ productId: product.id }], licenseModelId: lm.id },
          autoDeploy: true,
        })
      ).json() as { id: string };
      const boundary = "----licensormodes";
      const payload = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="keys.txt"\r\nContent-Type: text/plain\r\n\r\nMODE-KEY-1\r\n--${boundary}--\r\n`;
      const res = await env.app.inject({
        method: "POST",
        url: `/api/v1/entitlements/${bulk.id}/keys/import`,
        payload,
        headers: {
          "content-type": `multipart/form-data; boundary=${boundary}`,
          authorization: `Bearer ${token}`,
        },
      });
      expect(res.statusCode, res.body).toBe(202);
      const uploads = path.join(dataDir, "fresh", "uploads");
      expect(modeOf(path.join(dataDir, "fresh"))).toBe(0o700);
      expect(modeOf(uploads)).toBe(0o700);
      const files = fs.readdirSync(uploads);
      expect(files).toHaveLength(1);
      expect(modeOf(path.join(uploads, files[0] as string))).toBe(0o600);
    } finally {
      process.umask(previous);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
