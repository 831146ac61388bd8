import fs from "node:fs";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { jobCanceller } from "../commands/jobCanceller.js";
import { listJobs } from "../db/repos/jobs.js";
import { JOB_STATES } from "../domain/jobs.js";
import { storedFileStream } from "../jobs/fileStore.js";
import { authorizeJobRead, exportFileOf, readableJob } from "../jobs/jobAccess.js";
import { confirmCredential, ctxOf } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import { presentJob } from "../presenters/jobs.js";
import { errorResponses, fileResponse, IdParams, Page, PageQuery, StringEnum } from "./schemas.js";
import { typed } from "./typed.js";

const JobSchema = Type.Object(
  {
    id: Type.String(),
    type: Type.String(),
    state: StringEnum(JOB_STATES),
    bulkId: Type.Union([Type.String(), Type.Null()]),
    bulkEntitlementId: Type.Union([Type.String(), Type.Null()], {
      description: "The bulk entitlement's entitlement ID, as people see it.",
    }),
    progress: Type.Object({
      done: Type.Integer(),
      total: Type.Union([Type.Integer(), Type.Null()]),
      percent: Type.Union([Type.Number(), Type.Null()]),
      ratePerSecond: Type.Union([Type.Number(), Type.Null()]),
      etaSeconds: Type.Union([Type.Number(), Type.Null()]),
    }),
    result: Type.Unknown(),
    error: Type.Union([Type.String(), Type.Null()]),
    cancelRequested: Type.Boolean(),
    attempts: Type.Integer(),
    createdBy: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    startedAt: Type.Union([Type.String(), Type.Null()]),
    finishedAt: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: "Job" },
);

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
        querystring: Type.Object(
          {
            ...PageQuery,
            bulkId: Type.Optional(Type.String()),
            state: Type.Optional(
              Type.String({
                pattern: `^(${JOB_STATES.join("|")})(,(${JOB_STATES.join("|")}))*$`,
                description: "A state or a comma-separated list.",
              }),
            ),
            type: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
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
