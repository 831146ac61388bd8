import { describe, expect, it } from "vitest";
import { systemContext } from "../src/actor.js";
import { loadConfig } from "../src/config.js";
import type { Db } from "../src/db/schema.js";
import { DIALECTS } from "./helpers.js";
import { BULK, counts, eachWithSharedDatabase, jobRow, loadedOnce, uploadStored, writeUpload } from "./processes.js";

/**
 * A running job is leased to its process, which renews the lease; every live process, not only one
 * starting up, takes over a job whose lease expired. The process that dies is a real child killed
 * with SIGKILL (fixtures/importChild.ts) mid-load, on a database the test shares with it.
 */

const KEYS = 300_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the job until `pred` holds; returns the row and when it was seen. */
async function until(db: Db, jobId: string, pred: (j: Awaited<ReturnType<typeof jobRow>>) => boolean, ms: number) {
  const end = Date.now() + ms;
  for (;;) {
    const j = await jobRow(db, jobId);
    if (pred(j)) return { job: j, at: Date.now() };
    if (Date.now() > end) throw new Error(`timed out; job is ${JSON.stringify(j)}`);
    await sleep(50);
  }
}

const ended = (j: { state: string }) => j.state !== "QUEUED" && j.state !== "RUNNING";

describe("job lease configuration", () => {
  it("defaults to a 30 s lease renewed every 10 s, takes fractions for tests, and refuses a renewal too close to the lease", () => {
    expect(loadConfig({})).toMatchObject({ jobLeaseMs: 30_000, jobLeaseRenewMs: 10_000 });
    expect(loadConfig({ LICENSOR_JOB_LEASE_SECONDS: "1.5" })).toMatchObject({ jobLeaseMs: 1500, jobLeaseRenewMs: 500 });
    expect(loadConfig({ LICENSOR_JOB_LEASE_SECONDS: "6", LICENSOR_JOB_LEASE_RENEW_SECONDS: "0.25" })).toMatchObject({
      jobLeaseMs: 6000,
      jobLeaseRenewMs: 250,
    });
    expect(() => loadConfig({ LICENSOR_JOB_LEASE_SECONDS: "10", LICENSOR_JOB_LEASE_RENEW_SECONDS: "6" })).toThrow(
      /LICENSOR_JOB_LEASE_RENEW_SECONDS \(6\) must be at most half of LICENSOR_JOB_LEASE_SECONDS \(10\)/,
    );
    for (const bad of ["0", "-1", "soon", "1e3", "3601"])
      expect(() => loadConfig({ LICENSOR_JOB_LEASE_SECONDS: bad })).toThrow(
        /LICENSOR_JOB_LEASE_SECONDS must be a number of seconds from 0.1 to 3600/,
      );
  });
});

