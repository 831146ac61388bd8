import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { afterEach, beforeEach, describe } from "vitest";
import type { AccountType, Role } from "../../common/src/enums.js";
import { buildApp } from "../src/app.js";
import { publisherEnsurer } from "../src/commands/bootstrap.js";
import { type Config, loadConfig } from "../src/config.js";
import { type DbHandle, type Dialect, migrateToLatest, openDatabase } from "../src/db/connect.js";
import type { Db } from "../src/db/schema.js";
import { newId, nowIso, sha256 } from "../src/util.js";
import { PG_ADMIN_URL, pgUrlFor, templateName, withPgAdmin } from "./pg.js";

export const DIALECTS: Dialect[] = PG_ADMIN_URL ? ["sqlite", "postgres"] : ["sqlite"];
export const PUBLISHER_ID = "PUBLISHER";

/** A fresh, migrated database of the given dialect, with the producer account; dropped by `close`. */
export async function freshDatabase(dialect: Dialect): Promise<DbHandle> {
  let handle: DbHandle;
  if (dialect === "sqlite") {
    handle = openDatabase({ dataDir: ".", sqliteFile: ":memory:" });
    await migrateToLatest(handle.db);
  } else {
    const name = `licensor_t_${process.env.LICENSOR_TEST_RUN_ID ?? "local"}_${crypto.randomBytes(5).toString("hex")}`;
    await withPgAdmin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${templateName()}`));
    const inner = openDatabase({ databaseUrl: pgUrlFor(name), dataDir: ".", poolSize: 5 });
    handle = {
      ...inner,
      close: async () => {
        await inner.close();
        await withPgAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      },
    };
  }
  await publisherEnsurer(handle.db, PUBLISHER_ID, "Test Producer");
  return handle;
}

let sharedDataDir: string | null = null;
/** One throwaway data folder per test process (uploads, exports), removed when the process ends. */
function testDataDir(): string {
  if (!sharedDataDir) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "licensor-test-"));
    sharedDataDir = dir;
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return sharedDataDir;
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  // Uploads and exports go to a throwaway folder, never into the checkout.
  const dataDir = testDataDir();
  // Redemption limits are off (huge) unless a test sets them: most tests redeem in bursts on purpose.
  const unlimited = { redeemIpPerMinute: 1e9, redeemAccountPerMinute: 1e9, redeemMissesBeforeLock: 1e9 };
  return { ...loadConfig({}), dataDir, webDir: "/nonexistent", logLevel: "silent", ...unlimited, ...overrides };
}

export interface Caller {
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  post(url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  patch(url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  put(url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  delete(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

export interface TestEnv {
  dialect: Dialect;
  db: Db;
  app: FastifyInstance;
  /** Calls with a bearer token for a new user holding `role` on `accountId` (default: a fitting account). */
  as(role: Role, accountId?: string): Promise<Caller>;
  /** Calls with the given bearer token (or none). */
  caller(token: string | null): Caller;
  makeAccount(opts?: { id?: string; type?: AccountType; name?: string }): Promise<string>;
  makeUser(opts: { role: Role; accountId: string; email?: string }): Promise<{ userId: string; email: string; token: string }>;
}

/**
 * Runs `fn` once per database dialect; every test gets its own fresh database and app.
 * Usage: `describeEachDb("accounts", (env) => { it(..., async () => { const admin = await env.as("PRODUCER_ADMIN") ... }) })`.
 */
export function describeEachDb(name: string, fn: (env: TestEnv) => void) {
  for (const dialect of DIALECTS) {
    describe(`${name} [${dialect}]`, () => {
      const env = {} as TestEnv;
      let handle: DbHandle;
      beforeEach(async () => {
        handle = await freshDatabase(dialect);
        const app = await buildApp({ db: handle.db, dialect, config: testConfig(), bulk: handle.bulk }, { logger: false });
        await app.ready();
        Object.assign(env, makeEnv(dialect, handle.db, app));
      });
      afterEach(async () => {
        await env.app?.close();
        await handle?.close();
      });
      fn(env);
    });
  }
}

let seq = 0;

export function makeEnv(dialect: Dialect, db: Db, app: FastifyInstance): TestEnv {
  const caller = (token: string | null): Caller => {
    const send = (method: InjectOptions["method"], url: string, body?: unknown, headers: Record<string, string> = {}) =>
      app.inject({
        method,
        url,
        ...(body !== undefined ? { payload: body as object } : {}),
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      });
    return {
      get: (url, h) => send("GET", url, undefined, h),
      post: (url, b, h) => send("POST", url, b ?? {}, h),
      patch: (url, b, h) => send("PATCH", url, b ?? {}, h),
      put: (url, b, h) => send("PUT", url, b ?? {}, h),
      delete: (url, h) => send("DELETE", url, undefined, h),
    };
  };
  const makeAccount: TestEnv["makeAccount"] = async (opts = {}) => {
    const id = opts.id ?? `ACC-${++seq}-${crypto.randomBytes(3).toString("hex")}`;
    const now = nowIso();
    await db
      .insertInto("accounts")
      .values({
        id,
        name: opts.name ?? `Account ${id}`,
        type: opts.type ?? "CUSTOMER",
        description: null,
        address1: null,
        address2: null,
        city: null,
        state: null,
        zipcode: null,
        country: null,
        region: null,
        visible: 1,
        parent_id: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    return id;
  };
  const makeUser: TestEnv["makeUser"] = async ({ role, accountId, email }) => {
    const userId = newId();
    const mail = email ?? `u${++seq}-${crypto.randomBytes(3).toString("hex")}@example.test`;
    const now = nowIso();
    await db
      .insertInto("users")
      .values({
        id: userId,
        email: mail,
        first_name: "Test",
        last_name: role,
        phone: null,
        locale: null,
        time_zone: null,
        status: "ACTIVE",
        password_hash: null,
        password_changed_at: null,
        last_login_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await db.insertInto("user_roles").values({ user_id: userId, account_id: accountId, role }).execute();
    const token = `lic_${crypto.randomBytes(24).toString("base64url")}`;
    await db
      .insertInto("api_tokens")
      .values({
        id: newId(),
        user_id: userId,
        account_id: accountId,
        role,
        name: "test",
        token_hash: sha256(token),
        prefix: token.slice(0, 12),
        expires_at: null,
        revoked_at: null,
        last_used_at: null,
        created_at: now,
      })
      .execute();
    return { userId, email: mail, token };
  };
  return {
    dialect,
    db,
    app,
    caller,
    makeAccount,
    makeUser,
    async as(role, accountId) {
      const acc =
        accountId ??
        (role.startsWith("PRODUCER_")
          ? PUBLISHER_ID
          : await makeAccount({ type: role.startsWith("PARTNER_") ? "CHANNEL_PARTNER" : "CUSTOMER" }));
      return caller((await makeUser({ role, accountId: acc })).token);
    },
  };
}
