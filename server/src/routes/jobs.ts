import fs from "node:fs";
import type { FastifyInstance } from "fastify";
import { JobListQuery, JobSchema } from "../../../common/src/api/jobs.js";
import { errorResponses, fileResponse, IdParams, Page } from "../../../common/src/api/shared.js";
import { jobCanceller } from "../commands/jobCanceller.js";
import { listJobs } from "../db/repos/jobs.js";
import { storedFileStream } from "../jobs/fileStore.js";
import { authorizeJobRead, exportFileOf, readableJob } from "../jobs/jobAccess.js";
import { confirmCredential, ctxOf } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import { presentJob } from "../presenters/jobs.js";
import { typed } from "./typed.js";

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
      const page = await listJobs(
        db,
        { bulkId: req.query.bulkId, states: req.query.state?.split(","), type: req.query.type },
        req.query,
      );
      return { items: page.items.map((j) => presentJob(j, app.deps.jobs)), nextCursor: page.nextCursor };
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
        await authorizeJobRead(db, actor, running);
        return presentJob({ ...running, state: "RUNNING" }, app.deps.jobs);
      }
      // Read from the database (and it may hold a result with keys): the credential is checked again.
      await confirmCredential(app, req);
      // confirmCredential may have refreshed the actor (its roles as stored now): authorize that one.
      return presentJob(await readableJob(db, ctxOf(req).actor, req.params.id), app.deps.jobs);
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
      const file = await exportFileOf(app.deps, ctxOf(req), req.params.id);
      reply.header("content-type", "text/csv; charset=utf-8");
      reply.header("content-disposition", `attachment; filename="keys-${req.params.id}.csv"`);
      if ("legacyPath" in file) return reply.send(fs.createReadStream(file.legacyPath));
      reply.header("content-length", file.stored.bytes);
      return reply.send(storedFileStream(db, app.deps.bulk().raw, file.stored.id));
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
      const j = await jobCanceller(db, app.deps.jobs, ctxOf(req), req.params.id);
      return presentJob(j, app.deps.jobs);
    },
  );
}
