import type { AuditEventsTable } from "../db/schema.js";

export interface AuditEventJson {
  id: string;
  at: string;
  actor: { type: string; id: string | null; label: string | null };
  tokenId: string | null;
  action: string;
  objectType: string;
  objectId: string;
  changes: Record<string, { before: unknown; after: unknown }>;
  requestId: string | null;
  ip: string | null;
}

export function presentAuditEvent(r: AuditEventsTable): AuditEventJson {
  return {
    id: r.id,
    at: r.at,
    actor: { type: r.actor_type, id: r.actor_id, label: r.actor_label },
    tokenId: r.token_id,
    action: r.action,
    objectType: r.object_type,
    objectId: r.object_id,
    changes: JSON.parse(r.changes),
    requestId: r.request_id,
    ip: r.ip,
  };
}
