import { type ChildProcess, spawn } from "node:child_process";
import crypto from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { TIER_DISTRIBUTOR } from "../../common/src/enums.js";
import { buildApp } from "../src/app.js";
import { publisherEnsurer } from "../src/commands/bootstrap.js";
import type { Db } from "../src/db/schema.js";
import { ensureSigningKey } from "../src/licensing/keyring.js";
import { bulkEntitlement, type Json, ok } from "./factories.js";
import { DIALECTS, describeEachDb, freshDatabase, makeEnv, PUBLISHER_ID, type TestEnv, testConfig } from "./helpers.js";
import { activatable } from "./licenses.js";
import { sharedDatabase } from "./processes.js";

/**
 * Conservation of keys and copies under everything that moves them at once (issue 15, "Tests and
 * speed"): splits down the channel (counted and listed, into new and matching bulk entitlements,
 * onward from a reseller), redemptions (some of keys being split at that moment, some raced by
 * two customers), key deletes, and line item splits beside activations. Whatever the interleaving,
 * nothing is lost or duplicated, every counter equals the rows it counts — also mid-flight, in
 * one-statement snapshots — and every answer says what happened. Which racing request wins is
 * left to the databases; the assertions hold for every outcome. In one process on SQLite and
 * PostgreSQL, and on PostgreSQL through two server processes.
 */

const RESELLER_TIER = "bo.constants.partnertiernames.tier2";
const SUB_TIER = "bo.constants.partnertiernames.tier3";

interface Res {
  status: number;
  body: Json;
}
/** One API call as `token`; `i` spreads calls over servers where there are several. */
type Send = (token: string, method: "GET" | "POST", url: string, body: unknown, i: number) => Promise<Res>;

