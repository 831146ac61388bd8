import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, ENV_VARS, loadConfig } from "../src/config.js";
import { migrateToLatest, openDatabase } from "../src/db/connect.js";

const modeOf = (p: string) => fs.statSync(p).mode & 0o777;

const README = path.resolve(import.meta.dirname, "../../README.md");

/** The README's Configuration table as [variable, default, meaning] rows, cells trimmed. */
function readmeRows(): string[][] {
  const text = fs.readFileSync(README, "utf8");
  const section = text.slice(text.indexOf("## Configuration"), text.indexOf("\n## ", text.indexOf("## Configuration") + 1));
  return section
    .split("\n")
    .filter((l) => l.startsWith("| `"))
    .map((l) =>
      l
        .slice(1, -1)
        .split(" | ")
        .map((c) => c.trim()),
    );
}

/** The problems loadConfig reports for `env`, or [] when it accepts it. */
function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
}

describe("configuration", () => {
  it("sizes the PostgreSQL pool from the cores unless told, and refuses a size that is not a whole number in range", () => {
    expect(loadConfig({}).databasePoolSize).toBe(Math.max(4, 2 * os.availableParallelism()));
    expect(loadConfig({ DATABASE_POOL_SIZE: "7" }).databasePoolSize).toBe(7);
    for (const bad of ["0", "-1", "2.5", "lots", "1001"])
      expect(() => loadConfig({ DATABASE_POOL_SIZE: bad })).toThrow(/DATABASE_POOL_SIZE must be a whole number from 1 to 1000/);
  });

  it("the README's Configuration table lists exactly the schema's variables, defaults and descriptions, in order", () => {
    expect(readmeRows()).toEqual(ENV_VARS.map((v) => [`\`${v.name}\``, v.shownDefault, v.description]));
  });

  it("every variable of the schema has a description, a default shown and the words of its error", () => {
    for (const v of ENV_VARS) {
      expect(v.description.length, v.name).toBeGreaterThan(10);
      expect(v.shownDefault.length, v.name).toBeGreaterThan(0);
      expect(v.expected.length, v.name).toBeGreaterThan(0);
    }
    expect(new Set(ENV_VARS.map((v) => v.name)).size).toBe(ENV_VARS.length);
  });

  it("defaults every variable when the environment is empty", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      host: "0.0.0.0",
      dataDir: path.resolve("data"),
      databaseUrl: undefined,
      logLevel: "info",
      trustProxy: false,
      secureCookies: false,
      sessionTtlHours: 12,
      publicUrl: "http://localhost:8080",
      redeemIpPerMinute: 30,
      redeemAccountPerMinute: 60,
      redeemMissesBeforeLock: 10,
      jobLeaseMs: 30_000,
      jobLeaseRenewMs: 10_000,
      shutdownGraceMs: 10_000,
    });
    // Empty counts as unset, as a blank line in an env file means.
    expect(loadConfig({ PORT: "", LOG_LEVEL: "" })).toMatchObject({ port: 8080, logLevel: "info" });
  });

  it("reads good values typed", () => {
    const c = loadConfig({
      PORT: "9000",
      LOG_LEVEL: "debug",
      LICENSOR_SESSION_TTL_HOURS: "24",
      LICENSOR_REDEEM_IP_PER_MINUTE: "5",
      LICENSOR_SECURE_COOKIES: "true",
      LICENSOR_JOB_LEASE_SECONDS: "1.5",
      LICENSOR_JOB_LEASE_RENEW_SECONDS: "0.5",
      LICENSOR_SHUTDOWN_GRACE_SECONDS: "2.5",
      DATABASE_URL: "postgresql://u@h/db",
      LICENSOR_PUBLIC_URL: "https://licenses.example.com/",
    });
    expect(c).toMatchObject({
      port: 9000,
      logLevel: "debug",
      sessionTtlHours: 24,
      redeemIpPerMinute: 5,
      secureCookies: true,
      jobLeaseMs: 1500,
      jobLeaseRenewMs: 500,
      shutdownGraceMs: 2500,
      databaseUrl: "postgresql://u@h/db",
      publicUrl: "https://licenses.example.com",
    });
    expect(loadConfig({ PORT: "9000" }).publicUrl).toBe("http://localhost:9000");
    expect(loadConfig({ LICENSOR_ADMIN_PASSWORD: " spaced pass phrase " }).adminPassword).toBe(" spaced pass phrase ");
    expect(loadConfig({ LICENSOR_TRUST_PROXY: "true" }).trustProxy).toBe(true);
    expect(loadConfig({ LICENSOR_TRUST_PROXY: "2" }).trustProxy).toBe(2);
    expect(loadConfig({ LICENSOR_TRUST_PROXY: "10.0.0.0/8, 127.0.0.1,loopback" }).trustProxy).toBe(
      "10.0.0.0/8, 127.0.0.1,loopback",
    );
  });

  it("refuses the values it used to accept silently, naming the variable, what it allows and what it got", () => {
    expect(problems({ LICENSOR_SESSION_TTL_HOURS: "abc" })).toEqual([
      "LICENSOR_SESSION_TTL_HOURS must be a number of hours between 1 and 8760 (got 'abc')",
    ]);
    expect(problems({ LICENSOR_REDEEM_IP_PER_MINUTE: "-5" })).toEqual([
      "LICENSOR_REDEEM_IP_PER_MINUTE must be a whole number of attempts from 1 to 1000000000 (got '-5')",
    ]);
    expect(problems({ LOG_LEVEL: "verbose" })).toEqual([
      "LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got 'verbose')",
    ]);
  });

  it("refuses a bad value of every kind of variable", () => {
    const bad: Record<string, string[]> = {
      PORT: ["http", "65536", "-1", "80.5", "0x50", " 80"],
      DATABASE_URL: ["mysql://x/y", "data.sqlite"],
      LICENSOR_ADMIN_EMAIL: ["admin"],
      LICENSOR_TRUST_PROXY: ["yes", "10.0.0.0/33", "proxy.example.com"],
      LICENSOR_SECURE_COOKIES: ["yes", "1"],
      LICENSOR_SESSION_TTL_HOURS: ["0", "8761", "12.5", "1e3"],
      LICENSOR_PUBLIC_URL: ["licenses.example.com", "ftp://x"],
      LICENSOR_REDEEM_ACCOUNT_PER_MINUTE: ["0", "many"],
      LICENSOR_REDEEM_MISSES_BEFORE_LOCK: ["-1"],
      LICENSOR_JOB_LEASE_SECONDS: ["0", "3601", "soon"],
      LICENSOR_SHUTDOWN_GRACE_SECONDS: ["0", "forever", "-3"],
    };
    for (const [name, values] of Object.entries(bad))
      for (const value of values) {
        const p = problems({ [name]: value });
        expect(p, `${name}=${value}`).toHaveLength(1);
        expect(p[0], `${name}=${value}`).toMatch(
          new RegExp(`^${name} must be .* \\(got '${value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}'\\)$`),
        );
      }
  });

  it("never shows a credential of a bad value", () => {
    expect(problems({ DATABASE_URL: "mysql://licensor:s3cret@db:3306/licensor" })).toEqual([
      "DATABASE_URL must be a postgres:// or postgresql:// URL, or unset for SQLite (got 'mysql://licensor:***@db:3306/licensor')",
    ]);
  });

  it("names every bad variable at once, and the lease renewal against the lease", () => {
    expect(problems({ PORT: "x", LOG_LEVEL: "loud" }).map((p) => p.split(" ")[0])).toEqual(["PORT", "LOG_LEVEL"]);
    expect(problems({ LICENSOR_JOB_LEASE_SECONDS: "10", LICENSOR_JOB_LEASE_RENEW_SECONDS: "6" })).toEqual([
      "LICENSOR_JOB_LEASE_RENEW_SECONDS (6) must be at most half of LICENSOR_JOB_LEASE_SECONDS (10), so one late renewal does not lose a job",
    ]);
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
