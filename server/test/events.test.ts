import { expect, it } from "vitest";
import { type DomainEvent, recordEvents } from "../src/db/repos/events.js";
import { JobRunner } from "../src/jobs/runner.js";
import { bulkEntitlement, catalog, type Json, lineOf, ok, simpleEntitlement, uid } from "./factories.js";
import { type Caller, describeEachDb, type TestEnv } from "./helpers.js";
import { activatable, activate } from "./licenses.js";

/**
 * Domain events (issue 17 item 1): every command writes its events in its own transaction (a
 * refused one writes none), with the payload FNO's notifications carry; the events API pages the
 * stream without loss or duplicate while writers run; on PostgreSQL a transaction still open holds
 * back everything committed after it began, so a poller never steps past an event that commits late.
 */

interface Ev {
  id: string;
  type: string;
  subject: { type: string; id: string };
  entitlementId: string | null;
  data: Json;
}

/** Every event in the table, oldest first (the database's own order, not the API's). */
async function allEvents(env: TestEnv): Promise<Ev[]> {
  const rows = await env.db.selectFrom("events").selectAll().orderBy("seq").execute();
  return rows.map((r) => ({
    id: r.id,
    type: r.type,
    subject: { type: r.subject_type, id: r.subject_id },
    entitlementId: r.entitlement_id,
    data: JSON.parse(r.payload),
  }));
}

/** Runs `fn` and returns the events it wrote. */
async function eventsOf(env: TestEnv, fn: () => Promise<unknown>): Promise<Ev[]> {
  const before = new Set((await allEvents(env)).map((e) => e.id));
  await fn();
  return (await allEvents(env)).filter((e) => !before.has(e.id));
}

/** Reads the API's stream from `cursor` to its current end; returns the items and the cursor to go on from. */
async function drain(caller: Caller, cursor: string | null, query = "", limit = 7): Promise<{ items: Json[]; cursor: string }> {
  const items: Json[] = [];
  let c = cursor;
  for (;;) {
    const page = ok(await caller.get(`/api/v1/events?limit=${limit}${c ? `&cursor=${c}` : ""}${query}`), 200);
    items.push(...page.items);
    c = page.nextCursor;
    if (page.items.length < limit) return { items, cursor: c as string };
  }
}

