import type { DateFilter, TextFilter } from "../../domain/filters.js";
import { dateMatch, newestFirst, type Page, type PageRequest, textMatch } from "../paging.js";
import type { AuditEventsTable, Db } from "../schema.js";

export interface AuditFilter {
  objectType?: string | undefined;
  objectId?: TextFilter | undefined;
  action?: TextFilter | undefined;
  actorId?: string | undefined;
  actor?: TextFilter | undefined;
  at?: DateFilter | undefined;
  requestId?: string | undefined;
  q?: string | undefined;
  interface?: "REST" | "SOAP" | undefined;
}

/** Audit events newest first; the UUIDv7 id is time-ordered, so it is the whole keyset. */
export async function listAuditEvents(db: Db, f: AuditFilter, page: PageRequest): Promise<Page<AuditEventsTable>> {
  let q = db.selectFrom("audit_events").selectAll();
  if (f.objectType) q = q.where("object_type", "=", f.objectType);
  if (f.objectId) q = q.where((eb) => textMatch(eb, "object_id", f.objectId as TextFilter));
  if (f.action) q = q.where((eb) => textMatch(eb, "action", f.action as TextFilter));
  if (f.actorId) q = q.where("actor_id", "=", f.actorId);
  if (f.actor) q = q.where((eb) => textMatch(eb, "actor_label", f.actor as TextFilter));
  if (f.requestId) q = q.where("request_id", "=", f.requestId);
  if (f.interface) q = q.where("interface", "=", f.interface);
  if (f.at) q = q.where((eb) => dateMatch(eb, "at", f.at as DateFilter));
  if (f.q) {
    const t: TextFilter = { op: "CONTAINS", value: f.q };
    q = q.where((eb) => eb.or([textMatch(eb, "object_id", t), textMatch(eb, "action", t), textMatch(eb, "actor_label", t)]));
  }
  return newestFirst(q, "id", page);
}
