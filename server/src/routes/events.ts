import type { FastifyInstance } from "fastify";
import { EventIdParams, EventListQuery, EventPage, EventSchema } from "../../../common/src/api/events.js";
import { errorResponses } from "../../../common/src/api/shared.js";
import { LIMITS } from "../../../common/src/limits.js";
import { eventsNewestFirst, findEvent } from "../db/repos/eventReads.js";
import { EVENT_STREAM_START, eventsAfter, positionOf } from "../db/repos/events.js";
import { eventTypesOf, newestCursor, parseNewestCursor, parseStreamCursor, streamCursor } from "../domain/eventQuery.js";
import { errors } from "../errors.js";
import { requireActor } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import { presentDomainEvent } from "../presenters/events.js";
import { typed } from "./typed.js";

export async function eventRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  app.get(
    "/api/v1/events",
    {
      schema: {
        tags: ["events"],
        summary: "The domain event stream (keyset paged; poll with nextCursor)",
        description:
          "Oldest first in commit order (`order=stream`, default): a poller keeps `nextCursor` (returned on every page, also an empty one) and asks again; no event is skipped or returned twice. `order=newest` lists newest first for browsing.",
        querystring: EventListQuery,
        response: { 200: EventPage, ...errorResponses },
      },
    },
    async (req) => {
      authorize(requireActor(req), "events.read");
      const q = req.query;
      const limit = q.limit ?? LIMITS.pageSizeDefault;
      const filter = { types: eventTypesOf(q.type), entitlementId: q.entitlementId };
      if (q.order === "newest") {
        const before = q.cursor ? parseNewestCursor(q.cursor) : null;
        const rows = await eventsNewestFirst(app.deps.db, before, limit, filter);
        const last = rows.at(-1);
        return {
          items: rows.map(presentDomainEvent),
          nextCursor: last && rows.length === limit ? newestCursor(last.seq) : null,
        };
      }
      const from = q.cursor ? parseStreamCursor(q.cursor) : EVENT_STREAM_START;
      const rows = await eventsAfter(app.deps.db, from, limit, filter);
      const last = rows.at(-1);
      const pos = last ? positionOf(last) : from;
      return { items: rows.map(presentDomainEvent), nextCursor: streamCursor(pos) };
    },
  );
  app.get(
    "/api/v1/events/:id",
    {
      schema: {
        tags: ["events"],
        summary: "Read one domain event",
        params: EventIdParams,
        response: { 200: EventSchema, ...errorResponses },
      },
    },
    async (req) => {
      authorize(requireActor(req), "events.read");
      const row = await findEvent(app.deps.db, req.params.id);
      if (!row) throw errors.notFound("Event", req.params.id);
      return presentDomainEvent(row);
    },
  );
}
