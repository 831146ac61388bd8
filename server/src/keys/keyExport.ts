import type { KeyStatus } from "../../../common/src/rules/keys.js";
import { keyBatches } from "../db/repos/keys.js";
import type { Db, WebRegisterKeyRow } from "../db/schema.js";
import type { KeyExportRow } from "../keyfiles/csvExport.js";

/** A key as every export writes it (the CSV download, the export job, the CLI): the one mapping. */
export const keyExportRow = (r: WebRegisterKeyRow): KeyExportRow => ({
  key: r.key,
  status: r.status,
  createdAt: r.created_at,
  redeemedAt: r.redeemed_at,
  redeemedBy: r.redeemed_by_label,
  soldTo: r.sold_to,
  owner: r.owner,
  entitlementId: r.entitlement_id,
});

/** A bulk entitlement's keys as export rows, in load order, batch by batch (never all in memory). */
export async function* keyExportBatches(
  db: Db,
  bulkPk: string,
  status: KeyStatus | null | undefined,
): AsyncGenerator<KeyExportRow[]> {
  for await (const batch of keyBatches(db, bulkPk, { status: status ?? undefined })) yield batch.map(keyExportRow);
}

/** How many keys an export of `status` (all when none) writes, from the bulk's counters. */
export function exportedKeyCount(
  counts: { total: number; redeemed: number; unredeemed: number },
  status: KeyStatus | null | undefined,
): number {
  return status === "REDEEMED" ? counts.redeemed : status === "UNREDEEMED" ? counts.unredeemed : counts.total;
}

/**
 * The keys a printed sheet shows: `limit` keys after the first `skip` (a large set is printed in
 * parts), in load order.
 */
export async function* keySheetBatches(
  db: Db,
  bulkPk: string,
  status: KeyStatus,
  skip: number,
  limit: number,
): AsyncGenerator<{ key: string }[]> {
  let seen = 0;
  let sent = 0;
  for await (const batch of keyBatches(db, bulkPk, { status }, 1000)) {
    const from = Math.max(0, skip - seen);
    seen += batch.length;
    const part = batch.slice(from, from + (limit - sent));
    if (part.length) {
      sent += part.length;
      yield part.map((r) => ({ key: r.key }));
    }
    if (sent >= limit) return;
  }
}

/** The end-user portal's redeem page with the key filled in (what a key card's QR code opens). */
export const redeemUrl = (publicUrl: string, key: string) => `${publicUrl}/redeem?key=${encodeURIComponent(key)}`;

/** A name made safe for a downloaded file's name. */
export const safeFileName = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, "_");
