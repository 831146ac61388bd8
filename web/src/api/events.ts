import type { Event, EventPage } from "../../../common/src/api/events";
import { api, type QueryParams, seg } from "./client";

/** Domain events (server/src/routes/events.ts, docs/EVENTS.md): the portal reads them newest first. */
export type { Event as DomainEvent } from "../../../common/src/api/events";

export const eventKeys = { events: ["events"] as const };

export const eventsApi = {
  /** Newest first (`order=newest`); the API's default order is the stream, oldest first, for pollers. */
  newest: (q: QueryParams) => api.get<EventPage>("/events", { ...q, order: "newest" }),
  get: (id: string) => api.get<Event>(`/events/${seg(id)}`),
};
