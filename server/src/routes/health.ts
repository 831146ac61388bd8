import type { FastifyInstance } from "fastify";
import { HealthSchema, UnavailableSchema } from "../../../common/src/api/health.js";
import { pingDatabase } from "../db/connect.js";

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
}
