import { setTimeout as sleep } from "node:timers/promises";
import { PostgresAdapter } from "kysely";
import type { SplitBulkBody } from "../../../../common/src/api/splits.js";
import type { RequestContext } from "../../actor.js";
import { actorLabel } from "../../actor.js";
import { recordAudit } from "../../audit.js";
import { type EntitlementRecord, type LineItemFull, lineItemsOf } from "../../db/repos/entitlements.js";
import { keyCounts, visibleKey } from "../../db/repos/keys.js";
import { loadSettings } from "../../db/repos/settings.js";
import type { Db, EntitlementRow, Trx } from "../../db/schema.js";
import { generateId } from "../../domain/idTemplates.js";
import { canonicalKey } from "../../domain/keyFormat.js";
import { configDifference, keysWord } from "../../domain/splits.js";
import { errors } from "../../errors.js";
import { recordKeySplit } from "../../keys/keyLedger.js";
import { newId, nowIso } from "../../util.js";
import { emitEntitlement } from "../domainEvents.js";
import { entitlementRecord, recordEvent, retryOnIdCollision } from "../entitlementSupport.js";
import {
  loadForSplit,
  namedTarget,
  notifySplitContact,
  type SplitSource,
  type SplitTarget,
  splitPartners,
  splitTarget,
} from "./splitSupport.js";

/** The request body, as the route validated it (common/src/api/splits.ts). */
export type SplitBulkInput = SplitBulkBody;

export interface SplitOutcome {
  entitlement: EntitlementRecord;
  source: EntitlementRecord;
  moved: number;
  created: boolean;
  lineItemId?: string;
}

const CHUNK = 500;
const isPostgres = (db: Db | Trx) => db.getExecutor().adapter instanceof PostgresAdapter;

/**
 * Split a bulk entitlement (fno-notes splitBulkEntitlement): N unredeemed keys — the oldest, or
 * the ones listed — move from the current owner to a related account in a tier not yet on the
 * entitlement, into a matching DEPLOYED bulk entitlement of that account or a new one (the
 * source's tiers plus the target as current owner; its configuration a child of the source's).
 * Keys move by conditional UPDATE (still in the source, still unredeemed); the rows moved must be
 * exactly N or nothing happens. Redeemed keys never move, so only the key counts change.
 */
export async function bulkEntitlementSplitter(
  db: Db,
  ctx: RequestContext,
  pk: string,
  input: SplitBulkInput,
): Promise<SplitOutcome> {
  const hasCount = input.count !== undefined;
  const hasKeys = input.keys !== undefined;
  if (hasCount === hasKeys) throw errors.validation("count", "give either count (how many keys) or keys (which keys), not both");
  const settings = await loadSettings(db);
  const result = await retryOnIdCollision(() =>
    db.transaction().execute(async (trx) => {
      const source = await loadForSplit(trx, ctx, pk, "BULK");
      const target = await splitTarget(trx, source, input);
      const config = await configOf(trx, pk);
      const now = nowIso();
      let targetRow: EntitlementRow;
      let created = false;
      if (input.targetEntitlementId) {
        targetRow = await namedTarget(trx, input.targetEntitlementId, "BULK", pk, target.account.id);
        const diff = configDifference(config, await configOf(trx, targetRow.id));
        if (diff)
          throw errors.validation(
            "targetEntitlementId",
            `entitlement ${targetRow.entitlement_id} does not match the bulk entitlement's product configuration: ${diff}`,
          );
      } else {
        targetRow = await insertSplitBulk(trx, ctx, source, target, config, settings.idTemplates.entitlement, now);
        created = true;
      }
      const moved = hasKeys
        ? await moveListedKeys(trx, pk, targetRow.id, input.keys ?? [])
        : await moveOldestKeys(trx, pk, targetRow.id, input.count ?? 0);
      // Only unredeemed keys moved: the redeemed counts stay where the redemptions were counted.
      const dec = await trx
        .updateTable("entitlements")
        .set((eb) => ({ key_count: eb("key_count", "-", moved), updated_at: now, updated_by: ctx.actor.userId }))
        .where("id", "=", pk)
        .where("state", "=", "DEPLOYED")
        .where("key_count", ">=", moved)
        .executeTakeFirst();
      if (Number(dec.numUpdatedRows) !== 1)
        throw errors.conflict(`Bulk entitlement ${source.row.entitlement_id} changed at the same time; reload and retry.`);
      await trx
        .updateTable("entitlements")
        .set((eb) => ({ key_count: eb("key_count", "+", moved), updated_at: now, updated_by: ctx.actor.userId }))
        .where("id", "=", targetRow.id)
        .execute();
      await recordKeySplit(trx, pk, targetRow.id, moved, now);
      const to = `account '${target.account.id}' (tier ${target.tierDisplayName})`;
      await recordEvent(
        trx,
        ctx,
        pk,
        "EVENT_PROPERTY_CHANGED",
        `${keysWord(moved)} split from account '${source.owner.accountId}' to ${to}, ${created ? "new " : ""}bulk entitlement ${targetRow.entitlement_id}`,
      );
      await recordEvent(
        trx,
        ctx,
        targetRow.id,
        created ? "EVENT_CREATED" : "EVENT_PROPERTY_CHANGED",
        `${keysWord(moved)} split from bulk entitlement ${source.row.entitlement_id} of account '${source.owner.accountId}' to ${to}`,
      );
      const detail = {
        moved,
        from: { entitlement: pk, account: source.owner.accountId },
        to: { entitlement: targetRow.id, account: target.account.id, tier: target.tier, created },
        chosen: hasKeys ? "listed" : "oldest",
      };
      await recordAudit(trx, ctx, {
        action: "entitlement.split",
        objectType: "entitlement",
        objectId: pk,
        before: { keyCount: source.row.key_count },
        after: { keyCount: source.row.key_count - moved, ...detail },
      });
      await recordAudit(trx, ctx, {
        action: created ? "entitlement.created_by_split" : "entitlement.split_received",
        objectType: "entitlement",
        objectId: targetRow.id,
        before: created ? null : { keyCount: targetRow.key_count },
        after: { keyCount: targetRow.key_count + moved, ...detail },
      });
      // The source's event says where its keys went; the target's says it was made or grew.
      const splitTo = { id: targetRow.id, entitlementId: targetRow.entitlement_id, accountId: target.account.id, created };
      await emitEntitlement(trx, ctx, "entitlement.split", pk, { moved, to: splitTo });
      await emitEntitlement(trx, ctx, created ? "entitlement.created" : "entitlement.updated", targetRow.id, {
        ...(created ? { via: "entitlement.split" } : { changed: ["keyCounts"] }),
        splitFrom: { id: pk, entitlementId: source.row.entitlement_id, moved },
      });
      await notifySplitContact(
        trx,
        ctx,
        target,
        { pk: targetRow.id, entitlementId: targetRow.entitlement_id },
        keysWord(moved),
        source.owner.accountId,
      );
      return { targetPk: targetRow.id, moved, created };
    }),
  );
  return {
    entitlement: await entitlementRecord(db, result.targetPk),
    source: await entitlementRecord(db, pk),
    moved: result.moved,
    created: result.created,
  };
}

