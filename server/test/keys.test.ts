import { expect, it } from "vitest";
import { JobRunner } from "../src/jobs/runner.js";
import { bulkEntitlement, simpleEntitlement } from "./factories.js";
import { describeEachDb } from "./helpers.js";

describeEachDb("web register keys", (env) => {
  it("generates keys synchronously, counts and lists them with keyset paging", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk: e } = await bulkEntitlement(env, admin);
    const r = await admin.post(`/api/v1/entitlements/${e.id}/keys/generate`, { count: 250 });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: "SUCCESS", loaded: 250, rejected: 0 });
    expect((await admin.get(`/api/v1/entitlements/${e.id}/keys/counts`)).json()).toEqual({
      total: 250,
      redeemed: 0,
      unredeemed: 250,
    });
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { items: { key: string }[]; nextCursor: string | null } = (
        await admin.get(`/api/v1/entitlements/${e.id}/keys?limit=100${cursor ? `&cursor=${cursor}` : ""}`)
      ).json();
      for (const k of page.items) seen.add(k.key);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.size).toBe(250);
    for (const k of seen) expect(k).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$/);
  });

  it("loads a batch all-or-nothing with a report naming each bad line, or partially on request", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk: e } = await bulkEntitlement(env, admin);
    await admin.post(`/api/v1/entitlements/${e.id}/keys`, { key: "EXISTING-1" });
    const keys = ["GOOD-1", "bad/key", "GOOD-2", "GOOD-1", "EXISTING-1", "x".repeat(256)];
    const all = (await admin.post(`/api/v1/entitlements/${e.id}/keys/batch`, { keys })).json();
    expect(all).toMatchObject({ status: "FAILURE", read: 6, loaded: 0, rejected: 4 });
    expect(all.badLines.map((b: { line: number }) => b.line)).toEqual([2, 6, 4, 5]);
    expect(all.badLines.find((b: { line: number }) => b.line === 4).reason).toBe("duplicate of a key earlier in this load");
    expect(all.badLines.find((b: { line: number }) => b.line === 5).reason).toBe("already exists");
    expect((await admin.get(`/api/v1/entitlements/${e.id}/keys/counts`)).json().total).toBe(1);
    const partial = (await admin.post(`/api/v1/entitlements/${e.id}/keys/batch`, { keys, mode: "partial" })).json();
    expect(partial).toMatchObject({ status: "PARTIAL_FAILURE", loaded: 2, rejected: 4 });
    expect((await admin.get(`/api/v1/entitlements/${e.id}/keys/counts`)).json().total).toBe(3);
  });

  it("refuses a key that is already an activation ID, and loads into INACTIVE bulk entitlements never", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk: e } = await bulkEntitlement(env, admin);
    await simpleEntitlement(env, admin, { deploy: false, line: { activationId: "ACT-TAKEN" } });
    const r = await admin.post(`/api/v1/entitlements/${e.id}/keys`, { key: "ACT-TAKEN" });
    expect(r.json()).toMatchObject({ status: 409, field: "key" });
    await admin.post(`/api/v1/entitlements/${e.id}/actions/change-state`, { state: "INACTIVE" });
    const refused = await admin.post(`/api/v1/entitlements/${e.id}/keys/generate`, { count: 5 });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().detail).toContain("keys load only into DRAFT, TEST or DEPLOYED");
  });

  it("deletes unredeemed keys by list or all, refusing redeemed ones", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk: e } = await bulkEntitlement(env, admin);
    await admin.post(`/api/v1/entitlements/${e.id}/keys/batch`, { keys: ["D-1", "D-2", "D-3", "D-4"] });
    await env.db.updateTable("web_register_keys").set({ status: "REDEEMED" }).where("key", "=", "D-4").execute();
    await env.db.updateTable("entitlements").set({ redeemed_count: 1 }).where("id", "=", e.id).execute();
    const refused = await admin.post(`/api/v1/entitlements/${e.id}/keys/delete`, { keys: ["D-1", "D-4"] });
    expect(refused.json()).toMatchObject({ status: 400, field: "keys[1]" });
    expect((await admin.post(`/api/v1/entitlements/${e.id}/keys/delete`, { keys: ["D-1"] })).json()).toEqual({ deleted: 1 });
    expect((await admin.post(`/api/v1/entitlements/${e.id}/keys/delete`, { all: true })).json()).toEqual({ deleted: 2 });
    expect((await admin.get(`/api/v1/entitlements/${e.id}/keys/counts`)).json()).toEqual({
      total: 1,
      redeemed: 1,
      unredeemed: 0,
    });
  });

  it("runs large loads as jobs with progress and a truthful final state", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk: e } = await bulkEntitlement(env, admin);
    const runner = new JobRunner({ db: env.db, dialect: env.dialect, config: env.app.deps.config, bulk: env.app.deps.bulk });
    (env.app.deps as { jobs?: JobRunner }).jobs = runner;
    const r = await admin.post(`/api/v1/entitlements/${e.id}/keys/generate`, { count: 25_000 });
    expect(r.statusCode).toBe(202);
    const jobId = r.json().jobId;
    await runner.start();
    let job: { state: string; progress: { done: number; total: number } } = { state: "QUEUED", progress: { done: 0, total: 0 } };
    for (let i = 0; i < 200 && (job.state === "QUEUED" || job.state === "RUNNING"); i++) {
      await new Promise((res) => setTimeout(res, 100));
      job = (await admin.get(`/api/v1/jobs/${jobId}`)).json();
    }
    await runner.stop();
    expect(job.state).toBe("SUCCEEDED");
    expect(job.progress).toMatchObject({ done: 25_000, total: 25_000 });
    expect((await admin.get(`/api/v1/entitlements/${e.id}/keys/counts`)).json().total).toBe(25_000);
  });

  it("shows keys to producer staff and the current-owner partner only", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk: e, distributor } = await bulkEntitlement(env, admin);
    await admin.post(`/api/v1/entitlements/${e.id}/keys/generate`, { count: 3 });
    const owner = await env.as("PARTNER_PORTAL_USER", distributor);
    expect((await owner.get(`/api/v1/entitlements/${e.id}/keys`)).json().items).toHaveLength(3);
    expect((await owner.post(`/api/v1/entitlements/${e.id}/keys/generate`, { count: 1 })).statusCode).toBe(403);
    const stranger = await env.as("PARTNER_PORTAL_ADMIN");
    expect((await stranger.get(`/api/v1/entitlements/${e.id}/keys`)).statusCode).toBe(404);
    const viewer = await env.as("PRODUCER_VIEWER");
    expect((await viewer.get(`/api/v1/entitlements/${e.id}/keys/counts`)).statusCode).toBe(200);
    expect((await viewer.post(`/api/v1/entitlements/${e.id}/keys`, { key: "V-1" })).statusCode).toBe(403);
  });

  it("answers a running job's progress while its load holds the database", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk: e } = await bulkEntitlement(env, admin);
    const runner = new JobRunner({ db: env.db, dialect: env.dialect, config: env.app.deps.config, bulk: env.app.deps.bulk });
    (env.app.deps as { jobs?: JobRunner }).jobs = runner;
    await runner.start();
    const r = await admin.post(`/api/v1/entitlements/${e.id}/keys/generate`, { count: 150_000 });
    expect(r.statusCode).toBe(202);
    const seen: { state: string; done: number }[] = [];
    for (let i = 0; i < 2000; i++) {
      const j = (await admin.get(`/api/v1/jobs/${r.json().jobId}`)).json();
      seen.push({ state: j.state, done: j.progress.done });
      if (j.state !== "QUEUED" && j.state !== "RUNNING") break;
      await new Promise((res) => setTimeout(res, 20));
    }
    await runner.stop();
    expect(seen.at(-1)?.state).toBe("SUCCEEDED");
    // Progress was visible mid-load, not only before and after.
    expect(seen.some((s) => s.state === "RUNNING" && s.done > 0 && s.done < 150_000)).toBe(true);
  }, 120_000);

  it("goes on answering lists and redemptions during a large load, whose keys appear all at once at its end", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk: e } = await bulkEntitlement(env, admin);
    const other = await bulkEntitlement(env, admin);
    await admin.post(`/api/v1/entitlements/${other.bulk.id}/keys/batch`, { keys: ["DURING-1", "DURING-2", "DURING-3"] });
    const customer = await env.makeAccount();
    const user = await env.as("CUSTOMER_PORTAL_USER", customer);
    const runner = new JobRunner({ db: env.db, dialect: env.dialect, config: env.app.deps.config, bulk: env.app.deps.bulk });
    (env.app.deps as { jobs?: JobRunner }).jobs = runner;
    await runner.start();
    const total = 200_000;
    const jobId = (await admin.post(`/api/v1/entitlements/${e.id}/keys/generate`, { count: total })).json().jobId;
    const job = async () => (await admin.get(`/api/v1/jobs/${jobId}`)).json();
    try {
      // Well into the load.
      let j = await job();
      for (let i = 0; i < 3000 && !(j.state === "RUNNING" && j.progress.done > 0); i++) {
        await new Promise((res) => setTimeout(res, 10));
        j = await job();
      }
      expect(j.state).toBe("RUNNING");
      // Other requests are answered while the load still runs (before, they waited for its end):
      // a redemption, a list, the counts — and the loading bulk shows none of its keys yet.
      const redeemed = await user.post("/api/v1/redemptions", { key: "during-1" });
      expect(redeemed.statusCode).toBe(201);
      const listed = (await admin.get(`/api/v1/entitlements/${e.id}/keys?limit=5`)).json();
      const counted = (await admin.get(`/api/v1/entitlements/${e.id}/keys/counts`)).json();
      const after = await job();
      expect(after.state).toBe("RUNNING");
      expect(after.progress.done).toBeLessThan(total);
      expect(listed.items).toEqual([]);
      expect(counted.total).toBe(0);
      for (let i = 0; i < 3000 && (j.state === "QUEUED" || j.state === "RUNNING"); i++) {
        await new Promise((res) => setTimeout(res, 20));
        j = await job();
      }
      expect(j.state).toBe("SUCCEEDED");
      expect((await admin.get(`/api/v1/entitlements/${e.id}/keys/counts`)).json().total).toBe(total);
      expect((await admin.get(`/api/v1/entitlements/${e.id}/keys?limit=5`)).json().items).toHaveLength(5);
    } finally {
      await runner.stop();
    }
  }, 180_000);
});
