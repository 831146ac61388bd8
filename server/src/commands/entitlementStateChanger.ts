import type { StateType } from "../../../common/src/enums.js";
import { cascadedLineItemState, transitionProblem } from "../../../common/src/rules/entitlementStates.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { EntitlementRecord } from "../db/repos/entitlements.js";
import { findEntitlement } from "../db/repos/entitlements.js";
import { loadSettings } from "../db/repos/settings.js";
import type { Db, Trx } from "../db/schema.js";
import { AppError, errors } from "../errors.js";
import { queueEntitlementCertificate, recipientsOf } from "../mail/outbox.js";
import { authorize } from "../policies/index.js";
import { nowIso } from "../util.js";
import { emitEntitlement } from "./domainEvents.js";
import { entitlementRecord, loadVisibleEntitlement, recordEvent } from "./entitlementSupport.js";

/** Why the entitlement cannot be deployed: every line item (or the bulk configuration) needs a license model and deployed catalog. */
export async function deployProblems(trx: Trx, pk: string, kind: string): Promise<string[]> {
  const items = await trx
    .selectFrom("line_items as li")
    .leftJoin("license_models as lm", "lm.id", "li.license_model_id")
    .select([
      "li.id",
      "li.role",
      "li.activation_id",
      "li.state",
      "li.license_model_id",
      "lm.name as lm_name",
      "lm.state as lm_state",
    ])
    .where("li.entitlement_id", "=", pk)
    .orderBy("li.position")
    .execute();
  const out: string[] = [];
  const relevant = items.filter((i) =>
    kind === "BULK" ? i.role === "BULK_CONFIG" : i.role === "LINE_ITEM" && i.state !== "OBSOLETE",
  );
  if (relevant.length === 0) {
    out.push(kind === "BULK" ? "it has no product yet; use Add Product first" : "it has no line items");
  }
  const ids = relevant.map((i) => i.id);
  const prods = ids.length
    ? await trx
        .selectFrom("line_item_products as lp")
        .innerJoin("products as p", "p.id", "lp.product_id")
        .select(["lp.line_item_id", "p.name", "p.version", "p.state"])
        .where("lp.line_item_id", "in", ids)
        .execute()
    : [];
  for (const i of relevant) {
    const what = kind === "BULK" ? "the product configuration" : `line item ${i.activation_id}`;
    if (!i.license_model_id) out.push(`${what} has no license model`);
    else if (i.lm_state !== "DEPLOYED") out.push(`${what} uses license model '${i.lm_name}', which is ${i.lm_state}`);
    for (const p of prods.filter((p) => p.line_item_id === i.id && p.state !== "DEPLOYED")) {
      out.push(`${what} uses product '${p.name} ${p.version}', which is ${p.state}`);
    }
  }
  return out;
}

/**
 * Moves an entitlement to `to` inside the caller's transaction: checks the transition table, the
 * deploy preconditions and the used-items setting, claims the move with a conditional UPDATE (two
 * concurrent moves cannot both win), cascades to line items, and records history and audit.
 */
