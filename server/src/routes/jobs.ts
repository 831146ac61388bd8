import fs from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { type JOB_STATES, type Job, JobListQuery, JobSchema } from "../../../common/src/api/jobs.js";
import { errorResponses, fileResponse, IdParams, Page } from "../../../common/src/api/shared.js";
import type { Actor } from "../actor.js";
import { recordAudit } from "../audit.js";
import { after, decodeCursor, pageLimit, toPage } from "../db/paging.js";
import type { Db, JobsTable } from "../db/schema.js";
import { errors } from "../errors.js";
import { findJobFile, storedFileStream } from "../jobs/fileStore.js";
import { type ExportParams, exportsDir } from "../jobs/handlers.js";
import type { JobRunner } from "../jobs/runner.js";
import { confirmCredential, ctxOf } from "../plugins/auth.js";
import { authorize, can } from "../policies/index.js";
import { nowIso } from "../util.js";
import { loadBulkForKeys } from "./keys.js";
import { typed } from "./typed.js";

/** A job as JSON, with live progress (done/total, rate, ETA) when it runs in this process. */
export function presentJob(j: JobsTable & { bulk_entitlement_id?: string | null }, runner: JobRunner | undefined): Job {
  const live = j.state === "RUNNING" ? runner?.liveProgress(j.id) : undefined;
  const done = live?.done ?? j.done;
  const total = live?.total ?? j.total;
  const elapsed = live
    ? (Date.now() - live.startedAt) / 1000
    : j.started_at && j.finished_at
      ? (Date.parse(j.finished_at) - Date.parse(j.started_at)) / 1000
      : null;
  const rate = elapsed && elapsed > 0 && done > 0 ? done / elapsed : null;
  return {
    id: j.id,
    type: j.type,
    state: j.state as (typeof JOB_STATES)[number],
    bulkId: j.bulk_id,
    bulkEntitlementId: j.bulk_entitlement_id ?? null,
    progress: {
      done,
      total,
      percent:
        j.state === "SUCCEEDED" || j.state === "PARTIAL_FAILURE" ? 100 : total ? Math.min(100, (100 * done) / total) : null,
      ratePerSecond: rate ? Math.round(rate) : null,
      etaSeconds: live && rate && total ? Math.max(0, Math.round((total - done) / rate)) : null,
    },
    result: j.result ? JSON.parse(j.result) : null,
    error: j.error,
    cancelRequested: j.cancel_requested === 1,
    attempts: j.attempts,
    createdBy: j.created_by_label,
    createdAt: j.created_at,
    startedAt: j.started_at,
    finishedAt: j.finished_at,
  };
}

const withEntitlementId = (db: Db) =>
  db
    .selectFrom("jobs")
    .leftJoin("entitlements", "entitlements.id", "jobs.bulk_id")
    .selectAll("jobs")
    .select("entitlements.entitlement_id as bulk_entitlement_id");

/**
 * `jobs.read` for one job. Producer staff pass without a query; anyone else only for a key export
 * of a bulk entitlement whose keys they may read, so its current owner is looked up then.
 */
async function authorizeJob(db: Db, actor: Actor, j: Pick<JobsTable, "type" | "bulk_id">) {
  if (can(actor, "jobs.read", { type: j.type, bulkOwnerAccountId: null })) return;
  const owner =
    j.type === "keys.export" && j.bulk_id
      ? await db
          .selectFrom("entitlement_partners")
          .select("account_id")
          .where("entitlement_id", "=", j.bulk_id)
          .where("current_owner", "=", 1)
          .executeTakeFirst()
      : undefined;
  authorize(actor, "jobs.read", { type: j.type, bulkOwnerAccountId: owner?.account_id ?? null });
}

/** A missing job: 404 to those who see every job; 403 to others, as for a job not theirs, so ids do not leak. */
const jobNotFound = (actor: Actor, id: string) => (can(actor, "jobs.list") ? errors.notFound("Job", id) : errors.forbidden());

