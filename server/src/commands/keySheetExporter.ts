import type { KeyStatus } from "../../../common/src/rules/keys.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { bulkProductOf } from "../db/repos/entitlements.js";
import type { Db, EntitlementRow } from "../db/schema.js";
import { bulkForKeys } from "../keys/bulkAccess.js";
import { keySheetBatches } from "../keys/keyExport.js";

/**
 * The keys of a printed sheet of key cards: authorizes `keys.read`, records `keys.exported`
 * (format `pdf`) and returns the cards' title and the `limit` keys after the first `skip`.
 */
export async function keySheetExporter(
  db: Db,
  ctx: RequestContext,
  bulkPk: string,
  input: { status: KeyStatus; skip: number; limit: number },
): Promise<{ bulk: EntitlementRow; title: string; keys: AsyncIterable<{ key: string }[]> }> {
  const bulk = await bulkForKeys(db, ctx, bulkPk, "keys.read");
  await db
    .transaction()
    .execute((trx) =>
      recordAudit(trx, ctx, { action: "keys.exported", objectType: "entitlement", objectId: bulkPk, after: { format: "pdf" } }),
    );
  const product = await bulkProductOf(db, bulkPk);
  return {
    bulk,
    title: product ? `${product.name} ${product.version}` : "Web register key",
    keys: keySheetBatches(db, bulkPk, input.status, input.skip, input.limit),
  };
}
