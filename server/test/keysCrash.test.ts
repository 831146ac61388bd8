import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { JobRunner } from "../src/jobs/runner.js";
import { DIALECTS } from "./helpers.js";
import { counts, eachWithSharedDatabase, jobRow, loadedOnce, uploadStored, writeUpload } from "./processes.js";

/**
 * A key import is one transaction holding the keys, the counters, the audit/history rows and the
 * job's SUCCEEDED state. Killing the importing process (kill -9, no chance to clean up) must leave
 * all of it or none of it, never part; the job left RUNNING is found by recovery, queued again and
 * then loads every key exactly once. The importing server is a real child process on the same
 * database (a SQLite file, or a PostgreSQL database), killed with SIGKILL mid-load or just after
 * its commit.
 */

const KEYS = 300_000;

for (const dialect of DIALECTS) {
  describe(`key import killed with SIGKILL [${dialect}]`, () => {
    const { env, deps, importer: startImporter } = eachWithSharedDatabase(dialect);

    it("mid-load leaves nothing; recovery queues the job again and it then loads every key once", async () => {
      const { upload, keys } = await writeUpload(env.db, KEYS);
      const importer = startImporter({ upload, mode: "all", linger: true });
      const jobId = (await importer.waitFor((l) => l.startsWith("job "))).slice(4);
      // Well into the load: a third of the file read and inserted inside the open transaction.
      await importer.waitFor((l) => l.startsWith("progress ") && Number(l.slice(9)) >= KEYS / 3);
      expect((await jobRow(env.db, jobId)).state).toBe("RUNNING");
      const pid = importer.child.pid as number;
      process.kill(pid, "SIGKILL");
      expect(await importer.exited).toEqual({ code: null, signal: "SIGKILL" });
      expect(importer.lines.some((l) => l === "committed" || l.startsWith("finished"))).toBe(false);
      // What a restarted server sees: new connections to the same database.
      await env.reopen();

      // None of it: no key, no counter, no history or audit row; the job still says RUNNING.
      expect(await counts(env.db, jobId)).toEqual({ ofJob: 0, inBulk: 0, distinct: 0, keyCount: 0, events: 0, audits: 0 });
      const orphan = await jobRow(env.db, jobId);
      expect(orphan).toMatchObject({ state: "RUNNING", attempts: 1, finished_at: null });

      // A RUNNING job belongs to the process holding its lease (30 s here); while the lease lasts,
      // recovery leaves it alone (jobsLease.test.ts waits for a short lease to expire) ...
      expect(await new JobRunner(deps()).recover()).toBe(0);
      expect((await jobRow(env.db, jobId)).state).toBe("RUNNING");
      // ... until it expires. Age the lease rather than wait.
      await env.db
        .updateTable("jobs")
        .set({ lease_expires_at: new Date(Date.now() - 1000).toISOString() })
        .where("id", "=", jobId)
        .execute();
      const runner = new JobRunner(deps());
      expect(await runner.recover()).toBe(1);
      const requeued = await jobRow(env.db, jobId);
      expect(requeued).toMatchObject({ state: "QUEUED", worker: null, done: 0, finished_at: null, lease_expires_at: null });
      expect(requeued.error).toMatch(/interrupted/i);
      expect(requeued.error).toContain("nothing was applied");
      // The upload is kept for the retry.
      expect(await uploadStored(env.db, upload)).toBe(true);

      await runner.start();
      try {
        let job = await jobRow(env.db, jobId);
        for (let i = 0; i < 1200 && (job.state === "QUEUED" || job.state === "RUNNING"); i++) {
          await new Promise((r) => setTimeout(r, 100));
          job = await jobRow(env.db, jobId);
        }
        expect(job).toMatchObject({ state: "SUCCEEDED", attempts: 2, done: KEYS });
        expect(JSON.parse(job.result as string)).toMatchObject({ status: "SUCCESS", read: KEYS, loaded: KEYS, rejected: 0 });
      } finally {
        await runner.stop();
      }
      // Every key of the file, exactly once, all from this job; counters, history and audit once;
      // and no row of the killed attempt is left behind, seen or not.
      expect(Number((await sql<{ n: number }>`SELECT count(*) AS n FROM web_register_keys`.execute(env.db)).rows[0]?.n)).toBe(
        KEYS,
      );
      expect(await env.db.selectFrom("key_loads").selectAll().execute()).toEqual([]);
      expect(await counts(env.db, jobId)).toEqual(loadedOnce(KEYS));
      const sample = keys.filter((_, i) => i % 9973 === 0);
      const found = await env.db.selectFrom("web_register_keys").select("key").where("key", "in", sample).execute();
      expect(found.map((r) => r.key).sort()).toEqual([...sample].sort());
      // The finished job removed its upload, chunks and all.
      expect(await uploadStored(env.db, upload)).toBe(false);
      expect(await env.db.selectFrom("job_file_chunks").select("seq").where("file_id", "=", upload).execute()).toEqual([]);
    }, 180_000);

    it("just after the commit leaves everything, and the job truthfully SUCCEEDED", async () => {
      const { upload } = await writeUpload(env.db, KEYS);
      const importer = startImporter({ upload, mode: "all", linger: true });
      const jobId = (await importer.waitFor((l) => l.startsWith("job "))).slice(4);
      await importer.waitFor((l) => l === "committed" || l.startsWith("finished "));
      process.kill(importer.child.pid as number, "SIGKILL");
      expect((await importer.exited).signal).toBe("SIGKILL");
      expect(importer.lines).toContain("committed");
      await env.reopen();

      const job = await jobRow(env.db, jobId);
      expect(job).toMatchObject({ state: "SUCCEEDED", attempts: 1, done: KEYS, error: null });
      expect(job.finished_at).not.toBeNull();
      expect(JSON.parse(job.result as string)).toMatchObject({ status: "SUCCESS", loaded: KEYS });
      expect(await counts(env.db, jobId)).toEqual(loadedOnce(KEYS));
      // A restart finds nothing to recover and changes nothing.
      expect(await new JobRunner(deps()).recover()).toBe(0);
      expect((await jobRow(env.db, jobId)).state).toBe("SUCCEEDED");
    }, 180_000);
  });
}
