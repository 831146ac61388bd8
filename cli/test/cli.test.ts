import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { login, runCli, startServer, tempDir } from "../../e2e/harness.js";

/** The built `licensor` CLI as a user runs it: a child process with SQLite in a temp LICENSOR_DATA_DIR. */
describe("licensor CLI", () => {
  const dirs: string[] = [];
  const stops: (() => Promise<void>)[] = [];
  const dataDir = () => {
    const d = tempDir("licensor-cli-");
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  /** Creates an admin with a generated password on `dir` and returns the password the CLI printed. */
  async function createAdmin(dir: string, email: string): Promise<string> {
    const r = await runCli(["admin", "create", "--email", email], { LICENSOR_DATA_DIR: dir });
    expect(r.code, r.stderr).toBe(0);
    const m = /password:\s*(\S+)/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    return m?.[1] as string;
  }

  it("--help lists every verb", async () => {
    const r = await runCli(["--help"], { LICENSOR_DATA_DIR: dataDir() });
    expect(r.code).toBe(0);
    for (const verb of ["serve", "migrate", "admin", "token", "keys", "license", "backup", "restore"])
      expect(r.stdout).toMatch(new RegExp(`^\\s+${verb}\\b`, "m"));
  });

  it("migrate applies the schema to a fresh directory, then says it is up to date", async () => {
    const dir = dataDir();
    const first = await runCli(["migrate"], { LICENSOR_DATA_DIR: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/applied: .*0001_foundation/);
    expect(fs.existsSync(path.join(dir, "licensor.sqlite"))).toBe(true);

    const second = await runCli(["migrate"], { LICENSOR_DATA_DIR: dir });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain("up to date");
    expect(second.stdout).not.toContain("applied:");
  });

  it("admin create prints a generated password once, and it logs in", { timeout: 60_000 }, async () => {
    const dir = dataDir();
    const r = await runCli(["admin", "create", "--email", "x@y.z"], { LICENSOR_DATA_DIR: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("x@y.z");
    const password = /password:\s*(\S+)/.exec(r.stdout)?.[1] as string;
    expect(password?.length).toBeGreaterThanOrEqual(12);
    expect(r.stdout.split(password).length - 1).toBe(1);
    expect(r.stderr).not.toContain(password);

    // Stored hashed, never in clear.
    const db = new SQLite(path.join(dir, "licensor.sqlite"), { readonly: true });
    const row = db.prepare("SELECT password_hash FROM users WHERE email = ?").get("x@y.z") as { password_hash: string };
    db.close();
    expect(row.password_hash).toBeTruthy();
    expect(row.password_hash).not.toContain(password);

    const server = await startServer({ dataDir: dir });
    stops.push(server.stop);
    // An admin exists already, so the server must not invent another one.
    expect(server.output()).not.toContain("First producer admin created");
    const s = await login(server.url, "x@y.z", password);
    expect(s.session.user.email).toBe("x@y.z");
    expect(s.session.portal).toBe("producer");
    const wrong = await fetch(`${server.url}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "x@y.z", password: `${password}x` }),
    });
    expect(wrong.status).toBe(401);
  });

  it("admin create rejects a bad email with exit code 1 and says why", async () => {
    const r = await runCli(["admin", "create", "--email", "not-an-email"], { LICENSOR_DATA_DIR: dataDir() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/email.*valid/i);
    expect(r.stdout).not.toMatch(/password:/);
  });

  it("admin create refuses a duplicate email", async () => {
    const dir = dataDir();
    await createAdmin(dir, "dup@example.test");
    const r = await runCli(["admin", "create", "--email", "dup@example.test"], { LICENSOR_DATA_DIR: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already exists/);
  });

  it("token create prints a bearer token once that authenticates as that user", { timeout: 60_000 }, async () => {
    const dir = dataDir();
    await createAdmin(dir, "ops@example.test");
    const expires = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const r = await runCli(
      ["token", "create", "--email", "ops@example.test", "--role", "PRODUCER_ADMIN", "--name", "ci", "--expires", expires],
      { LICENSOR_DATA_DIR: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    const token = /\blic_[A-Za-z0-9_-]{20,}/.exec(r.stdout)?.[0] as string;
    expect(token, r.stdout).toBeTruthy();
    expect(r.stdout.split(token).length - 1).toBe(1);

    const db = new SQLite(path.join(dir, "licensor.sqlite"), { readonly: true });
    const rows = db.prepare("SELECT name, role, token_hash FROM api_tokens").all() as { name: string; token_hash: string }[];
    db.close();
    expect(rows).toEqual([
      expect.objectContaining({
        name: "ci",
        role: "PRODUCER_ADMIN",
        token_hash: crypto.createHash("sha256").update(token).digest("hex"),
      }),
    ]);

    const server = await startServer({ dataDir: dir });
    stops.push(server.stop);
    const me = await fetch(`${server.url}/api/v1/session`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status, await me.clone().text()).toBe(200);
    const body = (await me.json()) as { user: { email: string }; authMethod: string };
    expect(body.user.email).toBe("ops@example.test");
    expect(body.authMethod).toBe("token");
    const bad = await fetch(`${server.url}/api/v1/session`, { headers: { authorization: `Bearer ${token}x` } });
    expect(bad.status).toBe(401);
  });

  it("token create for an unknown user fails with exit code 1", async () => {
    const dir = dataDir();
    await createAdmin(dir, "someone@example.test");
    const r = await runCli(["token", "create", "--email", "nobody@example.test", "--role", "PRODUCER_ADMIN", "--name", "x"], {
      LICENSOR_DATA_DIR: dir,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/licensor: /);
    expect(r.stdout).not.toMatch(/\blic_/);
  });
});
