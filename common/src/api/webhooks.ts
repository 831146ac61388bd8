import { type Static, Type } from "typebox";
import { WEBHOOK_FILTER_MAX, WEBHOOK_URL_MAX } from "../rules/webhooks.js";
import { OptionalText, PageQuery, StringEnum } from "./shared.js";

export const WEBHOOK_DELIVERY_STATUSES = ["PENDING", "SUCCEEDED", "FAILED"] as const;
export const WEBHOOK_ATTEMPT_TRIGGERS = ["AUTO", "REDELIVER", "TEST"] as const;

const Nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(t: T) =>
  Type.Union([t, Type.Null()]);

export const WebhookEndpointSchema = Type.Object(
  {
    id: Type.String(),
    url: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    eventTypes: Type.Array(Type.String(), {
      description: 'Exact event types, "subject.*" (every type of a subject) or "*".',
    }),
    enabled: Type.Boolean(),
    /** Deliveries of this endpoint by status: the list's health at a glance. */
    deliveries: Type.Object({ pending: Type.Integer(), succeeded: Type.Integer(), failed: Type.Integer() }),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: "WebhookEndpoint" },
);

/** The endpoint with its signing secret (`whsec_…`): the answer of create, reveal and rotate only. */
export const WebhookEndpointWithSecretSchema = Type.Intersect([
  WebhookEndpointSchema,
  Type.Object({ secret: Type.String({ description: "Standard Webhooks secret, `whsec_` and base64." }) }),
]);

const Url = Type.String({
  minLength: 1,
  maxLength: WEBHOOK_URL_MAX,
  description: "http:// or https:// URL receiving the POSTs.",
});
const EventTypes = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
  minItems: 1,
  maxItems: WEBHOOK_FILTER_MAX,
  description: 'Exact event types, "subject.*" or "*".',
});

export const WebhookEndpointCreateBody = Type.Object(
  {
    url: Url,
    description: OptionalText(),
    eventTypes: EventTypes,
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

export const WebhookEndpointUpdateBody = Type.Object(
  {
    url: Type.Optional(Url),
    description: OptionalText(),
    eventTypes: Type.Optional(EventTypes),
    enabled: Type.Optional(Type.Boolean({ description: "Re-enabled endpoints get events from now on, not those missed." })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const WebhookEndpointListQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });

export const WebhookDeliverySchema = Type.Object(
  {
    id: Type.String(),
    endpointId: Type.String(),
    eventId: Type.String({ description: "The `webhook-id` header: the same on every attempt." }),
    eventType: Type.String(),
    entitlementId: Nullable(Type.String()),
    status: StringEnum(WEBHOOK_DELIVERY_STATUSES),
    attempts: Type.Integer(),
    nextAttemptAt: Nullable(Type.String()),
    lastStatusCode: Nullable(Type.Integer()),
    lastError: Nullable(Type.String()),
    lastDurationMs: Nullable(Type.Integer()),
    deliveredAt: Nullable(Type.String()),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: "WebhookDelivery" },
);

export const WebhookAttemptSchema = Type.Object({
  attemptedAt: Type.String(),
  trigger: StringEnum(WEBHOOK_ATTEMPT_TRIGGERS),
  statusCode: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  durationMs: Type.Integer(),
  responseSnippet: Nullable(Type.String({ description: "The first bytes of the receiver's answer." })),
});

export const WebhookDeliveryDetailSchema = Type.Intersect([
  WebhookDeliverySchema,
  Type.Object({ attemptLog: Type.Array(WebhookAttemptSchema) }),
]);

export const WebhookDeliveryListQuery = Type.Object(
  { ...PageQuery, status: Type.Optional(StringEnum(WEBHOOK_DELIVERY_STATUSES)) },
  { additionalProperties: false },
);

export type WebhookEndpoint = Static<typeof WebhookEndpointSchema>;
export type WebhookEndpointWithSecret = Static<typeof WebhookEndpointWithSecretSchema>;
export type WebhookEndpointCreateBody = Static<typeof WebhookEndpointCreateBody>;
export type WebhookEndpointUpdateBody = Static<typeof WebhookEndpointUpdateBody>;
export type WebhookEndpointListQuery = Static<typeof WebhookEndpointListQuery>;
export type WebhookDelivery = Static<typeof WebhookDeliverySchema>;
export type WebhookAttempt = Static<typeof WebhookAttemptSchema>;
export type WebhookDeliveryDetail = Static<typeof WebhookDeliveryDetailSchema>;
export type WebhookDeliveryListQuery = Static<typeof WebhookDeliveryListQuery>;
