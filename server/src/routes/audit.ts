import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { listAuditEvents } from "../db/repos/audit.js";
import { parseDateFilter, parseTextFilter } from "../domain/filters.js";
import { requireActor } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import { presentAuditEvent } from "../presenters/audit.js";
import { DateFilterParam, errorResponses, Page, PageQuery, TextFilterParam } from "./schemas.js";
import { typed } from "./typed.js";

const AuditEventSchema = Type.Object(
  {
    id: Type.String(),
    at: Type.String(),
    actor: Type.Object({
      type: Type.String(),
      id: Type.Union([Type.String(), Type.Null()]),
      label: Type.Union([Type.String(), Type.Null()]),
    }),
    tokenId: Type.Union([Type.String(), Type.Null()]),
    action: Type.String(),
    objectType: Type.String(),
    objectId: Type.String(),
    changes: Type.Record(Type.String(), Type.Object({ before: Type.Unknown(), after: Type.Unknown() })),
    requestId: Type.Union([Type.String(), Type.Null()]),
    ip: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: "AuditEvent" },
);

export async function auditRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  app.get(
    "/api/v1/audit-events",
    {
      schema: {
        tags: ["audit"],
        summary: "Search the audit log (newest first)",
        querystring: Type.Object(
          {
            ...PageQuery,
            q: Type.Optional(Type.String({ description: "Simple search in object ID, action and actor." })),
            objectType: Type.Optional(Type.String()),
            objectId: TextFilterParam("Object ID"),
            action: TextFilterParam("Action, e.g. account.created"),
            actorId: Type.Optional(Type.String()),
            actor: TextFilterParam("Actor label (email)"),
            requestId: Type.Optional(Type.String()),
            at: DateFilterParam("When"),
          },
          { additionalProperties: false },
        ),
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
        },
        q,
      );
      return { items: page.items.map(presentAuditEvent), nextCursor: page.nextCursor };
    },
  );
}