/** The bulk entitlement's product configuration (its BULK_CONFIG line item). */
export async function configOf(db: Db | Trx, pk: string): Promise<LineItemFull> {
  const config = ((await lineItemsOf(db, [pk])).get(pk) ?? []).find((i) => i.role === "BULK_CONFIG");
  if (!config) throw errors.invalidState(`Bulk entitlement ${pk} has no product configuration.`);
  return config;
}

/** Moves the `count` oldest unredeemed keys; exactly `count` or a 409 with how many there are. */
async function moveOldestKeys(trx: Trx, from: string, to: string, count: number): Promise<number> {
  const pg = isPostgres(trx);
  const deadline = Date.now() + PICK_PATIENCE_MS;
  let retries = 0;
  let held = false;
  let moved = 0;
  while (moved < count) {
    const want = Math.min(count - moved, 10_000);
    // The keys are picked once, in a CTE: as a subquery, PostgreSQL may evaluate the LIMIT again
    // per row updated and pick more than asked.
    const r = await trx
      .with("picked", (qb) => {
        const q = qb
          .selectFrom("web_register_keys as k")
          .select("k.id")
          .where("k.bulk_id", "=", from)
          .where("k.status", "=", "UNREDEEMED")
          .where(visibleKey("k.load_id"))
          .orderBy("k.id")
          .limit(want);
        // PostgreSQL: keys a concurrent redemption or split holds are passed over, not waited for.
        return pg ? q.forUpdate().skipLocked() : q;
      })
      .updateTable("web_register_keys")
      .set({ bulk_id: to })
      .where("bulk_id", "=", from)
      .where("status", "=", "UNREDEEMED")
      .where("id", "in", (eb) => eb.selectFrom("picked").select("picked.id"))
      .executeTakeFirst();
    const n = Number(r.numUpdatedRows);
    moved += n;
    if (n < want) {
      // Short on PostgreSQL may only mean the rest is held by a transaction in flight (a split that
      // is about to fail holds every key it tried): while the source's counters (which count the
      // keys others hold, and ours until we commit) say it has enough, pick again rather than
      // refuse with a number that is not true.
      held = pg && (await unredeemedCounted(trx, from)) >= count;
      if (!held || Date.now() > deadline) break;
      await sleep(Math.min(5 * 2 ** retries++, 100));
    }
  }
  if (moved !== count && held)
    throw errors.conflict(
      "Keys of this bulk entitlement were being split or redeemed at the same time; nothing was split. Retry.",
      "count",
    );
  if (moved !== count) {
    throw errors.notEnoughCopies(
      `Only ${keysWord(moved)} could be split (${count} asked); redeemed keys never move. Nothing was split.`,
      "count",
    );
  }
  return moved;
}

