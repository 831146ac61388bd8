import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import SQLite from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { account, deployedBulk, deployedLicenseModel, deployedProduct } from "../../e2e/factories.js";
import { assertBuilt, CLI, childEnv, freePort, login, okJson, ROOT, runCli, tempDir } from "../../e2e/harness.js";

/** The built `licensor` refusing bad configuration, and stopping gracefully on a signal. */
describe("licensor configuration and shutdown", () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const dataDir = () => {
    const d = tempDir("licensor-config-");
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  const verbs = [
    ["serve"],
    ["migrate"],
    ["admin", "create", "--email", "a@b.c"],
    ["token", "create", "--email", "a@b.c", "--role", "PRODUCER_ADMIN"],
    ["keys", "count", "--bulk", "X"],
  ];

  it("every verb that reads configuration stops with exit code 1 naming each bad variable, and writes nothing", async () => {
    const bad = { LICENSOR_SESSION_TTL_HOURS: "abc", LICENSOR_REDEEM_IP_PER_MINUTE: "-5", LOG_LEVEL: "verbose" };
    for (const args of verbs) {
      const dir = dataDir();
      const r = await runCli(args, { LICENSOR_DATA_DIR: dir, ...bad }, 20_000);
      expect(r.code, `${args.join(" ")}: ${r.stdout}${r.stderr}`).toBe(1);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toEqual([
        "licensor: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got 'verbose')",
        "licensor: LICENSOR_SESSION_TTL_HOURS must be a number of hours between 1 and 8760 (got 'abc')",
        "licensor: LICENSOR_REDEEM_IP_PER_MINUTE must be a whole number of attempts from 1 to 1000000000 (got '-5')",
      ]);
      // Refused before the database was opened.
      expect(fs.readdirSync(dir), args.join(" ")).toEqual([]);
    }
  });

  it("serve --port is checked as PORT is", async () => {
    const dir = dataDir();
    const r = await runCli(["serve", "--port", "eighty"], { LICENSOR_DATA_DIR: dir });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("licensor: --port must be a port number from 0 to 65535 (got 'eighty')");
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("checks LICENSOR_ADMIN_PASSWORD when it creates the first admin, and does not read it once one exists", {
    timeout: 60_000,
  }, async () => {
    const dir = dataDir();
    const email = "first-admin@example.test";
    const weak = await runCli(["serve", "--port", "0"], {
      LICENSOR_DATA_DIR: dir,
      LICENSOR_ADMIN_EMAIL: email,
      LICENSOR_ADMIN_PASSWORD: "password1234",
    });
    expect(weak.code, weak.stdout + weak.stderr).toBe(1);
    expect(weak.stderr).toMatch(/LICENSOR_ADMIN_PASSWORD is too easy to guess/);
    const users = () => {
      const db = new SQLite(path.join(dir, "licensor.sqlite"), { readonly: true });
      try {
        return db.prepare("SELECT email FROM users").all();
      } finally {
        db.close();
      }
    };
    expect(users()).toEqual([]);
    const password = "first admin chose a passphrase";
    const created = await runCli(["admin", "create", "--email", email, "--password", password], { LICENSOR_DATA_DIR: dir });
    expect(created.code, created.stdout + created.stderr).toBe(0);
    // The admin exists: the variable is not used, so a weak leftover value does not stop the server.
    const s = await serveIn(dir, { LICENSOR_ADMIN_EMAIL: email, LICENSOR_ADMIN_PASSWORD: "password1234" });
    await login(`http://127.0.0.1:${s.port}`, email, password);
    expect(users()).toEqual([{ email }]);
  });

  /** `licensor serve` as a child whose exit we watch, healthy on a free port. */
  async function serve(env: Record<string, string>) {
    return serveIn(dataDir(), env);
  }

  async function serveIn(dir: string, env: Record<string, string>) {
    assertBuilt();
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, "serve"], {
      cwd: ROOT,
      env: childEnv({ PORT: String(port), HOST: "127.0.0.1", LICENSOR_DATA_DIR: dir, LOG_LEVEL: "warn", ...env }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
    });
    child.stderr?.on("data", (d) => {
      out += d;
    });
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      child.on("exit", (code) => resolve({ code, at: Date.now() })),
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/api/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`licensor serve did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { port, dir, child, exited, output: () => out };
  }

  /**
   * A request kept in flight: its headers are sent and half of its body; `finish()` sends the
   * rest. Resolves `response` with the status once the server answers.
   */
  function slowLogin(port: number) {
    const body = JSON.stringify({ email: "nobody@example.com", password: "not-the-password" });
    const req = http.request({
      host: "127.0.0.1",
      port,
      method: "POST",
      path: "/api/v1/session",
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    });
    const response = new Promise<number>((resolve, reject) => {
      req.on("response", (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", reject);
    });
    response.catch(() => {});
    req.write(body.slice(0, 10));
    return { response, finish: () => req.end(body.slice(10)) };
  }

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("on SIGTERM stops accepting, lets the in-flight request finish, closes the database and exits 0", {
    timeout: 60_000,
  }, async () => {
    const s = await serve({ LICENSOR_SHUTDOWN_GRACE_SECONDS: "10" });
    const slow = slowLogin(s.port);
    await sleep(300);
    s.child.kill("SIGTERM");
    await sleep(500);
    // Still running for the request in flight, but no longer accepting new connections.
    expect(s.child.exitCode, s.output()).toBeNull();
    await expect(fetch(`http://127.0.0.1:${s.port}/api/health`)).rejects.toThrow();
    const finishedAt = Date.now();
    slow.finish();
    expect(await slow.response).toBe(401);
    const { code, at } = await s.exited;
    expect(code, s.output()).toBe(0);
    expect(at - finishedAt).toBeLessThan(3_000);
    // The SQLite database was closed: its write-ahead log was folded in and removed on close.
    expect(fs.existsSync(path.join(s.dir, "licensor.sqlite"))).toBe(true);
    expect(fs.existsSync(path.join(s.dir, "licensor.sqlite-wal"))).toBe(false);
  });

  it("exits 1 once LICENSOR_SHUTDOWN_GRACE_SECONDS pass with a request still in flight", { timeout: 60_000 }, async () => {
    const s = await serve({ LICENSOR_SHUTDOWN_GRACE_SECONDS: "1" });
    const slow = slowLogin(s.port);
    await sleep(300);
    const signalledAt = Date.now();
    s.child.kill("SIGTERM");
    const { code, at } = await s.exited;
    expect(code, s.output()).toBe(1);
    expect(at - signalledAt).toBeGreaterThanOrEqual(900);
    expect(at - signalledAt).toBeLessThan(5_000);
    expect(s.output()).toContain("did not stop within 1 s of SIGTERM (LICENSOR_SHUTDOWN_GRACE_SECONDS)");
    await expect(slow.response).rejects.toThrow();
  });

  it("on SIGTERM hands a running job back to the queue, writes none of it, and exits 0", { timeout: 120_000 }, async () => {
    const email = "stop-admin@example.test";
    const password = "stop-admin-password-1";
    const s = await serve({ LICENSOR_ADMIN_EMAIL: email, LICENSOR_ADMIN_PASSWORD: password });
    const url = `http://127.0.0.1:${s.port}`;
    const admin = await login(url, email, password);
    const lm = await deployedLicenseModel(admin, "Stop LM");
    const product = await deployedProduct(admin, { name: "Stop Box", licenseModelIds: [lm.id] });
    await account(admin, "STOP-DIST", "Distributor", "CHANNEL_PARTNER");
    const { bulk } = await deployedBulk(admin, { soldTo: "STOP-DIST", productId: product.id, licenseModelId: lm.id });
    // Far more keys than can be written before the signal: the job is still running when it comes.
    const job = await okJson(await admin.post(`/api/v1/entitlements/${bulk.id}/keys/generate`, { count: 10_000_000 }), 202);
    for (let i = 0; ; i++) {
      const j = await okJson(await admin.get(`/api/v1/jobs/${job.jobId}`), 200);
      if (j.state === "RUNNING") break;
      expect(i, JSON.stringify(j)).toBeLessThan(200);
      await sleep(50);
    }
    s.child.kill("SIGTERM");
    const { code } = await s.exited;
    expect(code, s.output()).toBe(0);
    const db = new SQLite(path.join(s.dir, "licensor.sqlite"), { readonly: true });
    const row = db.prepare("SELECT state, worker, lease_expires_at FROM jobs WHERE id = ?").get(job.jobId);
    const keys = db.prepare("SELECT COUNT(*) AS n FROM web_register_keys").get() as { n: number };
    db.close();
    expect(row).toEqual({ state: "QUEUED", worker: null, lease_expires_at: null });
    expect(keys.n).toBe(0);
  });
});
