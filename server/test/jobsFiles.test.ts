import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.js";
import { publisherEnsurer } from "../src/commands/bootstrap.js";
import { type DbHandle, openDatabase } from "../src/db/connect.js";
import type { Db } from "../src/db/schema.js";
import { DEFAULT_KEY_FORMAT, generateKeys } from "../src/domain/keyFormat.js";
import { CHUNK_BYTES, createStoredFile, storeFile, sweepStoredFiles } from "../src/jobs/fileStore.js";
import { JobRunner } from "../src/jobs/runner.js";
import { insertBulk } from "./factories.js";
import { DIALECTS, makeEnv, PUBLISHER_ID, type TestEnv, testConfig } from "./helpers.js";
import { BULK, type Env, sharedDatabase } from "./processes.js";

/**
 * Several server processes behind a load balancer share nothing but the database: a key file
 * uploaded to one is imported by whichever runs the job, and an export written by one downloads
 * through any other. Here: two app instances in one test, each with its own connections (on
 * PostgreSQL), its own data folder and its own job runner, on one database.
 */

interface Instance {
  handle: DbHandle;
  app: FastifyInstance;
  runner: JobRunner;
  env: TestEnv;
  dataDir: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function multipart(fields: Record<string, string>, file: { name: string; content: string }, after: Record<string, string> = {}) {
  const boundary = `----licensor${Math.random().toString(16).slice(2)}`;
  const field = (k: string, v: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  let body = "";
  for (const [k, v] of Object.entries(fields)) body += field(k, v);
  body += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n${file.content}\r\n`;
  for (const [k, v] of Object.entries(after)) body += field(k, v);
  body += `--${boundary}--\r\n`;
  return { body, headers: { "content-type": `multipart/form-data; boundary=${boundary}` } };
}

const stored = async (db: Db) => ({
  files: Number(
    (
      await db
        .selectFrom("job_files")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  ),
  chunks: Number(
    (
      await db
        .selectFrom("job_file_chunks")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  ),
});

async function finished(db: Db, jobId: string, ms = 120_000) {
  const end = Date.now() + ms;
  for (;;) {
    const j = await db.selectFrom("jobs").selectAll().where("id", "=", jobId).executeTakeFirstOrThrow();
    if (j.state !== "QUEUED" && j.state !== "RUNNING") return j;
    if (Date.now() > end) throw new Error(`job ${jobId} still ${j.state}`);
    await sleep(50);
  }
}

for (const dialect of DIALECTS) {
  describe(`job files shared by two server processes [${dialect}]`, () => {
    let shared: Env;
    let a: Instance;
    let b: Instance;
    let token: string;

    /** An instance on the shared database; only a started runner takes jobs. */
    async function instance(runJobs: boolean): Promise<Instance> {
      // SQLite is for one process: two connections in one process would block each other's thread
      // on the write lock, so there both instances use the one connection (and still nothing else).
      const handle: DbHandle =
        dialect === "sqlite"
          ? { ...shared.handle, close: async () => {} }
          : openDatabase({ databaseUrl: shared.where.databaseUrl, dataDir: ".", poolSize: 4 });
      // Its own data folder: nothing but the database is shared.
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "licensor-proc-"));
      const config = testConfig({ dataDir, jobLeaseMs: 6000, jobLeaseRenewMs: 500 });
      const runner = new JobRunner({ db: handle.db, dialect, config, bulk: handle.bulk });
      const app = await buildApp({ db: handle.db, dialect, config, bulk: handle.bulk, jobs: runner }, { logger: false });
      await app.ready();
      if (runJobs) await runner.start();
      return { handle, app, runner, env: makeEnv(dialect, handle.db, app), dataDir };
    }

    beforeEach(async () => {
      shared = await sharedDatabase(dialect);
      await publisherEnsurer(shared.db, PUBLISHER_ID, "Test Producer");
      await insertBulk(shared.db, BULK);
      // A receives requests but runs no jobs; B runs them.
      a = await instance(false);
      b = await instance(true);
      token = (await a.env.makeUser({ role: "PRODUCER_ADMIN", accountId: PUBLISHER_ID })).token;
    });
    afterEach(async () => {
      for (const i of [a, b]) {
        if (!i) continue;
        await i.runner.stop();
        await i.app.close();
        await i.handle.close();
        fs.rmSync(i.dataDir, { recursive: true, force: true });
      }
      await shared?.close();
    });

    const upload = (i: Instance, content: string, fields: Record<string, string> = {}, after: Record<string, string> = {}) => {
      const m = multipart(fields, { name: "keys.txt", content }, after);
      return i.app.inject({
        method: "POST",
        url: `/api/v1/entitlements/${BULK}/keys/import`,
        payload: m.body,
        headers: { ...m.headers, authorization: `Bearer ${token}` },
      });
    };

    it("imports every file uploaded to one process on the other, reading it from the database, and then deletes it", async () => {
      // Ten uploads, one of them several chunks long.
      const files = Array.from({ length: 10 }, (_, i) => generateKeys(i === 0 ? 40_000 : 500, DEFAULT_KEY_FORMAT));
      const big = `${(files[0] as string[]).join("\n")}\n`;
      expect(Buffer.byteLength(big)).toBeGreaterThan(3 * CHUNK_BYTES);
      const jobIds: string[] = [];
      for (const keys of files) {
        const r = await upload(a, `${keys.join("\n")}\n`);
        expect(r.statusCode, r.body).toBe(202);
        jobIds.push(r.json().jobId);
      }
      expect(fs.readdirSync(a.dataDir)).toEqual([]);
      for (const [i, id] of jobIds.entries()) {
        const job = await finished(shared.db, id);
        expect(job).toMatchObject({ state: "SUCCEEDED", worker: b.runner.worker, error: null });
        expect(JSON.parse(job.result as string)).toMatchObject({ status: "SUCCESS", loaded: (files[i] as string[]).length });
      }
      const total = files.reduce((n, f) => n + f.length, 0);
      const counts = await b.env.caller(token).get(`/api/v1/entitlements/${BULK}/keys/counts`);
      expect(counts.json().total).toBe(total);
      const sample = (files[0] as string[]).filter((_, i) => i % 997 === 0);
      const found = await shared.db.selectFrom("web_register_keys").select("key").where("key", "in", sample).execute();
      expect(found.map((r) => r.key).sort()).toEqual([...sample].sort());
      // Each file was needed only until its job ended.
      expect(await stored(shared.db)).toEqual({ files: 0, chunks: 0 });
    }, 240_000);

    it("downloads an export written by one process through the other, byte for byte", async () => {
      const admin = a.env.caller(token);
      for (let i = 0; i < 2; i++)
        expect((await admin.post(`/api/v1/entitlements/${BULK}/keys/generate`, { count: 10_000 })).statusCode).toBe(200);
      const r = await admin.post(`/api/v1/entitlements/${BULK}/keys/exports`, {});
      expect(r.statusCode).toBe(202);
      const job = await finished(shared.db, r.json().jobId);
      expect(job).toMatchObject({ state: "SUCCEEDED", worker: b.runner.worker });
      const result = JSON.parse(job.result as string) as { rows: number; bytes: number };
      expect(result.rows).toBe(20_000);
      expect(result.bytes).toBeGreaterThan(2 * CHUNK_BYTES);
      expect(fs.readdirSync(b.dataDir)).toEqual([]);

      // Through A, which did not write it.
      const file = await admin.get(`/api/v1/jobs/${r.json().jobId}/download`);
      expect(file.statusCode).toBe(200);
      expect(file.headers["content-type"]).toBe("text/csv; charset=utf-8");
      expect(Number(file.headers["content-length"])).toBe(result.bytes);
      expect(file.rawPayload.length).toBe(result.bytes);
      const direct = await admin.get(`/api/v1/entitlements/${BULK}/keys/export.csv`);
      expect(file.rawPayload.equals(direct.rawPayload)).toBe(true);
      // ... and through B as well; the file stays for later downloads.
      expect((await b.env.caller(token).get(`/api/v1/jobs/${r.json().jobId}/download`)).rawPayload.equals(file.rawPayload)).toBe(
        true,
      );
      expect((await stored(shared.db)).files).toBe(1);
    }, 240_000);

    it("stores nothing of a refused upload", async () => {
      const bad = await upload(a, "K-1\nK-2\n", {}, { mode: "sometimes" });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ status: 400, field: "mode" });
      const none = await a.env.caller(token).post(`/api/v1/entitlements/${BULK}/keys/import`, {});
      expect(none.json()).toMatchObject({ status: 400, field: "file" });
      expect(await stored(shared.db)).toEqual({ files: 0, chunks: 0 });
      expect(await shared.db.selectFrom("jobs").select("id").execute()).toEqual([]);
    });

    it("sweeps stored files nobody needs any more, whichever process left them", async () => {
      // The jobs below are rows to sweep around, not work: B's runner would take the QUEUED one
      // (and sweep at the same time as this test), so it stops first.
      await b.runner.stop();
      const db = shared.db;
      const content = (n: number) => [Buffer.alloc(n, 65)];
      const file = (jobId: string | null, kind: "upload" | "export") =>
        storeFile(db, { kind, jobId, name: null }, content(CHUNK_BYTES + 10)).then((f) => f.id);
      const job = async (state: string) => {
        const id = `job-${state}-${Math.random().toString(16).slice(2)}`;
        await db
          .insertInto("jobs")
          .values({
            id,
            type: "keys.import",
            state,
            bulk_id: BULK,
            params: "{}",
            total: null,
            done: 0,
            result: null,
            error: null,
            cancel_requested: 0,
            worker: null,
            attempts: 0,
            created_by: null,
            created_by_label: null,
            created_at: new Date().toISOString(),
            started_at: null,
            heartbeat_at: null,
            finished_at: null,
            lease_expires_at: null,
          })
          .execute();
        return id;
      };
      const oldUnattached = await file(null, "upload");
      await db
        .updateTable("job_files")
        .set({ created_at: new Date(Date.now() - 2 * 3600_000).toISOString() })
        .where("id", "=", oldUnattached)
        .execute();
      const freshUnattached = await file(null, "upload"); // perhaps still being uploaded
      const queuedUpload = await file(await job("QUEUED"), "upload");
      const endedUpload = await file(await job("FAILED"), "upload");
      const doneExport = await file(await job("SUCCEEDED"), "export");
      // An export cut short by a crash, its job since failed: never completed.
      const partialExport = await createStoredFile(db, { kind: "export", jobId: await job("FAILED"), name: null });

      expect(await sweepStoredFiles(db)).toBe(3);
      const left = (await db.selectFrom("job_files").select("id").execute()).map((f) => f.id).sort();
      expect(left).toEqual([freshUnattached, queuedUpload, doneExport].sort());
      const chunkOwners = await db.selectFrom("job_file_chunks").select("file_id").distinct().execute();
      expect(chunkOwners.map((c) => c.file_id).sort()).toEqual(left);
      for (const gone of [oldUnattached, endedUpload, partialExport]) expect(left).not.toContain(gone);
    });
  });
}
