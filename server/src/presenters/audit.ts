import type { AuditEvent } from "../../../common/src/api/audit.js";
import type { AuditEventsTable } from "../db/schema.js";

export function presentAuditEvent(r: AuditEventsTable): AuditEvent {
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
    interface: r.interface === "REST" || r.interface === "SOAP" ? r.interface : null,
  };
}