/** How long a counted split keeps picking keys that concurrent transactions hold (PostgreSQL). */
const PICK_PATIENCE_MS = 5_000;

/** The unredeemed keys of a bulk entitlement by its counters (a transaction in flight counts as not yet done). */
async function unredeemedCounted(trx: Trx, bulkPk: string): Promise<number> {
  return (await keyCounts(trx, bulkPk))?.unredeemed ?? 0;
}

/** Moves the listed keys; each must be in this bulk entitlement and unredeemed, else nothing moves. */
async function moveListedKeys(trx: Trx, from: string, to: string, keys: string[]): Promise<number> {
  const canon = [...new Set(keys.map((k) => canonicalKey(k)).filter((k) => k.length > 0))];
  if (canon.length === 0) throw errors.validation("keys", "no key given");
  let moved = 0;
  for (let i = 0; i < canon.length; i += CHUNK) {
    const part = canon.slice(i, i + CHUNK);
    const r = await trx
      .updateTable("web_register_keys")
      .set({ bulk_id: to })
      .where("bulk_id", "=", from)
      .where("status", "=", "UNREDEEMED")
      .where("key_canon", "in", part)
      .where(visibleKey("load_id"))
      .executeTakeFirst();
    moved += Number(r.numUpdatedRows);
  }
  if (moved !== canon.length) {
    // Word the first key that did not move; the transaction is rolled back by the throw.
    for (const [i, k] of canon.entries()) {
      const row = await trx
        .selectFrom("web_register_keys")
        .select(["key", "bulk_id", "status"])
        .where("key_canon", "=", k)
        .where(visibleKey("load_id"))
        .executeTakeFirst();
      const label = keys.find((x) => canonicalKey(x) === k) ?? k;
      if (!row || (row.bulk_id !== from && row.bulk_id !== to))
        throw errors.validation(`keys[${i}]`, `key '${label}' is not a key of this bulk entitlement`);
      if (row.status !== "UNREDEEMED")
        throw errors.validation(`keys[${i}]`, `key '${label}' is redeemed; redeemed keys never move`);
    }
    throw errors.conflict("A key was redeemed or moved while splitting; nothing was split. Reload and retry.", "keys");
  }
  return moved;
}

/** A new DEPLOYED bulk entitlement for the target with the source's header and configuration (its child). */
async function insertSplitBulk(
  trx: Trx,
  ctx: RequestContext,
  source: SplitSource,
  target: SplitTarget,
  config: LineItemFull,
  template: Parameters<typeof generateId>[0],
  now: string,
): Promise<EntitlementRow> {
  const pk = newId();
  const s = source.row;
  const row: EntitlementRow = {
    id: pk,
    entitlement_id: generateId(template, { kind: "BULK", orderId: s.order_id }),
    id_generated: 1,
    kind: "BULK",
    state: s.state,
    description: s.description,
    ship_to_email: null,
    ship_to_address: null,
    order_id: s.order_id,
    order_line_number: s.order_line_number,
    allow_portal_login: s.allow_portal_login,
    custom_attributes: s.custom_attributes,
    parent_bulk_id: null,
    created_by: ctx.actor.userId,
    created_by_label: actorLabel(ctx.actor),
    created_at: now,
    updated_by: ctx.actor.userId,
    updated_at: now,
    key_count: 0,
    redeemed_count: 0,
    split_from_id: s.id,
  };
  await trx.insertInto("entitlements").values(row).execute();
  await trx
    .insertInto("entitlement_partners")
    .values(
      splitPartners(source.partners, target).map((p) => ({
        entitlement_id: pk,
        tier: p.tier,
        account_id: p.accountId,
        contact_user_id: p.contactUserId,
        current_owner: p.currentOwner ? 1 : 0,
      })),
    )
    .execute();
  const {
    id: _id,
    entitlement_id: _e,
    products,
    part_id: _pn,
    license_model_name: _lm,
    created_at: _c,
    updated_at: _u,
    ...columns
  } = config;
  const itemId = newId();
  await trx
    .insertInto("line_items")
    .values({
      ...columns,
      id: itemId,
      entitlement_id: pk,
      fulfilled_count: 0,
      parent_line_item_id: config.id,
      created_at: now,
      updated_at: now,
    })
    .execute();
  if (products.length)
    await trx
      .insertInto("line_item_products")
      .values(products.map((p, i) => ({ line_item_id: itemId, product_id: p.product_id, quantity: p.quantity, position: i })))
      .execute();
  return row;
}
