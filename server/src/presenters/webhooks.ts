import type {
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryDetail,
  WebhookEndpoint,
} from "../../../common/src/api/webhooks.js";
import type { WebhookAttemptRow, WebhookDeliveryRecord, WebhookEndpointRecord } from "../db/repos/webhooks.js";
import type { WebhookDeliveriesTable } from "../db/schema.js";

/** An endpoint as JSON: never its secret (only create, reveal and rotate add it, in their routes). */
export function presentWebhookEndpoint(r: WebhookEndpointRecord): WebhookEndpoint {
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    eventTypes: JSON.parse(r.event_types) as string[],
    enabled: r.enabled === 1,
    deliveries: { pending: r.counts.PENDING, succeeded: r.counts.SUCCEEDED, failed: r.counts.FAILED },
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function presentWebhookDelivery(d: WebhookDeliveriesTable): WebhookDelivery {
  return {
    id: d.id,
    endpointId: d.endpoint_id,
    eventId: d.event_id,
    eventType: d.event_type,
    entitlementId: d.entitlement_id,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.next_attempt_at,
    lastStatusCode: d.last_status_code,
    lastError: d.last_error,
    lastDurationMs: d.last_duration_ms,
    deliveredAt: d.delivered_at,
    createdAt: d.created_at,
    updatedAt: d.updated_at,
  };
}

function presentAttempt(a: WebhookAttemptRow): WebhookAttempt {
  return {
    attemptedAt: a.attempted_at,
    trigger: a.trigger,
    statusCode: a.status_code,
    error: a.error,
    durationMs: a.duration_ms,
    responseSnippet: a.response_snippet,
  };
}

export function presentWebhookDeliveryDetail(r: WebhookDeliveryRecord): WebhookDeliveryDetail {
  return { ...presentWebhookDelivery(r.delivery), attemptLog: r.attempts.map(presentAttempt) };
}