function injectSend(env: TestEnv): Send {
  return async (token, method, url, body) => {
    const r = await env.app.inject({
      method,
      url,
      ...(body !== undefined ? { payload: body as object } : {}),
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: r.statusCode, body: r.body ? r.json() : null };
  };
}

/** Calls over HTTP, spread over the servers by `i`; the servers may still be starting when this is made. */
function fetchSend(servers: Promise<string[]>): Send {
  return async (token, method, url, body, i) => {
    const urls = await servers;
    const r = await fetch(`${urls[i % urls.length]}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
}

function shuffle<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

const num = (v: unknown) => Number(v ?? 0);

/**
 * Checks, each in one statement (so one consistent snapshot on both databases), while `busy` runs:
 * the bulk entitlements' key counters add up to the keys, their redeemed counters to the redeemed
 * keys, and no line item has more fulfilled copies than copies. Returns the violations seen.
 */
async function watchInvariants<T>(db: Db, busy: Promise<T>): Promise<{ result: T; seen: string[]; polls: number }> {
  let done = false;
  const seen: string[] = [];
  let polls = 0;
  const watcher = (async () => {
    while (!done) {
      const r = await sql<Record<string, unknown>>`SELECT
          (SELECT sum(key_count) FROM entitlements WHERE kind = 'BULK') AS "keyCount",
          (SELECT count(*) FROM web_register_keys) AS "keys",
          (SELECT sum(redeemed_count) FROM entitlements WHERE kind = 'BULK') AS "redeemedCount",
          (SELECT sum(redeemed) FROM key_redemption_counts) AS "sharded",
          (SELECT count(*) FROM web_register_keys WHERE status = 'REDEEMED') AS "redeemed",
          (SELECT count(*) FROM line_items WHERE fulfilled_count > number_of_copies) AS "overFulfilled",
          (SELECT count(*) FROM line_items WHERE number_of_copies < 0) AS "negative"`.execute(db);
      const row = r.rows[0] ?? {};
      polls++;
      if (num(row.keyCount) !== num(row.keys)) seen.push(`key counters ${num(row.keyCount)} vs ${num(row.keys)} keys`);
      if (num(row.redeemedCount) + num(row.sharded) !== num(row.redeemed))
        seen.push(`redeemed counters ${num(row.redeemedCount) + num(row.sharded)} vs ${num(row.redeemed)} redeemed keys`);
      if (num(row.overFulfilled) > 0) seen.push(`${num(row.overFulfilled)} line items fulfilled beyond their copies`);
      if (num(row.negative) > 0) seen.push(`${num(row.negative)} line items with negative copies`);
      await new Promise((r) => setTimeout(r, 15));
    }
  })();
  try {
    return { result: await busy, seen, polls };
  } finally {
    done = true;
    await watcher;
  }
}

/** A partner tier, made through the API unless an earlier scenario on the same database made it. */
async function ensureTier(env: TestEnv, name: string, displayName: string, rank: number) {
  const admin = await env.as("PRODUCER_ADMIN");
  const items: Json[] = ok(await admin.get("/api/v1/partner-tiers"), 200).items;
  if (!items.some((t) => t.name === name)) ok(await admin.post("/api/v1/partner-tiers", { name, displayName, rank }));
}

/** Who plays in the bulk scenario, made in-process before anything runs concurrently. */
interface BulkCast {
  admin: string;
  distributorUser: string;
  resellerUser: string;
  customers: { account: string; token: string }[];
  keys: string[];
  d: string;
  b1: string;
  r1: string;
  r2: string;
  sub: string;
  unrelated: string;
}

/**
 * A distributor's bulk entitlement D of 1,000 keys; resellers R1 and R2 related to the distributor,
 * a sub-reseller related to R1; 200 keys (keys[0..199], the oldest) already split to R1 as B1;
 * keys[999] already redeemed.
 */
async function bulkCast(env: TestEnv): Promise<BulkCast> {
  const adminCaller = await env.as("PRODUCER_ADMIN");
  const { bulk, keys, distributor } = await bulkEntitlement(env, adminCaller, { keys: 1000 });
  await ensureTier(env, RESELLER_TIER, "Reseller", 50);
  await ensureTier(env, SUB_TIER, "Sub-reseller", 60);
  const r1 = await env.makeAccount({ type: "CHANNEL_PARTNER", name: "Reseller One" });
  const r2 = await env.makeAccount({ type: "CHANNEL_PARTNER", name: "Reseller Two" });
  const sub = await env.makeAccount({ type: "CHANNEL_PARTNER", name: "Sub-reseller" });
  const unrelated = await env.makeAccount({ type: "CHANNEL_PARTNER", name: "Stranger" });
  for (const [from, to] of [
    [distributor, r1],
    [distributor, r2],
    [r1, sub],
  ])
    ok(await adminCaller.post(`/api/v1/accounts/${from}/related-accounts`, { accountId: to }), 200);
  const admin = (await env.makeUser({ role: "PRODUCER_ADMIN", accountId: PUBLISHER_ID })).token;
  const distributorUser = (await env.makeUser({ role: "PARTNER_PORTAL_USER", accountId: distributor })).token;
  const resellerUser = (await env.makeUser({ role: "PARTNER_PORTAL_ADMIN", accountId: r1 })).token;
  const customers: BulkCast["customers"] = [];
  for (let i = 0; i < 3; i++) {
    const account = await env.makeAccount({ type: "CUSTOMER", name: `End customer ${i}` });
    customers.push({ account, token: (await env.makeUser({ role: "CUSTOMER_PORTAL_USER", accountId: account })).token });
  }
  const pre = ok(
    await adminCaller.post(`/api/v1/entitlements/${bulk.id}/actions/split`, {
      targetAccountId: r1,
      tier: RESELLER_TIER,
      count: 200,
    }),
  );
  expect(pre.moved).toBe(200);
  ok(await adminCaller.post("/api/v1/redemptions", { key: keys[999], soldTo: (customers[0] as { account: string }).account }));
  return { admin, distributorUser, resellerUser, customers, keys, d: bulk.id, b1: pre.entitlement.id, r1, r2, sub, unrelated };
}

type Op =
  | { kind: "split"; token: string; from: string; body: Json; expect: "ok" | "fail" | "either"; listed?: string[] }
  | { kind: "redeem"; token: string; account: string; key: string }
  | { kind: "delete"; token: string; bulk: string; keys: string[]; expect: "ok" | "fail" | "either" };

/**
 * The concurrent part. Enough keys are left for every counted split from D and from B1 whatever
 * else wins (D: 799 unredeemed, at most 150+180+60+15 split or deleted and 95 redeemed; B1: 200,
 * at most 30 redeemed, 10 listed onward and 120 counted onward), so those must succeed, also
 * while a doomed split holds keys for a moment; the listed splits, deletes and redemptions that
 * race others may go either way.
 */
function bulkOps(c: BulkCast): Op[] {
  const k = c.keys;
  const range = (a: number, b: number) => k.slice(a, b);
  const dSplit = (body: Json, expectOutcome: "ok" | "fail" | "either", listed?: string[]): Op => ({
    kind: "split",
    token: c.distributorUser,
    from: c.d,
    body,
    expect: expectOutcome,
    ...(listed ? { listed } : {}),
  });
  const onward = (body: Json, expectOutcome: "ok" | "fail" | "either", listed?: string[]): Op => ({
    kind: "split",
    token: c.resellerUser,
    from: c.b1,
    body: { targetAccountId: c.sub, tier: SUB_TIER, ...body },
    expect: expectOutcome,
    ...(listed ? { listed } : {}),
  });
  // Listed splits: L0 races 5 redemptions of its keys, L1 races only the counted splits (which take
  // the oldest keys not held by others: on PostgreSQL, while a split of more keys than there are
  // holds the old ones, any), L2 lies where the counted splits take theirs; onward, L3 where the
  // counted onward splits take theirs.
  const L0 = range(800, 820);
  const L1 = range(820, 840);
  const L2 = range(220, 240);
  const L3 = range(150, 160);
  const ops: Op[] = [];
  for (let i = 0; i < 3; i++) {
    ops.push(dSplit({ targetAccountId: c.r1, tier: RESELLER_TIER, count: 50, targetEntitlementId: c.b1 }, "ok"));
    ops.push(dSplit({ targetAccountId: c.r2, tier: RESELLER_TIER, count: 60 }, "ok"));
    ops.push(onward({ count: 40 }, "ok"));
  }
  ops.push(dSplit({ targetAccountId: c.r2, tier: RESELLER_TIER, keys: L0 }, "either", L0));
  ops.push(dSplit({ targetAccountId: c.r2, tier: RESELLER_TIER, keys: L1 }, "either", L1));
  ops.push(dSplit({ targetAccountId: c.r2, tier: RESELLER_TIER, keys: L2 }, "either", L2));
  ops.push(onward({ keys: L3 }, "either", L3));
  // Must fail: more keys than there are, a redeemed key listed, an unrelated account, a tier taken.
  ops.push(dSplit({ targetAccountId: c.r1, tier: RESELLER_TIER, count: 5000 }, "fail"));
  ops.push(dSplit({ targetAccountId: c.r2, tier: RESELLER_TIER, keys: [k[900], k[999]] }, "fail", [k[900] as string]));
  ops.push(dSplit({ targetAccountId: c.unrelated, tier: RESELLER_TIER, count: 1 }, "fail"));
  ops.push(dSplit({ targetAccountId: c.r2, tier: TIER_DISTRIBUTOR, count: 1 }, "fail"));
  ops.push(onward({ count: 100_000 }, "fail"));

  // Redemptions: 30 of B1's keys (some where the onward splits take theirs), 60 of D's oldest
  // (where the counted splits take theirs), 5 of L0, 20 from the rest; 10 of them raced by a
  // second customer, 5 by the same customer twice; keys[999] (redeemed before) by another customer.
  const customer = (i: number) => c.customers[i % c.customers.length] as { account: string; token: string };
  const pick = (xs: string[], n: number) => shuffle(xs).slice(0, n);
  const spare = [...range(870, 999)];
  const toRedeem = [
    ...pick(range(0, 150), 30),
    ...pick([...range(200, 220), ...range(240, 400)], 60),
    ...pick(L0, 5),
    ...pick(spare, 20),
  ];
  toRedeem.forEach((key, i) => {
    ops.push({ kind: "redeem", key, ...tokenOf(customer(i)) });
    if (i % 9 === 0) ops.push({ kind: "redeem", key, ...tokenOf(customer(i + 1)) });
    else if (i % 19 === 1) ops.push({ kind: "redeem", key, ...tokenOf(customer(i)) });
  });
  ops.push({ kind: "redeem", key: k[999] as string, ...tokenOf(customer(1)) });

  // Deletes: ten keys only a counted split might take (see L1), five where the counted splits take
  // theirs, both either way; and one listing a redeemed key (must be refused).
  ops.push({ kind: "delete", token: c.admin, bulk: c.d, keys: range(860, 870), expect: "either" });
  ops.push({ kind: "delete", token: c.admin, bulk: c.d, keys: range(300, 305), expect: "either" });
  ops.push({ kind: "delete", token: c.admin, bulk: c.d, keys: [k[861] as string, k[999] as string], expect: "fail" });
  return shuffle(ops);
}

const tokenOf = (cu: { account: string; token: string }) => ({ token: cu.token, account: cu.account });

function run(send: Send, op: Op, i: number): Promise<Res> {
  switch (op.kind) {
    case "split":
      return send(op.token, "POST", `/api/v1/entitlements/${op.from}/actions/split`, op.body, i);
    case "redeem":
      return send(op.token, "POST", "/api/v1/redemptions", { key: op.key }, i);
    case "delete":
      return send(op.token, "POST", `/api/v1/entitlements/${op.bulk}/keys/delete`, { keys: op.keys }, i);
  }
}

async function keyRows(db: Db) {
  return db
    .selectFrom("web_register_keys")
    .select(["id", "key", "key_canon", "bulk_id", "status", "sold_to", "entitlement_id"])
    .execute();
}

async function auditRows(db: Db, actions: string[]) {
  const rows = await db
    .selectFrom("audit_events")
    .select(["id", "action", "object_id", "changes"])
    .where("action", "in", actions)
    .execute();
  return rows.map((r) => ({ ...r, changes: JSON.parse(r.changes) as Record<string, { before: Json; after: Json }> }));
}

/** The bulk scenario: sets up in-process, runs the operations through `send`, asserts conservation. */
async function bulkScenario(env: TestEnv, send: Send) {
  const cast = await bulkCast(env);
  const db = env.db;
  const before = await keyRows(db);
  const auditsBefore = new Set((await auditRows(db, ["entitlement.split", "keys.deleted"])).map((a) => a.id));
  expect(before).toHaveLength(1000);
  const ops = bulkOps(cast);

  const { result: answers, seen, polls } = await watchInvariants(db, Promise.all(ops.map((op, i) => run(send, op, i))));
  expect(seen, "counters disagreed with the rows mid-flight").toEqual([]);
  expect(polls).toBeGreaterThan(0);
  const done = ops.map((op, i) => ({ op, res: answers[i] as Res }));

  // Every answer is one the API promises for its operation; nothing failed unexpectedly (no 5xx).
  for (const { op, res } of done) {
    const allowed = op.kind === "redeem" ? [200, 201, 404, 409] : op.kind === "delete" ? [200, 400, 409] : [201, 400, 409];
    expect(allowed, `${op.kind} ${JSON.stringify(res.body)}`).toContain(res.status);
    const success = op.kind === "split" ? res.status === 201 : op.kind === "delete" ? res.status === 200 : res.status < 300;
    if (op.kind !== "redeem" && op.expect !== "either")
      expect(success, `${op.kind} ${JSON.stringify(op.kind === "split" ? op.body : op.keys)} → ${JSON.stringify(res.body)}`).toBe(
        op.expect === "ok",
      );
  }
  const splits = done.filter((d): d is { op: Extract<Op, { kind: "split" }>; res: Res } => d.op.kind === "split");
  const okSplits = splits.filter((s) => s.res.status === 201);
  const deletes = done.filter((d): d is { op: Extract<Op, { kind: "delete" }>; res: Res } => d.op.kind === "delete");
  const redemptions = done.filter((d): d is { op: Extract<Op, { kind: "redeem" }>; res: Res } => d.op.kind === "redeem");

  // The keys: the same ones as before less the deleted ones, each exactly once, none new.
  const after = await keyRows(db);
  const deleted = new Set(deletes.filter((d) => d.res.status === 200).flatMap((d) => d.op.keys));
  for (const d of deletes.filter((x) => x.res.status === 200)) expect(d.res.body.deleted).toBe(d.op.keys.length);
  expect(after).toHaveLength(1000 - deleted.size);
  expect(new Set(after.map((r) => r.id)).size).toBe(after.length);
  expect(new Set(after.map((r) => r.key_canon)).size).toBe(after.length);
  const beforeById = new Map(before.map((r) => [r.id, r]));
  for (const r of after) expect(beforeById.get(r.id)?.key).toBe(r.key);
  expect(new Set([...after.map((r) => r.key), ...deleted])).toEqual(new Set(before.map((r) => r.key)));
  for (const k of deleted) expect(before.find((r) => r.key === k)?.status).toBe("UNREDEEMED");
  // A refused delete deleted none of its keys (those another delete took aside).
  const present = new Set(after.map((r) => r.key));
  for (const d of deletes.filter((x) => x.res.status !== 200))
    for (const k of d.op.keys.filter((x) => !deleted.has(x))) expect(present.has(k), `${k} of a refused delete`).toBe(true);

  // The bulk entitlements: D, B1 and the ones created by the splits that answered success.
  const created = okSplits.filter((s) => s.res.body.created).map((s) => s.res.body.entitlement.id as string);
  const bulks = await db
    .selectFrom("entitlements")
    .select(["id", "key_count", "redeemed_count"])
    .where("kind", "=", "BULK")
    .execute();
  expect(new Set(bulks.map((b) => b.id))).toEqual(new Set([cast.d, cast.b1, ...created]));
  expect(created).toHaveLength(new Set(created).size);
  const sharded = await db
    .selectFrom("key_redemption_counts")
    .select(["bulk_id", (eb) => eb.fn.sum<number>("redeemed").as("n")])
    .groupBy("bulk_id")
    .execute();
  const shardedOf = new Map(sharded.map((s) => [s.bulk_id, num(s.n)]));
  for (const b of bulks) {
    const mine = after.filter((r) => r.bulk_id === b.id);
    expect(b.key_count, `key_count of ${b.id}`).toBe(mine.length);
    expect(b.redeemed_count + (shardedOf.get(b.id) ?? 0), `redeemed count of ${b.id}`).toBe(
      mine.filter((r) => r.status === "REDEEMED").length,
    );
  }
  // Totals: before = after across all bulk entitlements (less what was deleted).
  expect(bulks.reduce((s, b) => s + b.key_count, 0)).toBe(1000 - deleted.size);

  // Every key moved by a split, and only those: the audit events of the splits that answered
  // success, and of none that failed, account for each bulk entitlement's keys exactly.
  const audits = (await auditRows(db, ["entitlement.split", "keys.deleted"])).filter((a) => !auditsBefore.has(a.id));
  const splitAudits = audits.filter((a) => a.action === "entitlement.split");
  const flows = (xs: { from: string; to: string; moved: number }[]) => xs.map((x) => `${x.from}→${x.to}:${x.moved}`).sort();
  expect(
    flows(
      splitAudits.map((a) => ({
        from: a.changes.from?.after.entitlement,
        to: a.changes.to?.after.entitlement,
        moved: a.changes.moved?.after,
      })),
    ),
  ).toEqual(flows(okSplits.map((s) => ({ from: s.op.from, to: s.res.body.entitlement.id, moved: s.res.body.moved }))));
  for (const s of okSplits) expect(s.res.body.moved).toBe(s.op.body.count ?? s.op.listed?.length);
  const countBefore = (pk: string) => before.filter((r) => r.bulk_id === pk).length;
  for (const b of bulks) {
    const moved = (side: "from" | "to") =>
      splitAudits.filter((a) => a.changes[side]?.after.entitlement === b.id).reduce((s, a) => s + a.changes.moved?.after, 0);
    const gone = audits
      .filter((a) => a.action === "keys.deleted" && a.object_id === b.id)
      .reduce((s, a) => s + a.changes.deleted?.before, 0);
    expect(after.filter((r) => r.bulk_id === b.id).length, `keys of ${b.id} by its ledger`).toBe(
      countBefore(b.id) + moved("to") - moved("from") - gone,
    );
  }
  // A listed split that answered success moved exactly its keys; redeemed keys stayed put.
  const bulkOf = new Map(after.map((r) => [r.key, r.bulk_id]));
  for (const s of okSplits.filter((x) => x.op.listed))
    for (const k of s.op.listed ?? []) expect(bulkOf.get(k)).toBe(s.res.body.entitlement.id);
  for (const r of before.filter((x) => x.status === "REDEEMED")) expect(bulkOf.get(r.key)).toBe(r.bulk_id);

  // Redemptions: each success is its key, REDEEMED for that customer as that entitlement; no key
  // was redeemed twice; each failure left its key as it was (unredeemed, or someone else's).
  const redeemedRows = after.filter((r) => r.status === "REDEEMED");
  const byKey = new Map(after.map((r) => [r.key, r]));
  const winners = new Map<string, string>();
  for (const { op, res } of redemptions) {
    const row = byKey.get(op.key);
    if (res.status < 300) {
      expect(row?.status).toBe("REDEEMED");
      expect(row?.sold_to).toBe(op.account);
      expect(row?.entitlement_id).toBe(res.body.entitlement.id);
      expect(res.body.entitlement.parentBulkId).toBe(row?.bulk_id);
      const w = winners.get(op.key);
      if (w) expect(w, `two customers both told they redeemed ${op.key}`).toBe(op.account);
      winners.set(op.key, op.account);
    }
  }
  for (const { op, res } of redemptions.filter((x) => x.res.status >= 300)) {
    const row = byKey.get(op.key);
    if (res.status === 409) expect(res.body.code, JSON.stringify(res.body)).toBe("conflict");
    if (winners.has(op.key)) {
      // Lost to another customer (the same customer is answered with its entitlement instead).
      expect(winners.get(op.key)).not.toBe(op.account);
      expect(res.status).toBe(404);
    } else if (deleted.has(op.key)) {
      // Deleted (unredeemed) while or before it was tried: not a key any more.
      expect(row).toBeUndefined();
      expect(res.status).toBe(404);
    } else if (op.key === cast.keys[999]) expect(row?.sold_to).toBe(cast.customers[0]?.account);
    else expect(row?.status, `failed redemption of ${op.key}: ${JSON.stringify(res.body)}`).toBe("UNREDEEMED");
  }
  expect(redeemedRows).toHaveLength(winners.size + 1);
  for (const k of deleted) expect(winners.has(k), `${k} both deleted and redeemed`).toBe(false);
  for (const [k, acc] of winners) expect(byKey.get(k)?.sold_to).toBe(acc);
  // Each redeemed key is exactly one simple entitlement (its line item's activation ID is the key), of its bulk entitlement.
  const redeemedEnts = await db
    .selectFrom("entitlements as e")
    .innerJoin("line_items as li", "li.entitlement_id", "e.id")
    .select(["e.id", "e.kind", "e.parent_bulk_id", "li.activation_id"])
    .where("e.parent_bulk_id", "is not", null)
    .execute();
  expect(redeemedEnts).toHaveLength(redeemedRows.length);
  const entOfKey = new Map(redeemedEnts.map((e) => [e.activation_id, e]));
  expect(entOfKey.size).toBe(redeemedRows.length);
  for (const r of redeemedRows) {
    const e = entOfKey.get(r.key);
    expect(e, `entitlement of ${r.key}`).toMatchObject({ id: r.entitlement_id, kind: "SIMPLE", parent_bulk_id: r.bulk_id });
  }
  // The public counters say the same (keys/counts reads them, never the keys).
  const viaApi = await send(cast.admin, "GET", `/api/v1/entitlements/${cast.d}/keys/counts`, undefined, 0);
  const inD = after.filter((r) => r.bulk_id === cast.d);
  expect(viaApi.body).toEqual({
    total: inD.length,
    redeemed: inD.filter((r) => r.status === "REDEEMED").length,
    unredeemed: inD.filter((r) => r.status === "UNREDEEMED").length,
  });
  return { okSplits: okSplits.length, redeemed: winners.size, deleted: deleted.size };
}

/** Who plays in the line item scenario: a line item of 100 copies, a reseller's matching entitlement (20 copies split before). */
async function lineItemCast(env: TestEnv) {
  const adminCaller = await env.as("PRODUCER_ADMIN");
  const a = await activatable(env, adminCaller, { copies: 100 });
  await ensureTier(env, RESELLER_TIER, "Reseller", 50);
  const reseller = await env.makeAccount({ type: "CHANNEL_PARTNER", name: "Reseller" });
  const customer = a.entitlement.channelPartners.find((p: Json) => p.currentOwner).accountId as string;
  ok(await adminCaller.post(`/api/v1/accounts/${customer}/related-accounts`, { accountId: reseller }), 200);
  const pk = a.entitlement.id as string;
  const itemId = a.lineItem.id as string;
  const first = ok(
    await adminCaller.post(`/api/v1/entitlements/${pk}/line-items/${itemId}/actions/split`, {
      targetAccountId: reseller,
      tier: RESELLER_TIER,
      count: 20,
    }),
  );
  const admin = (await env.makeUser({ role: "PRODUCER_OPERATIONS", accountId: PUBLISHER_ID })).token;
  return {
    admin,
    pk,
    itemId,
    reseller,
    activationId: a.activationId,
    target: first.entitlement.id as string,
    targetItem: first.lineItemId as string,
    targetActivationId: first.entitlement.lineItems[0].activationId as string,
  };
}

/**
 * The line item scenario: 80 copies left on the source, 20 on the reseller's line item; at once,
 * 8 splits of 10 to new entitlements and 4 of 5 into the reseller's line item (100 asked of 80:
 * some must fail), one of 1,000 (must fail), 60 activations of the source and 12 of the
 * reseller's line item (which has copies for them whenever the splits into it land).
 */
async function lineItemScenario(env: TestEnv, send: Send) {
  const c = await lineItemCast(env);
  const url = `/api/v1/entitlements/${c.pk}/line-items/${c.itemId}/actions/split`;
  const base = { targetAccountId: c.reseller, tier: RESELLER_TIER };
  type LOp = { kind: "split"; body: Json; must?: boolean } | { kind: "activate"; activationId: string; host: string };
  const ops: LOp[] = [];
  for (let i = 0; i < 8; i++) ops.push({ kind: "split", body: { ...base, count: 10 } });
  for (let i = 0; i < 4; i++) ops.push({ kind: "split", body: { ...base, count: 5, targetEntitlementId: c.target } });
  ops.push({ kind: "split", body: { ...base, count: 1000 }, must: false });
  for (let i = 0; i < 60; i++) ops.push({ kind: "activate", activationId: c.activationId, host: `src-${i}` });
  for (let i = 0; i < 12; i++) ops.push({ kind: "activate", activationId: c.targetActivationId, host: `tgt-${i}` });
  const order = shuffle(ops);
  const { result: answers, seen } = await watchInvariants(
    env.db,
    Promise.all(
      order.map((op, i) =>
        op.kind === "split"
          ? send(c.admin, "POST", url, op.body, i)
          : send(
              c.admin,
              "POST",
              "/api/v1/activations",
              { activationId: op.activationId, hosts: [{ type: "STRING", id: op.host }] },
              i,
            ),
      ),
    ),
  );
  expect(seen, "copies disagreed mid-flight").toEqual([]);
  const done = order.map((op, i) => ({ op, res: answers[i] as Res }));
  for (const { op, res } of done) {
    expect(op.kind === "split" ? [201, 409] : [201, 409], JSON.stringify(res.body)).toContain(res.status);
    if (res.status === 409) expect(res.body.code, JSON.stringify(res.body)).toBe("not_enough_copies");
    if (op.kind === "split" && op.must === false) expect(res.status).toBe(409);
  }
  const okSplits = done.filter((d) => d.op.kind === "split" && d.res.status === 201);
  const okActs = (id: string) => done.filter((d) => d.op.kind === "activate" && d.op.activationId === id && d.res.status === 201);

  const items = await env.db
    .selectFrom("line_items")
    .select(["id", "entitlement_id", "number_of_copies", "fulfilled_count", "state", "parent_line_item_id"])
    .where("role", "=", "LINE_ITEM")
    .execute();
  // Copies before (100) = the sum after across the source and every target.
  const family = items.filter((i) => i.id === c.itemId || i.parent_line_item_id === c.itemId);
  expect(family.reduce((s, i) => s + i.number_of_copies, 0)).toBe(100);
  for (const i of items) expect(i.fulfilled_count, `line item ${i.id}`).toBeLessThanOrEqual(i.number_of_copies);
  const source = items.find((i) => i.id === c.itemId);
  const target = items.find((i) => i.id === c.targetItem);
  // Each split that answered success moved its count; the new entitlements hold exactly theirs.
  const movedOut = okSplits.reduce((s, d) => s + (d.res.body.moved as number), 0);
  for (const d of okSplits) expect(d.res.body.moved).toBe((d.op as { body: Json }).body.count);
  expect(source?.number_of_copies).toBe(80 - movedOut);
  const intoTarget = okSplits.filter((d) => (d.op as { body: Json }).body.targetEntitlementId).length * 5;
  expect(target?.number_of_copies).toBe(20 + intoTarget);
  const news = okSplits.filter((d) => d.res.body.created);
  for (const d of news)
    expect(items.find((i) => i.id === d.res.body.lineItemId)).toMatchObject({ number_of_copies: 10, fulfilled_count: 0 });
  expect(family).toHaveLength(2 + news.length);
  // A split that failed left no entitlement behind: the reseller owns the first one and the new ones.
  const owned = await env.db
    .selectFrom("entitlement_partners")
    .select("entitlement_id")
    .where("account_id", "=", c.reseller)
    .where("current_owner", "=", 1)
    .execute();
  expect(new Set(owned.map((o) => o.entitlement_id))).toEqual(new Set([c.target, ...news.map((d) => d.res.body.entitlement.id)]));
  // Every activation that answered success took one copy of its line item, and only those did.
  expect(source?.fulfilled_count).toBe(okActs(c.activationId).length);
  expect(target?.fulfilled_count).toBe(okActs(c.targetActivationId).length);
  const fulfillments = await env.db
    .selectFrom("fulfillments")
    .select(["line_item_id", (eb) => eb.fn.countAll<number>().as("n")])
    .groupBy("line_item_id")
    .execute();
  const fOf = new Map(fulfillments.map((f) => [f.line_item_id, num(f.n)]));
  expect(fOf.get(c.itemId) ?? 0).toBe(okActs(c.activationId).length);
  expect(fOf.get(c.targetItem) ?? 0).toBe(okActs(c.targetActivationId).length);
  // The reseller's line item had 20 copies before anything ran: its 12 activations all pass.
  expect(okActs(c.targetActivationId)).toHaveLength(12);
  // Every copy of the source is either still there, fulfilled, or moved (no split took a fulfilled copy).
  expect(source?.state).toBe(source?.number_of_copies === 0 ? "OBSOLETE" : "DEPLOYED");
  // The audit events of the splits match the answers.
  const audits = await auditRows(env.db, ["entitlement.line_item_split"]);
  expect(audits.map((a) => a.changes.moved?.after).reduce((s, n) => s + n, 0)).toBe(20 + movedOut);
  expect(audits).toHaveLength(1 + okSplits.length);
  return { okSplits: okSplits.length, activations: okActs(c.activationId).length };
}

describeEachDb("split conservation", (env) => {
  it("1,000 keys under concurrent splits (counted, listed, onward, refused), redemptions and deletes: nothing lost or duplicated, every counter exact", async () => {
    const r = await bulkScenario(env, injectSend(env));
    // The must-succeed splits (9 counted and one listed) at least, and some redemptions.
    expect(r.okSplits).toBeGreaterThanOrEqual(10);
    expect(r.redeemed).toBeGreaterThan(0);
  }, 120_000);

  it("a line item under concurrent splits and activations: copies conserved, never fulfilled beyond them", async () => {
    await signing(env);
    const r = await lineItemScenario(env, injectSend(env));
    expect(r.okSplits + r.activations).toBeGreaterThan(0);
  }, 120_000);
});

async function signing(env: TestEnv) {
  const k = await ensureSigningKey(env.db, env.app.deps.config);
  expect(k.problem).toBeNull();
}

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");

describe.skipIf(!DIALECTS.includes("postgres"))("split conservation across two server processes on one PostgreSQL", () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill("SIGTERM");
  });

  function startChild(childEnv: NodeJS.ProcessEnv): Promise<string> {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "fixtures/serverChild.ts")], {
      cwd: repoRoot,
      env: { ...process.env, ...childEnv },
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

  /** A shared PostgreSQL database, an in-process app to set up with, and two server processes on it. */
  async function twoServers(fn: (env: TestEnv, send: Send) => Promise<void>) {
    const shared = await sharedDatabase("postgres");
    const secret = crypto.randomBytes(32).toString("base64");
    const config = testConfig({ signingKeySecret: secret, dataDir: shared.dataDir });
    await publisherEnsurer(shared.db, PUBLISHER_ID, "Test Producer");
    const app = await buildApp({ db: shared.db, dialect: "postgres", config, bulk: shared.handle.bulk }, { logger: false });
    try {
      await app.ready();
      await ensureSigningKey(shared.db, config);
      const env = makeEnv("postgres", shared.db, app);
      const childEnv = {
        DATABASE_URL: (shared.where.databaseUrl as string) ?? "",
        LICENSOR_DATA_DIR: shared.dataDir,
        LICENSOR_SIGNING_KEY_SECRET: secret,
        DATABASE_POOL_SIZE: "5",
        // The redemption limits are per IP and both processes see the test's one address.
        LICENSOR_REDEEM_IP_PER_MINUTE: "1000000000",
        LICENSOR_REDEEM_ACCOUNT_PER_MINUTE: "1000000000",
        LICENSOR_REDEEM_MISSES_BEFORE_LOCK: "1000000000",
      };
      // The servers start while the scenario sets up in this process; its first call waits for them.
      const urls = Promise.all([startChild(childEnv), startChild(childEnv)]);
      urls.catch(() => undefined);
      await fn(env, fetchSend(urls));
    } finally {
      for (const c of children.splice(0)) c.kill("SIGTERM");
      await app.close();
      await shared.close();
    }
  }

  // One pair of server processes for both scenarios, one after the other: starting them is most of the time.
  it("the 1,000-key and the line item scenarios with requests spread over both processes", async () => {
    await twoServers(async (env, send) => {
      const r = await bulkScenario(env, send);
      expect(r.okSplits).toBeGreaterThanOrEqual(10);
      await lineItemScenario(env, send);
    });
  }, 240_000);
});

describe.skipIf(!DIALECTS.includes("postgres"))("a counted split beside keys held by another transaction [postgres]", () => {
  it("waits for keys a transaction in flight holds instead of answering that there are none", async () => {
    const handle = await freshDatabase("postgres");
    const app = await buildApp(
      { db: handle.db, dialect: "postgres", config: testConfig(), bulk: handle.bulk },
      { logger: false },
    );
    try {
      await app.ready();
      const env = makeEnv("postgres", handle.db, app);
      const admin = await env.as("PRODUCER_ADMIN");
      const { bulk, distributor } = await bulkEntitlement(env, admin, { keys: 50 });
      ok(await admin.post("/api/v1/partner-tiers", { name: RESELLER_TIER, displayName: "Reseller", rank: 50 }));
      const reseller = await env.makeAccount({ type: "CHANNEL_PARTNER" });
      ok(await admin.post(`/api/v1/accounts/${distributor}/related-accounts`, { accountId: reseller }), 200);
      // Another transaction holds every key of the bulk entitlement, as a split of more keys than
      // there are does until it fails, and then lets go of them having changed nothing.
      let held!: () => void;
      const holding = new Promise<void>((r) => {
        held = r;
      });
      const holder = handle.db
        .transaction()
        .execute(async (trx) => {
          await sql`SELECT id FROM web_register_keys WHERE bulk_id = ${bulk.id} FOR UPDATE`.execute(trx);
          held();
          await new Promise((r) => setTimeout(r, 300));
          throw new Error("rolled back");
        })
        .catch(() => undefined);
      await holding;
      const split = await admin.post(`/api/v1/entitlements/${bulk.id}/actions/split`, {
        targetAccountId: reseller,
        tier: RESELLER_TIER,
        count: 10,
      });
      await holder;
      expect(ok(split).moved).toBe(10);
      expect(ok(await admin.get(`/api/v1/entitlements/${bulk.id}/keys/counts`), 200)).toEqual({
        total: 40,
        redeemed: 0,
        unredeemed: 40,
      });
    } finally {
      await app.close();
      await handle.close();
    }
  }, 60_000);
});
