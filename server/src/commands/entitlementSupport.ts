import type { Entitlement } from "../../../common/src/api/entitlements.js";
import type { FieldProblem } from "../../../common/src/errors.js";
import type { ResolvedPartner } from "../../../common/src/rules/entitlements.js";
import { actorLabel, type RequestContext } from "../actor.js";
import { isUniqueViolationOn } from "../db/constraints.js";
import {
  type EntitlementRecord,
  findEntitlement,
  findEntitlementByAnyId,
  findEntitlementRecord,
} from "../db/repos/entitlements.js";
import type { Db, EntitlementEventsTable, EntitlementRow, Trx } from "../db/schema.js";
import { generateId, type IdContext, type IdTemplate } from "../domain/idTemplates.js";
import { errors } from "../errors.js";
import { can } from "../policies/index.js";
import { presentEntitlementRecord } from "../presenters/entitlements.js";
import { newId, nowIso } from "../util.js";

/** Shared steps of the entitlement commands; each command still owns its transaction. */

export type HistoryEvent = "EVENT_CREATED" | "EVENT_PROPERTY_CHANGED" | "EVENT_STATE_CHANGED" | "EVENT_TRANSFERRED";

/** Appends to the entitlement's state-change history (FNO getStateChangeHistory). */
export async function recordEvent(
  trx: Trx,
  ctx: RequestContext,
  entitlementPk: string,
  event: HistoryEvent,
  description: string | null,
) {
  await recordEvents(trx, ctx, [{ entitlementPk, event, description }]);
}

/** Several history events in one statement. */
export async function recordEvents(trx: Trx, ctx: RequestContext, events: HistoryEntry[]) {
  if (events.length === 0) return;
  await trx.insertInto("entitlement_events").values(eventRows(ctx, events)).execute();
}

export interface HistoryEntry {
  entitlementPk: string;
  event: HistoryEvent;
  description: string | null;
}

/** The history rows for events, for a caller that writes them with its own statement. */
export function eventRows(ctx: RequestContext, events: HistoryEntry[]): EntitlementEventsTable[] {
  const at = nowIso();
  const label = actorLabel(ctx.actor);
  return events.map((e) => ({
    id: newId(),
    entitlement_id: e.entitlementPk,
    event: e.event,
    at,
    user_id: ctx.actor.userId,
    user_label: label,
    description: e.description,
  }));
}

export async function accountIdsOfEntitlement(db: Db | Trx, pk: string): Promise<string[]> {
  const rows = await db.selectFrom("entitlement_partners").select("account_id").where("entitlement_id", "=", pk).execute();
  return rows.map((r) => r.account_id);
}

/**
 * The entitlement if the actor may see it, else 404 (existence does not leak). With `anyId`, `pk`
 * may also be the entitlement ID (reads: `GET /entitlements/{id}`); callers then use `row.id`.
 */
export async function loadVisibleEntitlement(
  db: Db | Trx,
  ctx: RequestContext,
  pk: string,
  opts: { anyId?: boolean } = {},
): Promise<{ row: EntitlementRow; ref: { accountIds: string[] } }> {
  const row = opts.anyId ? await findEntitlementByAnyId(db, pk) : await findEntitlement(db, pk);
  if (!row) throw errors.notFound("Entitlement", pk);
  const ref = { accountIds: await accountIdsOfEntitlement(db, row.id) };
  if (!can(ctx.actor, "entitlement.read", ref)) throw errors.notFound("Entitlement", pk);
  return { row, ref };
}

/** The entitlement whole (row, partners, line items): what entitlement commands return for the route to present. */
export async function entitlementRecord(db: Db | Trx, pk: string): Promise<EntitlementRecord> {
  const r = await findEntitlementRecord(db, pk);
  if (!r) throw errors.notFound("Entitlement", pk);
  return r;
}

/** The entitlement as its audit events record it before and after a change (the API's JSON of it). */
export async function entitlementJson(db: Db | Trx, pk: string): Promise<Entitlement> {
  return presentEntitlementRecord(await entitlementRecord(db, pk));
}

/** Checks tiers, accounts and contacts of channel partners; returns problems with field paths. */
export async function partnerProblems(trx: Trx, partners: ResolvedPartner[], _explicitCount?: number): Promise<FieldProblem[]> {
  const out: FieldProblem[] = [];
  if (partners.length === 0) return out;
  const tiers = new Set((await trx.selectFrom("partner_tiers").select("name").execute()).map((t) => t.name));
  const accounts = new Map(
    (
      await trx
        .selectFrom("accounts")
        .select(["id", "type"])
        .where("id", "in", [...new Set(partners.map((p) => p.accountId))])
        .execute()
    ).map((a) => [a.id, a.type]),
  );
  for (const p of partners) {
    const fromSoldTo = p.source === "soldTo";
    if (!tiers.has(p.tier))
      out.push({ field: fromSoldTo ? "soldTo" : `${p.source}.tier`, message: `partner tier '${p.tier}' does not exist` });
    const type = accounts.get(p.accountId);
    const accountField = fromSoldTo ? "soldTo" : `${p.source}.accountId`;
    if (!type) out.push({ field: accountField, message: `account '${p.accountId}' does not exist` });
    else if (type === "PUBLISHER")
      out.push({ field: accountField, message: "the producer's own account cannot be a channel partner" });
    if (p.contactUserId) {
      const member = await trx
        .selectFrom("user_roles")
        .select("user_id")
        .where("user_id", "=", p.contactUserId)
        .where("account_id", "=", p.accountId)
        .executeTakeFirst();
      if (!member)
        out.push({ field: `${p.source}.contactUserId`, message: `the contact is not a user of account '${p.accountId}'` });
    }
  }
  // Sold To fills more than one tier (a bulk's Distributor and End Customer): one problem is one line.
  const seen = new Set<string>();
  return out.filter((p) => {
    const k = `${p.field}\n${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export async function replacePartners(trx: Trx, pk: string, partners: ResolvedPartner[]) {
  await trx.deleteFrom("entitlement_partners").where("entitlement_id", "=", pk).execute();
  if (partners.length === 0) return;
  await trx
    .insertInto("entitlement_partners")
    .values(
      partners.map((p) => ({
        entitlement_id: pk,
        tier: p.tier,
        account_id: p.accountId,
        contact_user_id: p.contactUserId,
        current_owner: p.currentOwner ? 1 : 0,
      })),
    )
    .execute();
}

export function newGeneratedId(template: IdTemplate, ctx: IdContext): string {
  return generateId(template, ctx);
}

/**
 * Runs `attempt` (one whole transaction) again when an ID collided on insert — the database's
 * unique constraint decides, never a prior lookup. Specified IDs are checked inside the attempt
 * and refused with words there, so what reaches this point is a generated ID (or a race with a
 * specified one, which the retry's check then words).
 */
export async function retryOnIdCollision<T>(attempt: () => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      const collided =
        isUniqueViolationOn(err, "entitlements", "entitlement_id") || isUniqueViolationOn(err, "line_items", "activation_id");
      if (!collided || i >= tries) throw err;
    }
  }
}
