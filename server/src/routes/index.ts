import type { FastifyInstance } from "fastify";
import { accountRoutes } from "./accounts.js";
import { healthRoutes } from "./health.js";
import { sessionRoutes } from "./session.js";

/** Every route module, registered in one place so the OpenAPI document sees them all. */
export async function registerRoutes(app: FastifyInstance) {
  await app.register(healthRoutes);
  await app.register(sessionRoutes);
  await app.register(accountRoutes);
}
