import { type ChildProcess, spawn } from "node:child_process";
import crypto from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.js";
import { publisherEnsurer } from "../src/commands/bootstrap.js";
import { ensureSigningKey } from "../src/licensing/keyring.js";
import { ok } from "./factories.js";
import { DIALECTS, describeEachDb, makeEnv, PUBLISHER_ID, testConfig } from "./helpers.js";
import { activatable, activate } from "./licenses.js";
import { sharedDatabase } from "./processes.js";

/**
 * Copies and hosts under concurrency: however many activations of one line item run at once, the
 * conditional UPDATE never takes more copies than there are, and the one-active-host index never
 * lets one host hold two active licenses; concurrent support actions on one line item are counted
 * one after the other against the policy. In one process on SQLite and PostgreSQL, and on
 * PostgreSQL through two server processes.
 */

const activations = (n: number, activationId: string) =>
  Array.from({ length: n }, (_, i) => ({ activationId, hosts: [{ type: "STRING", id: `host-${i}` }] }));

function tally(statuses: number[]) {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}

describeEachDb("activation concurrency", (env) => {
  it("500 concurrent activations of one line item with 100 copies: exactly 100 licenses, none available after", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, { copies: 100 });
    const results = await Promise.all(activations(500, a.activationId).map((b) => admin.post("/api/v1/activations", b)));
    expect(tally(results.map((r) => r.statusCode))).toEqual({ 201: 100, 409: 400 });
    const refusals = results.filter((r) => r.statusCode === 409).map((r) => r.json());
    expect(refusals.every((p) => p.code === "not_enough_copies" && /^Only 0 of 100 copies are available/.test(p.detail))).toBe(
      true,
    );
    const n = await env.db
      .selectFrom("fulfillments")
      .select(env.db.fn.countAll().as("n"))
      .where("line_item_id", "=", a.lineItem.id)
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(100);
    const ent = ok(await admin.get(`/api/v1/entitlements/${a.entitlement.id}`), 200);
    expect(ent.lineItems[0]).toMatchObject({ fulfilledCount: 100, availableCount: 0 });
    const audits = await env.db
      .selectFrom("audit_events")
      .select(env.db.fn.countAll().as("n"))
      .where("action", "=", "fulfillment.created")
      .executeTakeFirstOrThrow();
    expect(Number(audits.n)).toBe(100);
  }, 240_000);

  it("one host activated 30 times at once: one license; the copies of the others given back", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, { copies: 100 });
    const body = { activationId: a.activationId, hosts: [{ type: "ETHERNET", id: "00:aa:bb:cc:dd:ee" }] };
    const results = await Promise.all(Array.from({ length: 30 }, () => admin.post("/api/v1/activations", body)));
    expect(tally(results.map((r) => r.statusCode))).toEqual({ 201: 1, 409: 29 });
    expect(results.filter((r) => r.statusCode === 409).every((r) => r.json().code === "host_already_licensed")).toBe(true);
    const ent = ok(await admin.get(`/api/v1/entitlements/${a.entitlement.id}`), 200);
    expect(ent.lineItems[0]).toMatchObject({ fulfilledCount: 1, availableCount: 99 });
  }, 120_000);

  it("concurrent rehosts under a policy of 2: exactly 2 pass", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await activatable(env, admin, { copies: 20, policies: { allowedRehosts: 2, window: null } });
    const fids: string[] = [];
    for (let i = 0; i < 10; i++)
      fids.push((await activate(admin, { activationId: a.activationId, hosts: [{ id: `m-${i}` }] })).fulfillment.id);
    const results = await Promise.all(
      fids.map((fid, i) => admin.post(`/api/v1/fulfillments/${fid}/actions/rehost`, { hosts: [{ id: `n-${i}` }] })),
    );
    expect(tally(results.map((r) => r.statusCode))).toEqual({ 200: 2, 409: 8 });
    expect(results.filter((r) => r.statusCode === 409).every((r) => r.json().code === "policy_limit_reached")).toBe(true);
    const actions = await env.db.selectFrom("fulfillment_actions").select(env.db.fn.countAll().as("n")).executeTakeFirstOrThrow();
    expect(Number(actions.n)).toBe(2);
  }, 120_000);
});

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");

describe.skipIf(!DIALECTS.includes("postgres"))("activation across two server processes on one PostgreSQL", () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill("SIGTERM");
  });

  function startChild(env: NodeJS.ProcessEnv): Promise<string> {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "fixtures/serverChild.ts")], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let out = "";
    let err = "";
    child.stderr?.on("data", (d) => {
      err += d;
    });
    return new Promise((resolve, reject) => {
      child.stdout?.on("data", (d) => {
        out += d;
        const m = /listening (\S+)/.exec(out);
        if (m) resolve(m[1] as string);
      });
      child.on("exit", (code) => reject(new Error(`server child exited ${code}: ${out}\n${err}`)));
    });
  }

  it("500 concurrent activations split across both processes: exactly 100 licenses of 100 copies, all verifiable", async () => {
    const shared = await sharedDatabase("postgres");
    const secret = crypto.randomBytes(32).toString("base64");
    const config = testConfig({ signingKeySecret: secret, dataDir: shared.dataDir });
    await publisherEnsurer(shared.db, PUBLISHER_ID, "Test Producer");
    const app = await buildApp({ db: shared.db, dialect: "postgres", config, bulk: shared.handle.bulk }, { logger: false });
    try {
      await app.ready();
      await ensureSigningKey(shared.db, config);
      const env = makeEnv("postgres", shared.db, app);
      const admin = await env.as("PRODUCER_ADMIN");
      const a = await activatable(env, admin, { copies: 100 });
      const { token } = await env.makeUser({ role: "PRODUCER_OPERATIONS", accountId: PUBLISHER_ID });
      const childEnv = {
        DATABASE_URL: (shared.where.databaseUrl as string) ?? "",
        LICENSOR_DATA_DIR: shared.dataDir,
        LICENSOR_SIGNING_KEY_SECRET: secret,
        DATABASE_POOL_SIZE: "5",
      };
      const urls = await Promise.all([startChild(childEnv), startChild(childEnv)]);
      const results = await Promise.all(
        activations(500, a.activationId).map(async (b, i) => {
          const r = await fetch(`${urls[i % 2]}/api/v1/activations`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: JSON.stringify(b),
          });
          return { status: r.status, json: (await r.json()) as { licenseFile?: string; code?: string } };
        }),
      );
      expect(tally(results.map((r) => r.status))).toEqual({ 201: 100, 409: 400 });
      // Licenses signed by both processes, with the one key both opened with the same secret.
      const { verifyLicense } = await import("../../verifier/src/index.js");
      const jwks = await (await fetch(`${urls[1]}/api/v1/license-keys`)).json();
      for (const [i, r] of results.entries())
        if (r.status === 201)
          expect(verifyLicense(r.json.licenseFile as string, { publicKeys: jwks, host: `host-${i}` }).code).toBe("VALID");
      const ent = ok(await admin.get(`/api/v1/entitlements/${a.entitlement.id}`), 200);
      expect(ent.lineItems[0]).toMatchObject({ fulfilledCount: 100, availableCount: 0 });
      const n = await shared.db.selectFrom("fulfillments").select(shared.db.fn.countAll().as("n")).executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(100);
    } finally {
      for (const c of children.splice(0)) c.kill("SIGTERM");
      await app.close();
      await shared.close();
    }
  }, 300_000);
});
