import { parse } from "csv-parse/sync";
import { expect, it } from "vitest";
import { backfill } from "../src/db/migrations/0016_reports.js";
import { bulkEntitlement, keysOf, ok } from "./factories.js";
import { type Caller, describeEachDb, type TestEnv } from "./helpers.js";

/**
 * Reports and the chain view (issue 15 items 3–4) on both databases: exact figures after a load,
 * redemptions by several customers, splits to two resellers and a delete; CSV equal to JSON; who
 * may read which report; the chain's shape; the producer's home figures; the ledger backfill.
 */

type Json = any;
const RESELLER_TIER = "bo.constants.partnertiernames.tier2";
const today = () => new Date().toISOString().slice(0, 10);

/**
 * A distributor's bulk entitlement of 10 keys; 3 split to reseller 1 and 2 to reseller 2; customers
 * A, B, C redeem: A 2 and B 1 from the root, C 1 and A 1 from reseller 1's, B 1 from reseller 2's;
 * 1 unredeemed key of the root deleted. Root: 10 loaded − 5 split − 1 deleted = 4 keys (3 redeemed),
 * subtree 9 keys, 6 redeemed.
 */
async function chain(env: TestEnv) {
  const admin = await env.as("PRODUCER_ADMIN");
  const b = await bulkEntitlement(env, admin, { keys: 10 });
  ok(await admin.post("/api/v1/partner-tiers", { name: RESELLER_TIER, displayName: "Reseller", rank: 50 }));
  const r1 = await env.makeAccount({ type: "CHANNEL_PARTNER", name: "Reseller One" });
  const r2 = await env.makeAccount({ type: "CHANNEL_PARTNER", name: "Reseller Two" });
  const custA = await env.makeAccount({ type: "CUSTOMER", name: "Customer A" });
  const custB = await env.makeAccount({ type: "CUSTOMER", name: "Customer B" });
  const custC = await env.makeAccount({ type: "CUSTOMER", name: "Customer C" });
  for (const r of [r1, r2]) ok(await admin.post(`/api/v1/accounts/${b.distributor}/related-accounts`, { accountId: r }), 200);
  const redeem = async (key: string, soldTo: string) => ok(await admin.post("/api/v1/redemptions", { key, soldTo }));
  // Redeemed first: the split takes the oldest unredeemed keys, so these stay in the root.
  await redeem(b.keys[0] as string, custA);
  await redeem(b.keys[1] as string, custA);
  await redeem(b.keys[2] as string, custB);
  const split = async (account: string, count: number) =>
    ok(
      await admin.post(`/api/v1/entitlements/${b.bulk.id}/actions/split`, {
        targetAccountId: account,
        tier: RESELLER_TIER,
        count,
      }),
    ).entitlement;
  const e1 = await split(r1, 3);
  const e2 = await split(r2, 2);
  const k1 = await keysOf(admin, e1.id);
  const k2 = await keysOf(admin, e2.id);
  await redeem(k1[0] as string, custC);
  await redeem(k1[1] as string, custA);
  await redeem(k2[0] as string, custB);
  const rootKeys = (await keysOf(admin, b.bulk.id)).filter((k) => !b.keys.slice(0, 3).includes(k));
  expect(ok(await admin.post(`/api/v1/entitlements/${b.bulk.id}/keys/delete`, { keys: [rootKeys[0]] }), 200)).toEqual({
    deleted: 1,
  });
  return { admin, ...b, r1, r2, custA, custB, custC, e1, e2 };
}

function csvOf(res: { statusCode: number; body: string; headers: Record<string, unknown> }): Record<string, string>[] {
  expect(res.statusCode, res.body).toBe(200);
  expect(String(res.headers["content-type"])).toContain("text/csv");
  return parse(res.body, { columns: true }) as Record<string, string>[];
}
const strings = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v === null ? "" : String(v)]));

async function partnerUser(env: TestEnv, accountId: string): Promise<Caller> {
  return env.as("PARTNER_PORTAL_USER", accountId);
}