describeEachDb("domain events: commands", (env) => {
  it("entitlement and line-item commands emit exactly their events, with FNO's fields; a refused command emits none", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const c = await catalog(env, admin);
    let e: Json;
    const created = await eventsOf(env, async () => {
      e = ok(
        await admin.post("/api/v1/entitlements", {
          kind: "SIMPLE",
          soldTo: c.customer,
          shipToEmail: "ops@example.test",
          orderId: "SO-1",
          lineItems: [lineOf(c, { numberOfCopies: 5, startDateOption: "DEFINE_NOW", startDate: "2026-01-01" })],
        }),
      );
    });
    expect(created.map((x) => x.type)).toEqual(["entitlement.created"]);
    const ce = created[0] as Ev;
    expect(ce.subject).toEqual({ type: "entitlement", id: e.id });
    expect(ce.entitlementId).toBe(e.id);
    expect(ce.data.entitlement).toMatchObject({
      id: e.id,
      entitlementId: e.entitlementId,
      kind: "SIMPLE",
      state: "DRAFT",
      soldTo: { id: c.customer, name: `Customer ${c.uid}` },
      shipToEmail: "ops@example.test",
      orderId: "SO-1",
      lineItems: [
        {
          activationId: e.lineItems[0].activationId,
          product: { name: c.product.name, version: c.product.version },
          numberOfCopies: 5,
          exactAvailableCount: 5,
          state: "DRAFT",
          startDate: "2026-01-01",
          expirationDate: e.lineItems[0].expirationDate,
        },
      ],
    });

    // Refused (a bad ship-to email; a role that may not edit): no event.
    const refused = await eventsOf(env, async () => {
      expect((await admin.patch(`/api/v1/entitlements/${e.id}`, { shipToEmail: "not an email" })).statusCode).toBe(400);
      const viewer = await env.as("PRODUCER_VIEWER");
      expect((await viewer.patch(`/api/v1/entitlements/${e.id}`, { orderId: "SO-X" })).statusCode).toBe(403);
    });
    expect(refused).toEqual([]);

    const updated = await eventsOf(env, async () =>
      ok(await admin.patch(`/api/v1/entitlements/${e.id}`, { orderId: "SO-2" }), 200),
    );
    expect(updated.map((x) => x.type)).toEqual(["entitlement.updated"]);
    expect(updated[0]?.data).toMatchObject({ changed: ["orderId"], entitlement: { orderId: "SO-2" } });

    let withTwo: Json;
    const added = await eventsOf(env, async () => {
      withTwo = ok(
        await admin.post(`/api/v1/entitlements/${e.id}/line-items`, { lineItems: [lineOf(c, { numberOfCopies: 2 })] }),
        200,
      );
    });
    const second = withTwo.lineItems[1];
    expect(added.map((x) => [x.type, x.subject.id])).toEqual([["line_item.created", second.id]]);
    expect(added[0]?.data).toMatchObject({
      lineItem: { activationId: second.activationId, numberOfCopies: 2, state: "DRAFT" },
      entitlement: { id: e.id },
    });
    expect(added[0]?.data.entitlement.lineItems).toHaveLength(2);

    const liUpdated = await eventsOf(env, async () =>
      ok(await admin.patch(`/api/v1/entitlements/${e.id}/line-items/${second.id}`, { numberOfCopies: 3 }), 200),
    );
    expect(liUpdated.map((x) => x.type)).toEqual(["line_item.updated"]);
    expect(liUpdated[0]?.data.lineItem).toMatchObject({ numberOfCopies: 3, exactAvailableCount: 3 });

    const removed = await eventsOf(env, async () =>
      ok(await admin.delete(`/api/v1/entitlements/${e.id}/line-items/${second.id}`), 200),
    );
    expect(removed.map((x) => [x.type, x.subject.id])).toEqual([["line_item.deleted", second.id]]);
    expect(removed[0]?.data.entitlement.lineItems).toHaveLength(1);

    const deployed = await eventsOf(env, async () =>
      ok(await admin.post(`/api/v1/entitlements/${e.id}/actions/change-state`, { state: "DEPLOYED" }), 200),
    );
    expect(deployed.map((x) => x.type)).toEqual(["entitlement.state_changed"]);
    expect(deployed[0]?.data).toMatchObject({
      previousState: "DRAFT",
      entitlement: { state: "DEPLOYED", lineItems: [{ state: "DEPLOYED" }] },
    });

    // On a DEPLOYED entitlement a new line item starts DRAFT and is deployed by hand.
    const third = ok(await admin.post(`/api/v1/entitlements/${e.id}/line-items`, { lineItems: [lineOf(c)] }), 200).lineItems[1];
    const liState = await eventsOf(env, async () =>
      ok(
        await admin.post(`/api/v1/entitlements/${e.id}/line-items/${third.id}/actions/change-state`, { state: "DEPLOYED" }),
        200,
      ),
    );
    expect(liState.map((x) => x.type)).toEqual(["line_item.state_changed"]);
    expect(liState[0]?.data).toMatchObject({ previousState: "DRAFT", lineItem: { state: "DEPLOYED" } });

    const d = (await simpleEntitlement(env, admin, { catalog: c, deploy: false })).entitlement;
    const deleted = await eventsOf(env, async () =>
      expect((await admin.delete(`/api/v1/entitlements/${d.id}`)).statusCode).toBe(204),
    );
    expect(deleted.map((x) => x.type)).toEqual(["entitlement.deleted"]);
    expect(deleted[0]?.data.entitlement).toMatchObject({ id: d.id, entitlementId: d.entitlementId, state: "DRAFT" });
  });

  it("keys: one key.loaded per load and one key.deleted per removal with counts; redemption: key.redeemed with the key masked", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    let b!: Awaited<ReturnType<typeof bulkEntitlement>>;
    const loaded = await eventsOf(env, async () => {
      b = await bulkEntitlement(env, admin, { keys: 5 });
    });
    expect(loaded.map((x) => x.type)).toEqual(["entitlement.created", "entitlement.state_changed", "key.loaded"]);
    expect(loaded[2]?.data).toMatchObject({
      bulkEntitlement: { id: b.bulk.id, entitlementId: b.bulk.entitlementId },
      count: 5,
      how: "generated",
      keyCounts: { total: 5, redeemed: 0, unredeemed: 5 },
    });
    expect(loaded[0]?.data.entitlement).toMatchObject({ kind: "BULK", soldTo: { id: b.distributor }, keyCounts: { total: 0 } });

    const refused = await eventsOf(env, async () => {
      const r = await admin.post(`/api/v1/entitlements/${b.bulk.id}/keys/delete`, { keys: [b.keys[0], "NO-SUCH-KEY-1234"] });
      expect(r.statusCode).toBe(400);
    });
    expect(refused).toEqual([]);
    const removed = await eventsOf(env, async () =>
      ok(await admin.post(`/api/v1/entitlements/${b.bulk.id}/keys/delete`, { keys: [b.keys[0], b.keys[1]] }), 200),
    );
    expect(removed.map((x) => x.type)).toEqual(["key.deleted"]);
    expect(removed[0]?.data).toMatchObject({ count: 2, keyCounts: { total: 3, unredeemed: 3 } });

    const key = b.keys[2] as string;
    const customer = await env.as("CUSTOMER_PORTAL_USER", b.customer);
    let redeemed: Json;
    const r = await eventsOf(env, async () => {
      redeemed = ok(await customer.post("/api/v1/redemptions", { key }));
    });
    expect(r.map((x) => x.type)).toEqual(["key.redeemed", "entitlement.created"]);
    const ent = redeemed.entitlement;
    expect(r[0]?.entitlementId).toBe(ent.id);
    expect(r[0]?.data).toEqual({
      key: `…${key.slice(-4)}`,
      bulkEntitlement: { id: b.bulk.id, entitlementId: b.bulk.entitlementId },
      entitlement: { id: ent.id, entitlementId: `…${key.slice(-4)}ENT`, activationIds: [`…${key.slice(-4)}`] },
      customer: { id: b.customer, name: `Customer ${b.uid}` },
      owner: null,
    });
    expect(r[1]?.data).toMatchObject({
      via: "key.redeemed",
      entitlement: { id: ent.id, kind: "SIMPLE", parentBulkId: b.bulk.id, soldTo: { id: b.customer } },
    });
    // The activation ID (and the default entitlement ID) is made of the key: events show it masked.
    expect(r[1]?.data.entitlement.lineItems[0].activationId).toBe(`…${key.slice(-4)}`);
    const text = JSON.stringify(r.map((x) => x.data)).toUpperCase();
    expect(text.includes(key.toUpperCase())).toBe(false);
    expect(text.includes(key.slice(0, -4).toUpperCase())).toBe(false);
    // Redeemed again by the same account: the same entitlement, no new event.
    expect(await eventsOf(env, async () => ok(await customer.post("/api/v1/redemptions", { key }), 200))).toEqual([]);
  });

  it("accounts, fulfillments, lifecycle and jobs emit their events", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const id = `ACME-${uid()}`;
    const acc = await eventsOf(env, async () => {
      ok(await admin.post("/api/v1/accounts", { id, name: "Acme", type: "CUSTOMER" }));
      expect((await admin.post("/api/v1/accounts", { id, name: "Acme again", type: "CUSTOMER" })).statusCode).toBe(409);
      ok(await admin.patch(`/api/v1/accounts/${id}`, { name: "Acme Corp" }), 200);
      expect((await admin.delete(`/api/v1/accounts/${id}`)).statusCode).toBe(204);
    });
    expect(acc.map((x) => x.type)).toEqual(["account.created", "account.updated", "account.deleted"]);
    expect(acc[1]?.data).toMatchObject({ account: { id, name: "Acme Corp", type: "CUSTOMER" }, changed: ["name"] });

    const a = await activatable(env, admin, { copies: 3 });
    const f = await eventsOf(env, async () =>
      activate(admin, { activationId: a.activationId, hosts: [{ type: "ETHERNET", id: "00:1A:2B:3C:4D:5E" }] }),
    );
    expect(f.map((x) => x.type)).toEqual(["fulfillment.created"]);
    expect(f[0]?.entitlementId).toBe(a.entitlement.id);
    expect(f[0]?.data.fulfillment).toMatchObject({ activationId: a.activationId, count: 1, state: "ACTIVE" });

    const target = await env.makeAccount();
    const s = (await simpleEntitlement(env, admin)).entitlement;
    const t = await eventsOf(env, async () =>
      ok(await admin.post(`/api/v1/entitlements/${s.id}/actions/transfer`, { accountId: target })),
    );
    expect(t.map((x) => x.type)).toEqual(["entitlement.transferred", "entitlement.created"]);
    expect(t[0]?.data).toMatchObject({ entitlement: { id: s.id, state: "OBSOLETE" }, to: { accountId: target } });
    expect(t[1]?.data).toMatchObject({ via: "entitlement.transferred", entitlement: { soldTo: { id: target } } });

    // A job: queued, run by a runner, finished: one job.finished with its final state.
    const b = await bulkEntitlement(env, admin, { keys: 3 });
    const runner = new JobRunner({ db: env.db, dialect: env.dialect, config: env.app.deps.config, bulk: env.app.deps.bulk });
    (env.app.deps as { jobs?: unknown }).jobs = runner;
    const { jobId } = ok(await admin.post(`/api/v1/entitlements/${b.bulk.id}/keys/exports`, {}), 202);
    await runner.start();
    try {
      for (let i = 0; i < 200; i++) {
        const j = ok(await admin.get(`/api/v1/jobs/${jobId}`), 200);
        if (!["QUEUED", "RUNNING"].includes(j.state)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await runner.stop();
    }
    const jobEvents = (await allEvents(env)).filter((x) => x.type === "job.finished");
    expect(jobEvents).toHaveLength(1);
    expect(jobEvents[0]?.data.job).toMatchObject({ id: jobId, type: "keys.export", state: "SUCCEEDED" });
  });
});

