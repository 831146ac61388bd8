import type { KeyMovementsTable, Trx } from "../db/schema.js";
import { newId, nowIso } from "../util.js";

/**
 * The key ledger (migration 0016): one row per change of a bulk entitlement's keys, written in the
 * change's own transaction so the ledger and `key_count` never disagree. Reports read the keys a
 * bulk entitlement held at any moment from it; redemptions are read from the keys themselves.
 */
export async function recordKeyMovements(
  trx: Trx,
  moves: { bulkId: string; kind: KeyMovementsTable["kind"]; count: number; otherBulkId?: string | null }[],
  at = nowIso(),
): Promise<void> {
  const rows = moves
    .filter((m) => m.count > 0)
    .map((m) => ({ id: newId(), bulk_id: m.bulkId, at, kind: m.kind, count: m.count, other_bulk_id: m.otherBulkId ?? null }));
  if (rows.length) await trx.insertInto("key_movements").values(rows).execute();
}

/** A split's two sides: SPLIT_OUT of the source, SPLIT_IN of the target. */
export function recordKeySplit(trx: Trx, from: string, to: string, count: number, at?: string): Promise<void> {
  return recordKeyMovements(
    trx,
    [
      { bulkId: from, kind: "SPLIT_OUT", count, otherBulkId: to },
      { bulkId: to, kind: "SPLIT_IN", count, otherBulkId: from },
    ],
    at,
  );
}
