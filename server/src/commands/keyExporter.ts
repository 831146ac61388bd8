import type { KeyStatus } from "../../../common/src/rules/keys.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Db, EntitlementRow } from "../db/schema.js";
import type { KeyExportRow } from "../keyfiles/csvExport.js";
import { bulkForKeys } from "../keys/bulkAccess.js";
import { keyExportBatches } from "../keys/keyExport.js";

/**
 * Exports a bulk entitlement's keys (the CSV download and the CLI): authorizes `keys.read`, records
 * `keys.exported` — keys are secrets, so who took them is known even if the download is cut
 * short — and returns the export rows to stream, read batch by batch as the writer pulls.
 */
export async function keyExporter(
  db: Db,
  ctx: RequestContext,
  bulkPk: string,
  input: { status?: KeyStatus | undefined },
): Promise<{ bulk: EntitlementRow; rows: AsyncIterable<KeyExportRow[]> }> {
  const bulk = await bulkForKeys(db, ctx, bulkPk, "keys.read");
  await db
    .transaction()
    .execute((trx) =>
      recordAudit(trx, ctx, { action: "keys.exported", objectType: "entitlement", objectId: bulkPk, after: { format: "csv" } }),
    );
  return { bulk, rows: keyExportBatches(db, bulkPk, input.status) };
}
