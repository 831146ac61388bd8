import type { TextFilter } from "../../domain/filters.js";
import { canonicalKey } from "../../domain/keyFormat.js";
import { after, decodeCursor, type Page, type PageRequest, pageLimit, textMatch, toPage } from "../paging.js";
import type { Db } from "../schema.js";
import { visibleKey } from "./keys.js";

/** A redeemed key of a bulk entitlement: when, which customer account, the entitlement it became. */
export interface BulkRedemptionRow {
  id: number;
  key: string;
  redeemedAt: string;
  redeemedBy: string | null;
  accountId: string | null;
  accountName: string | null;
  /** The redeemed simple entitlement's id and its entitlement ID. */
  entitlementPk: string | null;
  entitlementId: string | null;
}

export interface BulkRedemptionFilter {
  /**
   * Simple search: customer account name or ID; when `byKey` also the redeemed entitlement's ID
   * and the key's start (entitlement IDs hold their key by default, so they are searched only then).
   */
  q?: string | undefined;
  /** Whether `q` may match keys: only for callers who may read the keys (a prefix search would reveal them). */
  byKey: boolean;
}

/** Redemptions of a bulk entitlement, newest first (keyset on redeemed_at, id). */
export async function listBulkRedemptions(
  db: Db,
  bulkPk: string,
  f: BulkRedemptionFilter,
  page: PageRequest,
): Promise<Page<BulkRedemptionRow>> {
  const limit = pageLimit(page);
  const cur = decodeCursor(page.cursor, 2);
  let q = db
    .selectFrom("web_register_keys as k")
    .leftJoin("accounts as a", "a.id", "k.sold_to")
    .leftJoin("entitlements as e", "e.id", "k.entitlement_id")
    .select([
      "k.id",
      "k.key",
      "k.redeemed_at",
      "k.redeemed_by_label",
      "k.sold_to",
      "a.name as account_name",
      "k.entitlement_id",
      "e.entitlement_id as entitlement_display_id",
    ])
    .where("k.bulk_id", "=", bulkPk)
    .where("k.status", "=", "REDEEMED")
    .where("k.redeemed_at", "is not", null)
    .where(visibleKey("k.load_id"));
  if (f.q?.trim()) {
    const t: TextFilter = { op: "CONTAINS", value: f.q.trim() };
    const canon = f.byKey ? canonicalKey(f.q) : "";
    q = q.where((eb) =>
      eb.or([
        textMatch(eb, "a.name", t),
        textMatch(eb, "k.sold_to", t),
        ...(f.byKey ? [textMatch(eb, "e.entitlement_id", t)] : []),
        ...(canon ? [eb.and([eb("k.key_canon", ">=", canon), eb("k.key_canon", "<", `${canon}\uffff`)])] : []),
      ]),
    );
  }
  if (cur) q = q.where((eb) => after(eb, ["k.redeemed_at", "k.id"], cur, "desc"));
  const rows = await q
    .orderBy("k.redeemed_at", "desc")
    .orderBy("k.id", "desc")
    .limit(limit + 1)
    .execute();
  return toPage(
    rows,
    limit,
    (r) => [r.redeemed_at as string, Number(r.id)],
    (r) => ({
      id: Number(r.id),
      key: r.key,
      redeemedAt: r.redeemed_at as string,
      redeemedBy: r.redeemed_by_label,
      accountId: r.sold_to,
      accountName: r.account_name,
      entitlementPk: r.entitlement_id,
      entitlementId: r.entitlement_display_id,
    }),
  );
}