describeEachDb("reports", (env) => {
  it("a bulk entitlement's report: keys over time, customers and resellers over its subtree, exactly", async () => {
    const c = await chain(env);
    const r: Json = ok(await c.admin.get(`/api/v1/reports/bulk-entitlements/${c.bulk.id}?top=2`), 200);
    expect(r.entitlement).toMatchObject({ id: c.bulk.id, accountId: c.distributor });
    expect(r.totals).toEqual({ keys: 9, redeemed: 6, unredeemed: 3, bulkEntitlements: 3 });
    expect(r.interval).toBe("day");
    expect(r.series).toHaveLength(30);
    expect(r.to).toBe(today());
    const last = r.series.at(-1);
    // The splits stay inside the subtree: nothing received or sent out.
    expect(last).toEqual({
      start: today(),
      end: today(),
      loaded: 10,
      received: 0,
      splitOut: 0,
      deleted: 1,
      redeemed: 6,
      keys: 9,
      redeemedTotal: 6,
      unredeemed: 3,
    });
    for (const p of r.series.slice(0, -1)) expect(p).toMatchObject({ keys: 0, redeemed: 0, unredeemed: 0 });
    expect(r.customers).toEqual({
      items: [
        { accountId: c.custA, accountName: "Customer A", redeemed: 3 },
        { accountId: c.custB, accountName: "Customer B", redeemed: 2 },
      ],
      others: { customers: 1, redeemed: 1 },
      customers: 3,
      redeemed: 6,
    });
    expect(r.resellers).toEqual([
      {
        id: c.e1.id,
        entitlementId: c.e1.entitlementId,
        accountId: c.r1,
        accountName: "Reseller One",
        tier: "Reseller",
        received: 3,
        keys: 3,
        redeemed: 2,
        unredeemed: 1,
      },
      {
        id: c.e2.id,
        entitlementId: c.e2.entitlementId,
        accountId: c.r2,
        accountName: "Reseller Two",
        tier: "Reseller",
        received: 2,
        keys: 2,
        redeemed: 1,
        unredeemed: 1,
      },
    ]);

    // A reseller's bulk entitlement alone: the keys came in by a split.
    const r1: Json = ok(await c.admin.get(`/api/v1/reports/bulk-entitlements/${c.e1.id}?interval=week`), 200);
    expect(r1.totals).toEqual({ keys: 3, redeemed: 2, unredeemed: 1, bulkEntitlements: 1 });
    expect(r1.series).toHaveLength(12);
    expect(r1.series.at(-1)).toMatchObject({ loaded: 0, received: 3, redeemed: 2, keys: 3, unredeemed: 1 });
    expect(r1.customers.items.map((x: Json) => [x.accountName, x.redeemed])).toEqual([
      ["Customer A", 1],
      ["Customer C", 1],
    ]);
    expect(r1.resellers).toEqual([]);

    // A period before anything happened has no customers; the balance carries into later periods.
    const past: Json = ok(
      await c.admin.get(`/api/v1/reports/bulk-entitlements/${c.bulk.id}?from=2020-01-01&to=2020-03-31&interval=month`),
      200,
    );
    expect(past.series.map((p: Json) => [p.start, p.end])).toEqual([
      ["2020-01-01", "2020-01-31"],
      ["2020-02-01", "2020-02-29"],
      ["2020-03-01", "2020-03-31"],
    ]);
    expect(past.customers).toMatchObject({ items: [], customers: 0, redeemed: 0 });
    const future: Json = ok(
      await c.admin.get(`/api/v1/reports/bulk-entitlements/${c.bulk.id}?from=2999-01-01&to=2999-01-02`),
      200,
    );
    expect(future.series.map((p: Json) => p.keys)).toEqual([9, 9]);
    expect(future.series.map((p: Json) => p.unredeemed)).toEqual([3, 3]);
  });

  it("refuses bad periods naming the field", async () => {
    const c = await chain(env);
    const bad = async (q: string, field: string) => {
      const res = await c.admin.get(`/api/v1/reports/bulk-entitlements/${c.bulk.id}?${q}`);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().field ?? res.body).toContain(field);
    };
    await bad("from=2026-02-01&to=2026-01-01", "from");
    await bad("from=2000-01-01&to=2026-01-01&interval=day", "from");
    await bad("interval=year", "interval");
    await bad("from=yesterday", "from");
  });

  it("each table as CSV is the JSON's figures", async () => {
    const c = await chain(env);
    const base = `/api/v1/reports/bulk-entitlements/${c.bulk.id}`;
    const json: Json = ok(await c.admin.get(`${base}?top=2`), 200);
    expect(csvOf(await c.admin.get(`${base}/series.csv?top=2`))).toEqual(json.series.map(strings));
    expect(csvOf(await c.admin.get(`${base}/resellers.csv?top=2`))).toEqual(json.resellers.map(strings));
    expect(csvOf(await c.admin.get(`${base}/customers.csv?top=2`))).toEqual([
      ...json.customers.items.map(strings),
      { accountId: "", accountName: "Others (1 customers)", redeemed: "1" },
    ]);
    const partner: Json = ok(await c.admin.get(`/api/v1/reports/partners/${c.distributor}`), 200);
    expect(csvOf(await c.admin.get(`/api/v1/reports/partners/${c.distributor}/bulks.csv`))).toEqual(partner.bulks.map(strings));
    const chainJson: Json = ok(await c.admin.get(`/api/v1/entitlements/${c.bulk.id}/chain`), 200);
    const chainRows = csvOf(await c.admin.get(`/api/v1/entitlements/${c.bulk.id}/chain.csv`));
    expect(chainRows.map((x) => [x.entitlementId, x.depth, x.keys, x.redeemed, x.customers])).toEqual(
      chainJson.nodes.map((n: Json) => [
        n.entitlementId,
        String(n.depth),
        String(n.keys),
        String(n.redeemed),
        String(n.customers.length + n.moreCustomers.customers),
      ]),
    );
  });

  it("a partner's report covers the bulk entitlements it owns and theirs; each partner sees its part only", async () => {
    const c = await chain(env);
    const dist: Json = ok(await c.admin.get(`/api/v1/reports/partners/${c.distributor}`), 200);
    expect(dist.account.id).toBe(c.distributor);
    expect(dist.bulks).toEqual([{ id: c.bulk.id, entitlementId: c.bulk.entitlementId, keys: 4, redeemed: 3, unredeemed: 1 }]);
    expect(dist.totals).toEqual({ keys: 9, redeemed: 6, unredeemed: 3, bulkEntitlements: 3 });
    expect(dist.resellers.map((x: Json) => x.accountId)).toEqual([c.r1, c.r2]);

    const one = await partnerUser(env, c.r1);
    const own: Json = ok(await one.get(`/api/v1/reports/partners/${c.r1}`), 200);
    expect(own.totals).toEqual({ keys: 3, redeemed: 2, unredeemed: 1, bulkEntitlements: 1 });
    expect(own.series.at(-1)).toMatchObject({ received: 3, redeemed: 2 });
    ok(await one.get(`/api/v1/reports/bulk-entitlements/${c.e1.id}`), 200);
    // Not the distributor's bulk entitlement, not the other reseller's, not the other account.
    expect((await one.get(`/api/v1/reports/bulk-entitlements/${c.bulk.id}`)).statusCode).toBe(404);
    expect((await one.get(`/api/v1/reports/bulk-entitlements/${c.e2.id}`)).statusCode).toBe(404);
    expect((await one.get(`/api/v1/reports/partners/${c.distributor}`)).statusCode).toBe(404);
    expect((await one.get(`/api/v1/reports/bulk-entitlements/${c.bulk.id}/series.csv`)).statusCode).toBe(404);
    // The distributor sees its resellers' bulk entitlements (split from its own).
    const d = await partnerUser(env, c.distributor);
    ok(await d.get(`/api/v1/reports/bulk-entitlements/${c.e2.id}`), 200);
    // Customers see no report; the chain and the home figures are the producer's.
    const cust = await env.as("CUSTOMER_PORTAL_ADMIN", c.custA);
    expect((await cust.get(`/api/v1/reports/bulk-entitlements/${c.bulk.id}`)).statusCode).toBe(404);
    expect((await cust.get(`/api/v1/reports/partners/${c.custA}`)).statusCode).toBe(404);
    expect((await d.get(`/api/v1/entitlements/${c.bulk.id}/chain`)).statusCode).toBe(404);
    expect((await d.get("/api/v1/reports/overview")).statusCode).toBe(403);
    expect((await c.admin.get("/api/v1/reports/bulk-entitlements/nope")).statusCode).toBe(404);
  });

  it("the chain: the whole tree from the root, wherever it is asked from, with each node's customers capped", async () => {
    const c = await chain(env);
    // A reseller splits on to a sub-reseller: a third level.
    const sub = await env.makeAccount({ type: "CHANNEL_PARTNER", name: "Sub Reseller" });
    ok(await c.admin.post(`/api/v1/partner-tiers`, { name: "tier3", displayName: "Sub-reseller", rank: 60 }));
    ok(await c.admin.post(`/api/v1/accounts/${c.r1}/related-accounts`, { accountId: sub }), 200);
    const e3 = ok(
      await c.admin.post(`/api/v1/entitlements/${c.e1.id}/actions/split`, { targetAccountId: sub, tier: "tier3", count: 1 }),
    ).entitlement;
    const fromLeaf: Json = ok(await c.admin.get(`/api/v1/entitlements/${e3.id}/chain?customers=1`), 200);
    expect(fromLeaf.focus).toBe(e3.id);
    const shape = fromLeaf.nodes.map((n: Json) => [
      n.id,
      n.depth,
      n.parentId,
      n.accountName,
      n.tier,
      n.keys,
      n.redeemed,
      n.unredeemed,
    ]);
    const [first, second] = [c.e1, c.e2].sort((a, b) => a.entitlementId.localeCompare(b.entitlementId));
    const rows: Record<string, unknown[]> = {
      [c.e1.id]: [c.e1.id, 1, c.bulk.id, "Reseller One", "Reseller", 2, 2, 0],
      [c.e2.id]: [c.e2.id, 1, c.bulk.id, "Reseller Two", "Reseller", 2, 1, 1],
    };
    const expected: unknown[] = [[c.bulk.id, 0, null, expect.any(String), expect.any(String), 4, 3, 1]];
    for (const e of [first, second]) {
      expected.push(rows[e.id]);
      if (e.id === c.e1.id) expected.push([e3.id, 2, c.e1.id, "Sub Reseller", "Sub-reseller", 1, 0, 1]);
    }
    expect(shape).toEqual(expected);
    const root = fromLeaf.nodes[0];
    // The root's customers: A 2, B 1 — one listed, the other counted.
    expect(root.customers).toEqual([{ accountId: c.custA, accountName: "Customer A", redeemed: 2 }]);
    expect(root.moreCustomers).toEqual({ customers: 1, redeemed: 1 });
    const all: Json = ok(await c.admin.get(`/api/v1/entitlements/${c.bulk.id}/chain`), 200);
    expect(all.nodes.find((n: Json) => n.id === c.e1.id).customers.map((x: Json) => x.accountName)).toEqual([
      "Customer A",
      "Customer C",
    ]);
    // The split recorded its lineage.
    const row = await env.db.selectFrom("entitlements").select("split_from_id").where("id", "=", e3.id).executeTakeFirstOrThrow();
    expect(row.split_from_id).toBe(c.e1.id);
  });

  it("the key ledger sums to each bulk entitlement's key count, and the backfill rebuilds it from the audit log", async () => {
    const c = await chain(env);
    const sums = async () => {
      const rows = await env.db.selectFrom("key_movements").select(["bulk_id", "kind", "count", "other_bulk_id"]).execute();
      const m = new Map<string, number>();
      for (const r of rows)
        m.set(r.bulk_id, (m.get(r.bulk_id) ?? 0) + (r.kind === "LOADED" || r.kind === "SPLIT_IN" ? 1 : -1) * r.count);
      return m;
    };
    const counts = new Map(
      (await env.db.selectFrom("entitlements").select(["id", "key_count"]).where("kind", "=", "BULK").execute()).map((r) => [
        r.id,
        r.key_count,
      ]),
    );
    expect(await sums()).toEqual(counts);
    const before: Json = ok(await c.admin.get(`/api/v1/reports/bulk-entitlements/${c.bulk.id}`), 200);
    // As if the splits predated migration 0016: no ledger, no lineage.
    await env.db.deleteFrom("key_movements").execute();
    await env.db.updateTable("entitlements").set({ split_from_id: null }).execute();
    await backfill(env.db);
    // Deleted keys left no trace: the root counts as loaded with the 9 keys there are.
    const rebuilt = await sums();
    expect(rebuilt).toEqual(counts);
    const after: Json = ok(await c.admin.get(`/api/v1/reports/bulk-entitlements/${c.bulk.id}`), 200);
    expect(after.totals).toEqual(before.totals);
    expect(after.resellers).toEqual(before.resellers);
    expect(after.series.at(-1)).toMatchObject({ loaded: 9, deleted: 0, keys: 9, redeemed: 6, unredeemed: 3 });
  });

  it("is described in the OpenAPI document, each table's CSV as text/csv", async () => {
    const doc = (await env.app.inject({ method: "GET", url: "/api/openapi.json" })).json();
    for (const p of [
      "/api/v1/reports/bulk-entitlements/{id}",
      "/api/v1/reports/partners/{accountId}",
      "/api/v1/reports/overview",
      "/api/v1/entitlements/{id}/chain",
    ])
      expect(doc.paths[p]?.get, p).toBeTruthy();
    for (const p of [
      "/api/v1/reports/bulk-entitlements/{id}/series.csv",
      "/api/v1/reports/bulk-entitlements/{id}/customers.csv",
      "/api/v1/reports/partners/{accountId}/bulks.csv",
      "/api/v1/entitlements/{id}/chain.csv",
    ])
      expect(Object.keys(doc.paths[p]?.get?.responses?.["200"]?.content ?? {}), p).toEqual(["text/csv"]);
  });

  it("the producer's home figures", async () => {
    const c = await chain(env);
    const o: Json = ok(await c.admin.get("/api/v1/reports/overview"), 200);
    expect(o.keys.loaded).toEqual({ total: 10, thisWeek: 10, previousWeek: 0 });
    expect(o.keys.redeemed).toEqual({ total: 6, thisWeek: 6, previousWeek: 0 });
    expect(o.redemptionsPerDay).toHaveLength(30);
    expect(o.redemptionsPerDay.at(-1)).toEqual({ day: today(), redeemed: 6 });
    expect(o.redemptionsPerDay.slice(0, -1).every((d: Json) => d.redeemed === 0)).toBe(true);
    const bulkDeployed = o.entitlements.find((e: Json) => e.kind === "BULK" && e.state === "DEPLOYED");
    expect(bulkDeployed.count).toBe(3);
    const simple = o.entitlements.filter((e: Json) => e.kind === "SIMPLE").reduce((s: number, e: Json) => s + e.count, 0);
    expect(simple).toBe(6);
    expect(o.jobs).toEqual({ running: 0, queued: 0, failed24h: 0 });
    expect(o.licensesThisWeek).toBe(0);
    expect(typeof o.emailsNotSent).toBe("number");
    // A failed job of the last day counts.
    const now = new Date().toISOString();
    await env.db
      .insertInto("jobs")
      .values({
        id: "job-failed",
        type: "keys.generate",
        state: "FAILED",
        bulk_id: null,
        params: "{}",
        total: null,
        done: 0,
        result: null,
        error: "x",
        cancel_requested: 0,
        worker: null,
        attempts: 1,
        created_by: null,
        created_by_label: null,
        created_at: now,
        started_at: now,
        heartbeat_at: null,
        finished_at: now,
        lease_expires_at: null,
      })
      .execute();
    expect(ok(await c.admin.get("/api/v1/reports/overview"), 200).jobs.failed24h).toBe(1);
  });
});