export async function jobRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  const { db } = app.deps;
  const tags = ["jobs"];

  app.get(
    "/api/v1/jobs",
    {
      schema: {
        tags,
        summary: "List background jobs, newest first",
        querystring: JobListQuery,
        response: { 200: Page(JobSchema), ...errorResponses },
      },
    },
    async (req) => {
      authorize(ctxOf(req).actor, "jobs.list");
      const limit = pageLimit(req.query);
      const cur = decodeCursor(req.query.cursor, 1);
      let q = withEntitlementId(db);
      if (req.query.bulkId) q = q.where("jobs.bulk_id", "=", req.query.bulkId);
      if (req.query.state) q = q.where("jobs.state", "in", req.query.state.split(","));
      if (req.query.type) q = q.where("jobs.type", "=", req.query.type);
      if (cur) q = q.where((eb) => after(eb, ["jobs.id"], cur, "desc"));
      const rows = await q
        .orderBy("jobs.id", "desc")
        .limit(limit + 1)
        .execute();
      return toPage(
        rows,
        limit,
        (r) => [r.id],
        (r) => presentJob(r, app.deps.jobs),
      );
    },
  );

  app.get(
    "/api/v1/jobs/:id",
    {
      schema: {
        tags,
        summary: "A job with its progress, result report and errors",
        params: IdParams,
        response: { 200: JobSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { actor } = ctxOf(req);
      // A job running here answers from memory: on SQLite its load holds the database.
      const running = app.deps.jobs?.liveJob(req.params.id);
      if (running) {
        await authorizeJob(db, actor, running);
        return presentJob({ ...running, state: "RUNNING" }, app.deps.jobs);
      }
      // Read from the database (and it may hold a result with keys): the credential is checked again.
      await confirmCredential(app, req);
      const j = await withEntitlementId(db).where("jobs.id", "=", req.params.id).executeTakeFirst();
      if (!j) throw jobNotFound(ctxOf(req).actor, req.params.id);
      await authorizeJob(db, ctxOf(req).actor, j);
      return presentJob(j, app.deps.jobs);
    },
  );

  app.get(
    "/api/v1/jobs/:id/download",
    {
      schema: {
        tags,
        summary: "Download the file a finished export job wrote",
        params: IdParams,
        response: { 200: fileResponse("text/csv", "The exported keys, one row per key."), ...errorResponses },
      },
    },
    async (req, reply) => {
      const ctx = ctxOf(req);
      const j = await db.selectFrom("jobs").selectAll().where("id", "=", req.params.id).executeTakeFirst();
      if (!j) throw jobNotFound(ctx.actor, req.params.id);
      await authorizeJob(db, ctx.actor, j);
      if (j.type !== "keys.export" || j.state !== "SUCCEEDED")
        throw errors.invalidState("Only a finished export job has a file to download.");
      // Keys are secrets: the caller must also be allowed to see this bulk entitlement's keys.
      await loadBulkForKeys(db, ctx, j.bulk_id as string, "keys.read");
      // Stored in the database by whichever process ran the export, streamed chunk by chunk.
      const stored = await findJobFile(db, j.id, "export");
      const legacy = path.join(exportsDir(app.deps), path.basename((JSON.parse(j.params) as ExportParams).output));
      if (!stored && !fs.existsSync(legacy)) throw errors.notFound("Export file", req.params.id);
      reply.header("content-type", "text/csv; charset=utf-8");
      reply.header("content-disposition", `attachment; filename="keys-${j.id}.csv"`);
      if (!stored) return reply.send(fs.createReadStream(legacy));
      reply.header("content-length", stored.bytes);
      return reply.send(storedFileStream(db, app.deps.bulk().raw, stored.id));
    },
  );

  app.post(
    "/api/v1/jobs/:id/actions/cancel",
    {
      schema: {
        tags,
        summary: "Cancel a queued or running job (a running load rolls back whole)",
        params: IdParams,
        response: { 200: JobSchema, ...errorResponses },
      },
    },
    async (req) => {
      const ctx = ctxOf(req);
      authorize(ctx.actor, "jobs.cancel");
      // Stop a load running here first: it rolls back and frees the write lock the update below needs.
      app.deps.jobs?.requestCancel(req.params.id);
      await db.transaction().execute(async (trx) => {
        const j = await trx.selectFrom("jobs").selectAll().where("id", "=", req.params.id).executeTakeFirst();
        if (!j) throw errors.notFound("Job", req.params.id);
        if (j.state !== "QUEUED" && j.state !== "RUNNING")
          throw errors.invalidState(`The job is ${j.state}; only queued or running jobs can be cancelled.`);
        // A queued job is cancelled at once (conditionally, in case a worker claims it now); a running one is asked to stop.
        const q = await trx
          .updateTable("jobs")
          .set({ state: "CANCELLED", finished_at: nowIso(), error: "Cancelled before it started." })
          .where("id", "=", j.id)
          .where("state", "=", "QUEUED")
          .executeTakeFirst();
        if (Number(q.numUpdatedRows) === 0)
          await trx
            .updateTable("jobs")
            .set({ cancel_requested: 1 })
            .where("id", "=", j.id)
            .where("state", "=", "RUNNING")
            .execute();
        await recordAudit(trx, ctx, { action: "job.cancel_requested", objectType: "job", objectId: j.id });
      });
      const j = await withEntitlementId(db).where("jobs.id", "=", req.params.id).executeTakeFirstOrThrow();
      return presentJob(j, app.deps.jobs);
    },
  );
}
