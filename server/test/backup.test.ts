import { type ChildProcess, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import SQLite from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.js";
import { publisherEnsurer } from "../src/commands/bootstrap.js";
import { migrateToLatest, openDatabase } from "../src/db/connect.js";
import { bulkEntitlement } from "./factories.js";
import { makeEnv, PUBLISHER_ID, testConfig } from "./helpers.js";

/**
 * `licensor backup` and `licensor restore` as an operator runs them (the CLI as a child process),
 * against a real server child on the same SQLite data folder that keeps redeeming keys while the
 * backup is taken.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
const KEYS = 3000;
const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
const sha = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

/** Limits off: the load below is one client redeeming as fast as it can on purpose. */
const serverEnv = (dataDir: string) => ({
  ...process.env,
  LICENSOR_DATA_DIR: dataDir,
  DATABASE_URL: "",
  LICENSOR_REDEEM_IP_PER_MINUTE: "1000000000",
  LICENSOR_REDEEM_ACCOUNT_PER_MINUTE: "1000000000",
  LICENSOR_REDEEM_MISSES_BEFORE_LOCK: "1000000000",
});

function cli(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "cli/src/main.ts"), ...args], {
      cwd: repoRoot,
      env: serverEnv(dataDir),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("backup and restore [sqlite]", () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  function startServer(dataDir: string, extra: Record<string, string> = {}) {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "fixtures/serverChild.ts")], {
      cwd: repoRoot,
      env: { ...serverEnv(dataDir), ...extra },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    let out = "";
    let err = "";
    child.stderr?.on("data", (d) => {
      err += d;
    });
    const url = new Promise<string>((resolve, reject) => {
      child.stdout?.on("data", (d) => {
        out += d;
        const m = /listening (\S+)/.exec(out);
        if (m) resolve(m[1] as string);
      });
      child.on("exit", (code) => reject(new Error(`server child exited ${code}: ${out}\n${err}`)));
    });
    return { child, url, exited };
  }

  it("a backup taken while keys are redeemed restores whole, with exact counts; restore refuses a running server and bad files", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "licensor-backup-"));
    dirs.push(root);
    const dataDir = path.join(root, "data");
    const dbFile = path.join(dataDir, "licensor.sqlite");

    // The data: a bulk entitlement of KEYS keys and a customer who will redeem them.
    const handle = openDatabase({ dataDir });
    await migrateToLatest(handle.db);
    await publisherEnsurer(handle.db, PUBLISHER_ID, "Test Producer");
    const app = await buildApp(
      { db: handle.db, dialect: "sqlite", config: testConfig({ dataDir }), bulk: handle.bulk },
      { logger: false },
    );
    await app.ready();
    const env = makeEnv("sqlite", handle.db, app);
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk, keys } = await bulkEntitlement(env, admin, { keys: KEYS });
    const customer = await env.makeAccount({ name: "Backup Customer" });
    const { token } = await env.makeUser({ role: "CUSTOMER_PORTAL_USER", accountId: customer });
    await app.close();
    await handle.close();

    const server = startServer(dataDir);
    const url = await server.url;
    expect(fs.readdirSync(path.join(dataDir, "running"))).toEqual([String(server.child.pid)]);

    // Redemptions, eight at a time, all the way through the backup.
    let redeemed = 0;
    let stop = false;
    const queue = [...keys];
    const worker = async () => {
      for (let key = queue.shift(); key !== undefined && !stop; key = queue.shift()) {
        const r = await fetch(`${url}/api/v1/redemptions`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ key }),
        });
        expect(r.status, await r.text()).toBe(201);
        redeemed++;
        // Paced (at most ~800 a second in all), so the keys outlast the backup on a fast machine.
        await new Promise((res) => setTimeout(res, 10));
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, worker));
    while (redeemed < 40) await new Promise((r) => setTimeout(r, 20));
    const backupFile = path.join(root, "backup.sqlite");
    const redeemedAtBackupStart = redeemed;
    const backup = await cli(["backup", "--out", backupFile], dataDir);
    const redeemedAtBackupEnd = redeemed;
    // The load goes on a moment after the backup, then stops short of the last keys.
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await load;
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stderr).toMatch(/backup: \d+ of \d+ pages \(100%\)/);
    expect(backup.stderr).toContain("signing-key-secret");
    expect(fs.statSync(backupFile).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(root).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    // The load went on during the backup, and after it.
    expect(redeemedAtBackupEnd).toBeGreaterThan(redeemedAtBackupStart);
    expect(redeemed).toBeGreaterThan(redeemedAtBackupEnd);
    expect(redeemed).toBeLessThan(KEYS);

    // Refused while the server runs: nothing changes.
    const whileRunning = await cli(["restore", backupFile], dataDir);
    expect(whileRunning.code).toBe(1);
    expect(whileRunning.stderr).toContain(`a Licensor server is running on ${dataDir} (process ${server.child.pid})`);
    expect(fs.readdirSync(dataDir).filter((f) => f.includes("before-restore"))).toEqual([]);

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(fs.readdirSync(path.join(dataDir, "running"))).toEqual([]);
    const live = sha(dbFile);

    // A truncated copy, a file that is not SQLite, and an SQLite file that is not Licensor's: refused, nothing changed.
    const truncated = path.join(root, "truncated.sqlite");
    const bytes = fs.readFileSync(backupFile);
    fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const notSqlite = path.join(root, "notes.txt");
    fs.writeFileSync(notSqlite, "not a database\n".repeat(100));
    const foreign = path.join(root, "foreign.sqlite");
    const f = new SQLite(foreign);
    f.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);");
    f.close();
    for (const [file, why] of [
      [truncated, /failed its integrity check|malformed/],
      [notSqlite, /is not an SQLite database/],
      [foreign, /is not a Licensor database/],
    ] as const) {
      const r = await cli(["restore", file], dataDir);
      expect(r.code, r.stdout).toBe(1);
      expect(r.stderr).toMatch(why);
      expect(sha(dbFile)).toBe(live);
      expect(fs.readdirSync(dataDir).filter((x) => x.includes("before-restore") || x.endsWith(".tmp"))).toEqual([]);
    }

    // The backup restores; the database it replaced is kept.
    const restored = await cli(["restore", backupFile], dataDir);
    expect(restored.code, restored.stderr).toBe(0);
    const kept = fs.readdirSync(dataDir).filter((x) => x.startsWith("licensor.sqlite.before-restore-"));
    expect(kept).toHaveLength(1);
    // Kept whole (its WAL folded in): every redemption the server made before it stopped.
    const old = new SQLite(path.join(dataDir, kept[0] as string), { readonly: true });
    try {
      expect(old.pragma("integrity_check")).toEqual([{ integrity_check: "ok" }]);
      expect(old.prepare("SELECT COUNT(*) AS n FROM web_register_keys WHERE status = 'REDEEMED'").get()).toEqual({ n: redeemed });
    } finally {
      old.close();
    }
    expect(fs.statSync(dbFile).mode & 0o777).toBe(0o600);

    const db = new SQLite(dbFile, { readonly: true });
    try {
      expect(db.pragma("integrity_check")).toEqual([{ integrity_check: "ok" }]);
      const row = db
        .prepare(
          `SELECT e.key_count AS keyCount,
             e.redeemed_count + COALESCE((SELECT SUM(redeemed) FROM key_redemption_counts c WHERE c.bulk_id = e.id), 0) AS counter,
             (SELECT COUNT(*) FROM web_register_keys k WHERE k.bulk_id = e.id) AS keys,
             (SELECT COUNT(*) FROM web_register_keys k WHERE k.bulk_id = e.id AND k.status = 'REDEEMED') AS redeemedKeys,
             (SELECT COUNT(*) FROM web_register_keys k WHERE k.bulk_id = e.id AND k.status <> 'REDEEMED') AS unredeemedKeys,
             (SELECT COUNT(*) FROM entitlements s WHERE s.parent_bulk_id = e.id) AS redeemedEntitlements
           FROM entitlements e WHERE e.id = ?`,
        )
        .get(bulk.id) as Record<string, number>;
      // A moment of the load: some keys redeemed, not all, and every counter equal to what it counts.
      expect(row.keyCount).toBe(KEYS);
      expect(row.keys).toBe(KEYS);
      expect(row.counter).toBe(row.redeemedKeys);
      expect(row.redeemedEntitlements).toBe(row.redeemedKeys);
      expect(Number(row.redeemedKeys) + Number(row.unredeemedKeys)).toBe(KEYS);
      expect(row.redeemedKeys).toBeGreaterThanOrEqual(40);
      expect(row.redeemedKeys).toBeLessThanOrEqual(redeemedAtBackupEnd);
    } finally {
      db.close();
    }

    // A server starts on the restored database and sees the same counts; it is ready, and its
    // metrics-only listener (loopback, so no token) answers beside it.
    const metricsPort = await freePort();
    const again = startServer(dataDir, { LICENSOR_METRICS_LISTEN: `127.0.0.1:${metricsPort}` });
    const url2 = await again.url;
    expect((await fetch(`${url2}/health/ready`)).status).toBe(200);
    // The main port serves no metrics: a 404, or the portal's page when the portal is built (any
    // unknown GET is the single-page app's index.html).
    const mainMetrics = await fetch(`${url2}/metrics`);
    expect(mainMetrics.headers.get("content-type") ?? "").not.toContain("text/plain");
    expect(await mainMetrics.text()).not.toContain("licensor_");
    const adminToken = await (async () => {
      const h = openDatabase({ dataDir });
      try {
        const e = makeEnv("sqlite", h.db, null as never);
        return (await e.makeUser({ role: "PRODUCER_ADMIN", accountId: PUBLISHER_ID })).token;
      } finally {
        await h.close();
      }
    })();
    const counts = await fetch(`${url2}/api/v1/entitlements/${bulk.id}/keys/counts`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(counts.status).toBe(200);
    const c = (await counts.json()) as { total: number; redeemed: number };
    expect(c.total).toBe(KEYS);
    expect(c.redeemed).toBeGreaterThanOrEqual(40);
    const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toMatch(
      /^licensor_http_requests_total\{method="GET",route="\/api\/v1\/entitlements\/:id\/keys\/counts",status_class="2xx"\} 1$/m,
    );
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);
  }, 300_000);
});