for (const dialect of DIALECTS) {
  describe(`job leases across processes [${dialect}]`, () => {
    const { env, importer: startImporter, runner } = eachWithSharedDatabase(dialect);
    const runnerFor = (leaseMs: number, renewMs: number) => runner({ jobLeaseMs: leaseMs, jobLeaseRenewMs: renewMs });

    it("a server started right after a kill -9 leaves the job to its lease, then takes it over by itself and loads it once", async () => {
      const { upload, keys } = await writeUpload(env.db, KEYS);
      const a = startImporter({
        upload,
        mode: "all",
        linger: true,
        leaseSeconds: 6,
        renewSeconds: 1,
      });
      const aWorker = (await a.waitFor((l) => l.startsWith("worker "))).slice(7);
      const jobId = (await a.waitFor((l) => l.startsWith("job "))).slice(4);
      await a.waitFor((l) => l.startsWith("progress ") && Number(l.slice(9)) >= KEYS / 3);
      process.kill(a.child.pid as number, "SIGKILL");
      expect((await a.exited).signal).toBe("SIGKILL");
      await env.reopen();

      // The dead process still holds the job, until its lease ends.
      const orphan = await jobRow(env.db, jobId);
      expect(orphan).toMatchObject({ state: "RUNNING", attempts: 1, worker: aWorker });
      const leaseEnd = Date.parse(orphan.lease_expires_at as string);
      // The restarted server: recovery at start, then the periodic check, every 250 ms here.
      const restartedAt = Date.now();
      const runner = runnerFor(6000, 250);
      await runner.start();
      const { job } = await until(env.db, jobId, ended, leaseEnd - Date.now() + 150_000);
      // Claimed again not before the lease ended (a live holder keeps its job), and soon after,
      // with no restart. (The claim's own timestamp: on SQLite the new load holds the connection.)
      const takenAt = Date.parse(job.started_at as string);
      expect(takenAt).toBeGreaterThanOrEqual(leaseEnd);
      expect(takenAt - Math.max(leaseEnd, restartedAt)).toBeLessThan(5_000);
      expect(job).toMatchObject({ state: "SUCCEEDED", attempts: 2, done: KEYS, worker: runner.worker, lease_expires_at: null });
      expect(await counts(env.db, jobId)).toEqual(loadedOnce(KEYS));
      const sample = keys.filter((_, i) => i % 9973 === 0);
      const found = await env.db.selectFrom("web_register_keys").select("key").where("key", "in", sample).execute();
      expect(found.map((r) => r.key).sort()).toEqual([...sample].sort());
      expect(await uploadStored(env.db, upload)).toBe(false);
    }, 240_000);

    it("a server stopping hands its running job back to the queue, and another one runs it", async () => {
      const first = runnerFor(6000, 250);
      await first.start();
      const jobId = await first.enqueue(
        env.db,
        systemContext("test"),
        "keys.generate",
        BULK,
        { bulkPk: BULK, count: KEYS },
        KEYS,
      );
      for (let i = 0; i < 2000 && (first.liveProgress(jobId)?.done ?? 0) < 20_000; i++) await sleep(10);
      expect(first.liveProgress(jobId)?.done).toBeGreaterThanOrEqual(20_000);
      await first.stop();
      const handed = await jobRow(env.db, jobId);
      expect(handed).toMatchObject({ state: "QUEUED", worker: null, attempts: 0, lease_expires_at: null });
      expect(handed.error).toMatch(/server stopped.*nothing was applied/);
      expect(await counts(env.db, jobId)).toMatchObject({ ofJob: 0, keyCount: 0 });

      const second = runnerFor(6000, 250);
      await second.start();
      const { job } = await until(env.db, jobId, ended, 120_000);
      expect(job).toMatchObject({ state: "SUCCEEDED", attempts: 1, worker: second.worker });
      expect(await counts(env.db, jobId)).toMatchObject({ ofJob: KEYS, keyCount: KEYS, events: 1 });
    }, 240_000);

    if (dialect !== "postgres") return;

    it("a job whose process is killed mid-load is finished by another process that was running all along", async () => {
      const { upload } = await writeUpload(env.db, KEYS);
      const lease = { leaseSeconds: 3, renewSeconds: 0.5 };
      const a = startImporter({ upload, mode: "all", linger: true, ...lease });
      const aWorker = (await a.waitFor((l) => l.startsWith("worker "))).slice(7);
      const jobId = (await a.waitFor((l) => l.startsWith("job "))).slice(4);
      await a.waitFor((l) => l === "claimed");
      // The second server process, up while the first one holds the job.
      const b = startImporter({ watch: jobId, mode: "all", linger: true, ...lease });
      const bWorker = (await b.waitFor((l) => l.startsWith("worker "))).slice(7);
      await b.waitFor((l) => l.startsWith("job "));

      // The holder renews its lease while it loads; the other process leaves a live holder alone.
      const l1 = (await jobRow(env.db, jobId)).lease_expires_at as string;
      await a.waitFor((l) => l.startsWith("progress ") && Number(l.slice(9)) >= KEYS / 4);
      await sleep(1200);
      const held = await jobRow(env.db, jobId);
      expect(held).toMatchObject({ state: "RUNNING", worker: aWorker, attempts: 1 });
      expect(Date.parse(held.lease_expires_at as string)).toBeGreaterThan(Date.parse(l1));
      expect(b.lines).not.toContain("claimed");

      process.kill(a.child.pid as number, "SIGKILL");
      expect((await a.exited).signal).toBe("SIGKILL");
      const killedAt = Date.now();
      await b.waitFor((l) => l === "claimed", 30_000);
      // Taken over within the lease and a renewal interval, with slack for a loaded machine.
      expect(Date.now() - killedAt).toBeLessThan(3_000 + 500 + 5_000);
      await b.waitFor((l) => l === "committed" || l.startsWith("finished "), 120_000);
      expect(b.lines).toContain("committed");
      const job = await jobRow(env.db, jobId);
      expect(job).toMatchObject({ state: "SUCCEEDED", attempts: 2, done: KEYS, worker: bWorker });
      expect(await counts(env.db, jobId)).toEqual(loadedOnce(KEYS));
      expect(await uploadStored(env.db, upload)).toBe(false);
    }, 240_000);

    it("a server stopping does not hand back a job someone asked to cancel through another process", async () => {
      // A renewal far off, so only the stop sees the request.
      const first = runnerFor(20_000, 5_000);
      await first.start();
      const jobId = await first.enqueue(
        env.db,
        systemContext("test"),
        "keys.generate",
        BULK,
        { bulkPk: BULK, count: KEYS },
        KEYS,
      );
      for (let i = 0; i < 2000 && (first.liveProgress(jobId)?.done ?? 0) < 20_000; i++) await sleep(10);
      await env.db.updateTable("jobs").set({ cancel_requested: 1 }).where("id", "=", jobId).execute();
      await first.stop();
      expect(await jobRow(env.db, jobId)).toMatchObject({ state: "CANCELLED", lease_expires_at: null });
      expect(await counts(env.db, jobId)).toMatchObject({ ofJob: 0, keyCount: 0 });
    }, 240_000);

    it("a process that lost its lease rolls its attempt back and writes nothing over the new holder", async () => {
      const first = runnerFor(6000, 200);
      await first.start();
      const jobId = await first.enqueue(
        env.db,
        systemContext("test"),
        "keys.generate",
        BULK,
        { bulkPk: BULK, count: KEYS },
        KEYS,
      );
      for (let i = 0; i < 2000 && (first.liveProgress(jobId)?.done ?? 0) < 20_000; i++) await sleep(10);
      expect(first.liveProgress(jobId)?.done).toBeGreaterThanOrEqual(20_000);
      // As if this process had been frozen past its lease and another one had taken the job.
      await env.db
        .updateTable("jobs")
        .set({ worker: "elsewhere", lease_expires_at: new Date(Date.now() + 60_000).toISOString() })
        .where("id", "=", jobId)
        .execute();
      for (let i = 0; i < 3000 && first.liveJob(jobId); i++) await sleep(10);
      expect(first.liveJob(jobId)).toBeUndefined();
      // Its load rolled back whole, and the row is still the new holder's.
      expect(await counts(env.db, jobId)).toMatchObject({ ofJob: 0, keyCount: 0, events: 0, audits: 0 });
      expect(await jobRow(env.db, jobId)).toMatchObject({ state: "RUNNING", worker: "elsewhere", finished_at: null });
    }, 240_000);
  });
}
