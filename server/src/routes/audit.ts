import type { FastifyInstance } from "fastify";
import { AuditEventListQuery, AuditEventSchema } from "../../../common/src/api/audit.js";
import { errorResponses, Page } from "../../../common/src/api/shared.js";
import { listAuditEvents } from "../db/repos/audit.js";
import { parseDateFilter, parseTextFilter } from "../domain/filters.js";
import { requireActor } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import { presentAuditEvent } from "../presenters/audit.js";
import { typed } from "./typed.js";

export async function auditRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  app.get(
    "/api/v1/audit-events",
    {
      schema: {
        tags: ["audit"],
        summary: "Search the audit log (newest first)",
        querystring: AuditEventListQuery,
        response: { 200: Page(AuditEventSchema), ...errorResponses },
      },
    },
    async (req) => {
      authorize(requireActor(req), "audit.read");
      const q = req.query;
      const page = await listAuditEvents(
        app.deps.db,
        {
          q: q.q,
          objectType: q.objectType,
          objectId: q.objectId !== undefined ? parseTextFilter("objectId", q.objectId) : undefined,
          action: q.action !== undefined ? parseTextFilter("action", q.action) : undefined,
          actorId: q.actorId,
          actor: q.actor !== undefined ? parseTextFilter("actor", q.actor, "CONTAINS") : undefined,
          requestId: q.requestId,
          at: q.at !== undefined ? parseDateFilter("at", q.at) : undefined,
          interface: q.interface,
        },
        q,
      );
      return { items: page.items.map(presentAuditEvent), nextCursor: page.nextCursor };
    },
  );
}
