import { EVENT_TYPES } from "../enums.js";

/**
 * What a webhook endpoint's event filter may hold, shared by the server's validation and the
 * portal's checkboxes: exact event types, `subject.*` (every type of a subject, now and later) or
 * `*` (everything). `webhook.test` is not subscribed to: a test event is sent to one endpoint.
 */

export const WEBHOOK_URL_MAX = 2048;
export const WEBHOOK_FILTER_MAX = 100;

/** The event types an endpoint may subscribe to. */
export const SUBSCRIBABLE_EVENT_TYPES = EVENT_TYPES.filter((t) => t !== "webhook.test");

/** The subjects (the part before the dot), in the order of EVENT_TYPES: the portal's groups. */
export const EVENT_SUBJECTS = [...new Set(SUBSCRIBABLE_EVENT_TYPES.map((t) => t.slice(0, t.indexOf("."))))];

/** Why a filter entry is not accepted, or null. */
export function eventFilterProblem(pattern: string): string | null {
  if (pattern === "*") return null;
  if (pattern.endsWith(".*")) {
    return EVENT_SUBJECTS.includes(pattern.slice(0, -2)) ? null : `"${pattern}" names no subject (${EVENT_SUBJECTS.join(", ")})`;
  }
  if (pattern === "webhook.test") return `"webhook.test" is sent with "Send test event", not subscribed to`;
  return (SUBSCRIBABLE_EVENT_TYPES as readonly string[]).includes(pattern)
    ? null
    : `"${pattern}" is not an event type (exact types, "subject.*" or "*")`;
}
