import { type Static, Type } from "typebox";
import { EVENT_TYPES } from "../enums.js";
import { LIMITS } from "../limits.js";
import { StringEnum } from "./shared.js";

/** A domain event (issue 17): what changed, when, and its payload (`data`, docs/EVENTS.md). */
export const EventSchema = Type.Object(
  {
    id: Type.String({ description: "The event's unique id (`evt_…`): a webhook's `webhook-id`." }),
    type: StringEnum(EVENT_TYPES),
    occurredAt: Type.String({ description: "When the change committed's transaction wrote it (ISO-8601 UTC)." }),
    subject: Type.Object({
      type: Type.String({ description: "entitlement, line_item, key, fulfillment, account or job" }),
      id: Type.String(),
    }),
    entitlementId: Type.Union([Type.String(), Type.Null()], {
      description: "Licensor id of the entitlement the event concerns (its delivery order key).",
    }),
    accountId: Type.Union([Type.String(), Type.Null()]),
    requestId: Type.Union([Type.String(), Type.Null()]),
    data: Type.Record(Type.String(), Type.Unknown(), { description: "The payload, per type: docs/EVENTS.md." }),
  },
  { $id: "DomainEvent" },
);

export const EventListQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: LIMITS.pageSizeMax, description: `Page size (default ${LIMITS.pageSizeDefault}).` }),
    ),
    cursor: Type.Optional(
      Type.String({ description: "`nextCursor` of the previous page (opaque); absent: from the start of the stream." }),
    ),
    type: Type.Optional(
      Type.String({
        description: "An event type (`key.redeemed`) or all of a subject's (`entitlement.*`); comma-separated for several.",
      }),
    ),
    entitlementId: Type.Optional(Type.String({ description: "Only events concerning this entitlement (Licensor id)." })),
    order: Type.Optional(
      StringEnum(["stream", "newest"] as const, {
        description:
          "`stream` (default): oldest first in commit order, never skipping an event that commits late — for integrations that poll. `newest`: newest first, for people browsing.",
      }),
    ),
  },
  { additionalProperties: false },
);

export const EventPage = Type.Object({
  items: Type.Array(EventSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description:
      "Where to continue. The stream always returns one, also on an empty page, so a poller keeps it and asks again later; newest-first returns null after its last page.",
  }),
});

export const EventIdParams = Type.Object({ id: Type.String() });

export type Event = Static<typeof EventSchema>;
export type EventListQuery = Static<typeof EventListQuery>;
export type EventPage = Static<typeof EventPage>;
