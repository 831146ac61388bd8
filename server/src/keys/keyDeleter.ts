import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { emitKeyBatch } from "../commands/domainEvents.js";
import { recordEvent } from "../commands/entitlementSupport.js";
import { visibleKey } from "../db/repos/keys.js";
import type { Db, Trx } from "../db/schema.js";
import { canonicalKey } from "../domain/keyFormat.js";
import { errors } from "../errors.js";
import { nowIso } from "../util.js";
import { recordKeyMovements } from "./keyLedger.js";

const CHUNK = 500;

/**
 * Deletes unredeemed keys of a bulk entitlement: the listed ones (all-or-nothing: a redeemed or
 * unknown key refuses the whole request) or, with `keys` null, every unredeemed one. The DELETE
 * itself re-checks UNREDEEMED, so a key redeemed at the same moment is never deleted.
 */
export async function deleteUnredeemedKeys(
  db: Db,
  ctx: RequestContext,
  bulkPk: string,
  keys: string[] | null,
  beforeCommit?: (trx: Trx, deleted: number) => Promise<void>,
): Promise<{ deleted: number }> {
  return db.transaction().execute(async (trx) => {
    let deleted = 0;
    if (keys === null) {
      const r = await trx
        .deleteFrom("web_register_keys")
        .where("bulk_id", "=", bulkPk)
        .where("status", "=", "UNREDEEMED")
        .where(visibleKey("load_id"))
        .executeTakeFirst();
      deleted = Number(r.numDeletedRows);
    } else {
      // Keys compare by their canonical form: `abcd-1234` deletes the key loaded as `ABCD1234`.
      const canons = keys.map((k) => canonicalKey(k));
      const unique = [...new Set(canons)];
      const problems: { field: string; message: string }[] = [];
      for (let i = 0; i < unique.length; i += CHUNK) {
        const part = unique.slice(i, i + CHUNK);
        const rows = await trx
          .selectFrom("web_register_keys")
          .select(["key_canon", "status", "bulk_id"])
          .where("key_canon", "in", part)
          .where(visibleKey("load_id"))
          .execute();
        const found = new Map(rows.map((r) => [r.key_canon, r]));
        for (const c of part) {
          const r = found.get(c);
          const at = `keys[${canons.indexOf(c)}]`;
          const k = keys[canons.indexOf(c)] as string;
          if (!r || r.bulk_id !== bulkPk) problems.push({ field: at, message: `'${k}' is not a key of this bulk entitlement` });
          else if (r.status !== "UNREDEEMED")
            problems.push({ field: at, message: `'${k}' is redeemed; redeemed keys cannot be deleted` });
        }
      }
      if (problems.length) throw errors.validationMany(problems.slice(0, 100));
      for (let i = 0; i < unique.length; i += CHUNK) {
        const part = unique.slice(i, i + CHUNK);
        const r = await trx
          .deleteFrom("web_register_keys")
          .where("bulk_id", "=", bulkPk)
          .where("status", "=", "UNREDEEMED")
          .where("key_canon", "in", part)
          .where(visibleKey("load_id"))
          .executeTakeFirst();
        deleted += Number(r.numDeletedRows);
      }
      if (deleted !== unique.length)
        throw errors.conflict("A key was redeemed while deleting; nothing was deleted. Reload and retry.");
    }
    if (deleted > 0) {
      await trx
        .updateTable("entitlements")
        .set((eb) => ({ key_count: eb("key_count", "-", deleted), updated_at: nowIso() }))
        .where("id", "=", bulkPk)
        .execute();
      await recordKeyMovements(trx, [{ bulkId: bulkPk, kind: "DELETED", count: deleted }]);
      await recordEvent(
        trx,
        ctx,
        bulkPk,
        "EVENT_PROPERTY_CHANGED",
        `${deleted} unredeemed web register key${deleted === 1 ? "" : "s"} deleted`,
      );
      await recordAudit(trx, ctx, {
        action: "keys.deleted",
        objectType: "entitlement",
        objectId: bulkPk,
        before: { deleted },
        after: { scope: keys === null ? "all-unredeemed" : "list" },
      });
      // One event per removal command, with its count (a job's removal names the job in requestId).
      await emitKeyBatch(trx, ctx, "key.deleted", bulkPk, {
        count: deleted,
        verb: keys === null ? "all-unredeemed" : "list",
        jobId: ctx.requestId?.startsWith("job:") ? ctx.requestId.slice(4) : null,
      });
    }
    await beforeCommit?.(trx, deleted);
    return { deleted };
  });
}