export async function changeEntitlementState(
  trx: Trx,
  ctx: RequestContext,
  pk: string,
  to: StateType,
  reason?: string,
): Promise<void> {
  const row = await findEntitlement(trx, pk);
  if (!row) throw errors.notFound("Entitlement", pk);
  const from = row.state as StateType;
  const label = `Entitlement ${row.entitlement_id}`;
  const p = transitionProblem(label, from, to);
  if (p) throw errors.invalidState(p);
  if (to === "DEPLOYED" && from !== "INACTIVE") {
    const dp = await deployProblems(trx, pk, row.kind);
    if (dp.length) throw errors.invalidState(`${label} cannot be deployed: ${dp.join("; ")}.`);
  }
  if (to === "INACTIVE" || to === "OBSOLETE") {
    const settings = await loadSettings(trx);
    if (!settings.allowUsedItemsInactiveObsolete) {
      const used = await trx
        .selectFrom("line_items")
        .select("activation_id")
        .where("entitlement_id", "=", pk)
        .where("fulfilled_count", ">", 0)
        .executeTakeFirst();
      if (used) {
        throw errors.invalidState(
          `${label} has line items with fulfillments; enable "allow used items to go INACTIVE/OBSOLETE" in Settings to move it to ${to}.`,
        );
      }
    }
  }
  const now = nowIso();
  const res = await trx
    .updateTable("entitlements")
    .set({ state: to, updated_at: now, updated_by: ctx.actor.userId })
    .where("id", "=", pk)
    .where("state", "=", from)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) throw errors.conflict(`${label} changed state at the same time; reload and retry.`);
  const items = await trx.selectFrom("line_items").select(["id", "state"]).where("entitlement_id", "=", pk).execute();
  for (const item of items) {
    const next = cascadedLineItemState(from, to, item.state as StateType);
    if (next !== item.state) {
      await trx
        .updateTable("line_items")
        .set({ state: next, updated_at: now })
        .where("id", "=", item.id)
        .where("state", "=", item.state)
        .execute();
    }
  }
  await recordEvent(trx, ctx, pk, "EVENT_STATE_CHANGED", `${from} → ${to}${reason ? ` (${reason})` : ""}`);
  await recordAudit(trx, ctx, {
    action: "entitlement.state_changed",
    objectType: "entitlement",
    objectId: pk,
    before: { state: from },
    after: { state: to },
  });
  await emitEntitlement(trx, ctx, "entitlement.state_changed", pk, { previousState: from, reason: reason ?? null });
  // Deployed for the first time (not reactivated): its certificate goes to the ship-to list, in
  // this transaction, so it is in the outbox if and only if the deploy commits.
  if (to === "DEPLOYED" && from !== "INACTIVE" && row.ship_to_email)
    await queueEntitlementCertificate(trx, ctx, pk, recipientsOf(row.ship_to_email));
}

export async function deployEntitlement(trx: Trx, ctx: RequestContext, pk: string, reason?: string) {
  await changeEntitlementState(trx, ctx, pk, "DEPLOYED", reason);
}

/** Change State on one entitlement (entitlement page). */
export async function entitlementStateChanger(
  db: Db,
  ctx: RequestContext,
  pk: string,
  to: StateType,
): Promise<EntitlementRecord> {
  await db.transaction().execute(async (trx) => {
    const { ref } = await loadVisibleEntitlement(trx, ctx, pk);
    authorize(ctx.actor, "entitlement.changeState", ref);
    await changeEntitlementState(trx, ctx, pk, to);
  });
  return entitlementRecord(db, pk);
}

export interface BatchItemResult {
  id: string;
  entitlementId: string | null;
  ok: boolean;
  state: string | null;
  reason: string | null;
}

/**
 * Multi-select Change State on the list page: each entitlement in its own transaction, with
 * FNO's overall SUCCESS / PARTIAL_FAILURE / FAILURE and a reason per refused one.
 */
export async function entitlementStatesChanger(
  db: Db,
  ctx: RequestContext,
  ids: string[],
  to: StateType,
): Promise<{ status: "SUCCESS" | "PARTIAL_FAILURE" | "FAILURE"; results: BatchItemResult[] }> {
  // A caller who may change no entitlement at all is refused outright, as on the single endpoint.
  authorize(ctx.actor, "entitlement.changeState", { accountIds: [] });
  const results: BatchItemResult[] = [];
  for (const id of ids) {
    try {
      const { row } = await entitlementStateChanger(db, ctx, id, to);
      results.push({ id, entitlementId: row.entitlement_id, ok: true, state: row.state, reason: null });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      const e = err;
      // Say nothing more about an entitlement the caller may not see.
      const row = e.status === 404 ? undefined : await findEntitlement(db, id);
      results.push({
        id,
        entitlementId: row?.entitlement_id ?? null,
        ok: false,
        state: row?.state ?? null,
        reason: e.message ?? "failed",
      });
    }
  }
  const ok = results.filter((r) => r.ok).length;
  return { status: ok === results.length ? "SUCCESS" : ok === 0 ? "FAILURE" : "PARTIAL_FAILURE", results };
}
