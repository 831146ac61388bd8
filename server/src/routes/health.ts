import type { FastifyInstance } from "fastify";
import { HealthSchema, LiveSchema, ReadySchema, UnavailableSchema } from "../../../common/src/api/health.js";
import { pingDatabase } from "../db/connect.js";
import { schemaState } from "../db/repos/ops.js";

/** How long a readiness answer is reused: probes every second or so from several checkers cost one query. */
const READY_CACHE_MS = 1000;

export async function healthRoutes(app: FastifyInstance) {
  app.get(
    "/api/health",
    {
      schema: {
        tags: ["system"],
        summary: "Liveness and database reachability",
        security: [],
        response: {
          200: HealthSchema,
          503: UnavailableSchema,
        },
      },
    },
    async (_req, reply) => {
      const reachable = await pingDatabase(app.deps.db);
      const database = { dialect: app.deps.dialect, reachable };
      if (!reachable) return reply.status(503).send({ status: "unavailable" as const, database });
      return { status: "ok" as const, database };
    },
  );

  const live = { status: "ok" as const };
  app.get(
    "/health/live",
    {
      schema: {
        tags: ["system"],
        summary: "Liveness probe: 200 while the process answers (it touches nothing else)",
        security: [],
        response: { 200: LiveSchema },
      },
    },
    async () => live,
  );

  let cached: { at: number; status: "ready" | "unreachable" | "migrating" } | null = null;
  let pending: Promise<"ready" | "unreachable" | "migrating"> | null = null;
  const check = async () => {
    try {
      return await schemaState(app.deps.db);
    } catch {
      return "unreachable" as const;
    }
  };
  app.get(
    "/health/ready",
    {
      schema: {
        tags: ["system"],
        summary: "Readiness probe: 503 when the database is unreachable or its schema is not at this build's migrations",
        description: "One cheap query, its answer reused for a second.",
        security: [],
        response: { 200: ReadySchema, 503: ReadySchema },
      },
    },
    async (_req, reply) => {
      const now = Date.now();
      if (!cached || now - cached.at > READY_CACHE_MS) {
        // Concurrent probes share one query.
        pending ??= check().finally(() => {
          pending = null;
        });
        cached = { at: now, status: await pending };
      }
      return reply.status(cached.status === "ready" ? 200 : 503).send({ status: cached.status });
    },
  );
}
