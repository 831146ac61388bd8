import type { RequestContext } from "./actor.js";
import { actorLabel } from "./actor.js";
import type { AuditEventsTable, Trx } from "./db/schema.js";
import { newId, nowIso } from "./util.js";

const SECRET = /password|token|secret|hash/i;

export interface AuditEntry {
  action: string;
  objectType: string;
  objectId: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/** Fields whose value differs between before and after, secrets redacted. */
export function diffFields(
  before: Record<string, unknown> | null | undefined,
  after: Record<string, unknown> | null | undefined,
): Record<string, { before: unknown; after: unknown }> {
  const out: Record<string, { before: unknown; after: unknown }> = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const k of keys) {
    const b = before?.[k] ?? null;
    const a = after?.[k] ?? null;
    if (JSON.stringify(b) === JSON.stringify(a)) continue;
    out[k] = SECRET.test(k)
      ? { before: b === null ? null : "[redacted]", after: a === null ? null : "[redacted]" }
      : { before: b, after: a };
  }
  return out;
}

/**
 * Appends an audit event inside the caller's transaction, so the change and its record commit or
 * roll back together.
 */
export async function recordAudit(trx: Trx, ctx: RequestContext, e: AuditEntry): Promise<void> {
  await recordAudits(trx, ctx, [e]);
}

/** Several audit events of one change, in one statement. */
export async function recordAudits(trx: Trx, ctx: RequestContext, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await trx.insertInto("audit_events").values(auditRows(ctx, entries)).execute();
}

/** The audit rows for entries, for a caller that writes them with its own statement. */
export function auditRows(ctx: RequestContext, entries: AuditEntry[]): AuditEventsTable[] {
  const at = nowIso();
  const label = actorLabel(ctx.actor);
  return entries.map((e) => ({
    id: newId(),
    at,
    actor_type: ctx.actor.type,
    actor_id: ctx.actor.userId,
    actor_label: label,
    token_id: ctx.actor.tokenId,
    action: e.action,
    object_type: e.objectType,
    object_id: e.objectId,
    changes: JSON.stringify(diffFields(e.before, e.after)),
    request_id: ctx.requestId,
    ip: ctx.ip,
    interface: ctx.interface ?? null,
  }));
}
