import type { FastifyInstance } from "fastify";
import { EventIdParams, EventListQuery, EventPage, EventSchema } from "../../../common/src/api/events.js";
import { errorResponses } from "../../../common/src/api/shared.js";
import { EVENT_TYPES } from "../../../common/src/enums.js";
import { LIMITS } from "../../../common/src/limits.js";
import { eventsNewestFirst, findEvent } from "../db/repos/eventReads.js";
import { EVENT_STREAM_START, type EventPosition, eventsAfter, positionOf } from "../db/repos/events.js";
import { errors } from "../errors.js";
import { requireActor } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import { presentDomainEvent } from "../presenters/events.js";
import { typed } from "./typed.js";

/** `type=key.redeemed`, `type=entitlement.*`, or several comma-separated: the exact types meant. */
function typesOf(param: string | undefined): string[] | undefined {
  if (param === undefined || param.trim() === "") return undefined;
  const out = new Set<string>();
  for (const part of param.split(",").map((p) => p.trim())) {
    const matched = part.endsWith(".*")
      ? EVENT_TYPES.filter((t) => t.startsWith(part.slice(0, -1)))
      : EVENT_TYPES.filter((t) => t === part);
    if (matched.length === 0)
      throw errors.validation("type", `'${part}' is not an event type or subject.* (one of ${EVENT_TYPES.join(", ")})`);
    for (const t of matched) out.add(t);
  }
  return [...out];
}

// Cursors are opaque to clients: "s" + txId.seq for the stream, "n" + seq for newest-first.
const encode = (s: string) => Buffer.from(s).toString("base64url");
function decode(cursor: string, kind: "s" | "n"): number[] {
  const s = Buffer.from(cursor, "base64url").toString();
  const parts = s.slice(1).split(".").map(Number);
  if (s[0] !== kind || parts.some((n) => !Number.isSafeInteger(n) || n < 0))
    throw errors.validation("cursor", "is not a cursor of this list (use nextCursor as returned, with the same order)");
  return parts;
}

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
      const filter = { types: typesOf(q.type), entitlementId: q.entitlementId };
      if (q.order === "newest") {
        const before = q.cursor ? (decode(q.cursor, "n")[0] ?? null) : null;
        const rows = await eventsNewestFirst(app.deps.db, before, limit, filter);
        const last = rows.at(-1);
        return {
          items: rows.map(presentDomainEvent),
          nextCursor: last && rows.length === limit ? encode(`n${last.seq}`) : null,
        };
      }
      let from: EventPosition = EVENT_STREAM_START;
      if (q.cursor) {
        const [txId, seq] = decode(q.cursor, "s");
        from = { txId: txId ?? 0, seq: seq ?? 0 };
      }
      const rows = await eventsAfter(app.deps.db, from, limit, filter);
      const last = rows.at(-1);
      const pos = last ? positionOf(last) : from;
      return { items: rows.map(presentDomainEvent), nextCursor: encode(`s${pos.txId}.${pos.seq}`) };
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