describeEachDb("domain events: redemptions under load and the events API", (env) => {
  it("1,000 concurrent redemptions write exactly 1,000 key.redeemed events, distinct, no whole key in any", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { keys } = await bulkEntitlement(env, admin, { keys: 1000 });
    const clients = await Promise.all(
      Array.from({ length: 25 }, async () => env.as("CUSTOMER_PORTAL_USER", await env.makeAccount())),
    );
    const queue = [...keys];
    const failures: string[] = [];
    await Promise.all(
      clients.map(async (c) => {
        for (let key = queue.pop(); key; key = queue.pop()) {
          const r = await c.post("/api/v1/redemptions", { key });
          if (r.statusCode !== 201) failures.push(`${r.statusCode} ${r.body.slice(0, 120)}`);
        }
      }),
    );
    expect(failures).toEqual([]);
    const rows = await env.db.selectFrom("events").select(["id", "type", "payload"]).execute();
    const redeemed = rows.filter((r) => r.type === "key.redeemed");
    expect(redeemed).toHaveLength(1000);
    expect(new Set(redeemed.map((r) => r.id)).size).toBe(1000);
    expect(new Set(redeemed.map((r) => JSON.parse(r.payload).entitlement.id)).size).toBe(1000);
    // No payload of any event holds a whole key, though the redeemed entitlements' activation IDs
    // (and default entitlement IDs) are made of them: shown masked.
    const canon = (x: string) => x.toUpperCase().replaceAll("-", "");
    for (const r of rows) {
      const text = canon(r.payload);
      expect(keys.some((k) => text.includes(canon(k)))).toBe(false);
    }
  }, 180_000);

  it("the API pages the stream with no loss and no duplicate while writers run; filters; one event by id", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk, keys } = await bulkEntitlement(env, admin, { keys: 150 });
    const viewer = await env.as("PRODUCER_VIEWER");
    const clients = await Promise.all(
      Array.from({ length: 8 }, async () => env.as("CUSTOMER_PORTAL_USER", await env.makeAccount())),
    );
    const queue = [...keys];
    let writing = true;
    const writers = Promise.all(
      clients.map(async (c) => {
        for (let key = queue.pop(); key; key = queue.pop())
          expect((await c.post("/api/v1/redemptions", { key })).statusCode).toBe(201);
      }),
    ).finally(() => {
      writing = false;
    });
    const seen: Json[] = [];
    let cursor: string | null = null;
    while (writing) {
      const d = await drain(viewer, cursor);
      seen.push(...d.items);
      cursor = d.cursor;
      // A poller waits a little at the end of the stream (and lets the writers run).
      await new Promise((r) => setTimeout(r, 10));
    }
    await writers;
    seen.push(...(await drain(viewer, cursor)).items);
    const ids = seen.map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual((await allEvents(env)).map((x) => x.id).sort());
    expect(seen.filter((x) => x.type === "key.redeemed")).toHaveLength(150);

    // Filters: an exact type, a subject.*, an entitlement; a type that is none is refused by name.
    const redeemedOnly = (await drain(viewer, null, "&type=key.redeemed", 50)).items;
    expect(redeemedOnly).toHaveLength(150);
    const keyEvents = (await drain(viewer, null, "&type=key.*", 50)).items;
    expect(new Set(keyEvents.map((x: Json) => x.type))).toEqual(new Set(["key.loaded", "key.redeemed"]));
    const ofBulk = (await drain(viewer, null, `&entitlementId=${bulk.id}`, 50)).items;
    expect(ofBulk.map((x: Json) => x.type)).toEqual(["entitlement.created", "entitlement.state_changed", "key.loaded"]);
    const bad = await viewer.get("/api/v1/events?type=key.exploded");
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe("type");
    expect((await viewer.get("/api/v1/events?cursor=nonsense")).statusCode).toBe(400);
    // Newest first, for the portal.
    const newest = ok(await viewer.get("/api/v1/events?order=newest&limit=3"), 200);
    const all = await allEvents(env);
    expect(newest.items.map((x: Json) => x.id)).toEqual(
      all
        .slice(-3)
        .reverse()
        .map((x) => x.id),
    );
    const next = ok(await viewer.get(`/api/v1/events?order=newest&limit=3&cursor=${newest.nextCursor}`), 200);
    expect(next.items.map((x: Json) => x.id)).toEqual(
      all
        .slice(-6, -3)
        .reverse()
        .map((x) => x.id),
    );

    const one = seen.find((x) => x.type === "key.redeemed");
    expect(ok(await viewer.get(`/api/v1/events/${one.id}`), 200)).toEqual(one);
    expect((await viewer.get("/api/v1/events/evt_none")).statusCode).toBe(404);
  }, 180_000);

  it("producer roles read events; partner and customer users are refused", async () => {
    for (const role of ["PRODUCER_ADMIN", "PRODUCER_OPERATIONS", "PRODUCER_SUPPORT", "PRODUCER_VIEWER"] as const)
      expect((await (await env.as(role)).get("/api/v1/events")).statusCode).toBe(200);
    for (const role of [
      "PARTNER_PORTAL_ADMIN",
      "PARTNER_PORTAL_USER",
      "CUSTOMER_PORTAL_ADMIN",
      "CUSTOMER_PORTAL_USER",
    ] as const) {
      const c = await env.as(role);
      expect((await c.get("/api/v1/events")).statusCode).toBe(403);
      expect((await c.get("/api/v1/events/evt_x")).statusCode).toBe(403);
    }
    expect((await env.caller(null).get("/api/v1/events")).statusCode).toBe(401);
    // Both routes are in the OpenAPI document, with their query and response.
    const doc = (await env.app.inject({ method: "GET", url: "/api/openapi.json" })).json();
    expect(Object.keys(doc.paths["/api/v1/events"])).toContain("get");
    expect(Object.keys(doc.paths["/api/v1/events/{id}"])).toContain("get");
    const names = doc.paths["/api/v1/events"].get.parameters.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(["cursor", "limit", "type", "entitlementId", "order"]));
    expect(JSON.stringify(doc.paths["/api/v1/events/{id}"].get.responses["200"])).toContain("occurredAt");
  });

  it("PostgreSQL: an event of a transaction still open holds back later commits until it commits; none is skipped", async () => {
    if (env.dialect !== "postgres") return;
    const viewer = await env.as("PRODUCER_VIEWER");
    const event = (n: number): DomainEvent => ({ type: "webhook.test", subjectType: "test", subjectId: `t${n}`, data: { n } });
    await env.db.transaction().execute((trx) => recordEvents(trx, null, [event(0)]));
    const first = await drain(viewer, null);
    expect(first.items.map((x) => x.data.n)).toEqual([0]);

    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let inserted!: () => void;
    const insertedP = new Promise<void>((r) => {
      inserted = r;
    });
    const held = env.db.transaction().execute(async (trx) => {
      await recordEvents(trx, null, [event(1)]);
      inserted();
      await gate;
    });
    await insertedP;
    // A later transaction commits while the first is still open.
    await env.db.transaction().execute((trx) => recordEvents(trx, null, [event(2)]));
    const during = await drain(viewer, first.cursor);
    expect(during.items).toEqual([]);
    expect(during.cursor).toBe(first.cursor);
    release();
    await held;
    const after = await drain(viewer, first.cursor);
    expect(after.items.map((x) => x.data.n)).toEqual([1, 2]);
  });
});
