import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isForeignKeyViolation } from "../db/constraints.js";
import { findPartNumber } from "../db/repos/partNumbers.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { presentPartNumber } from "../presenters/partNumbers.js";

/** Deletes a part number. Once entitlements name part numbers, the database refuses for used ones. */
export async function partNumberDeleter(db: Db, ctx: RequestContext, id: string): Promise<void> {
  authorize(ctx.actor, "partNumber.write");
  let label = `Part number '${id}'`;
  try {
    await db.transaction().execute(async (trx) => {
      const before = await findPartNumber(trx, id);
      if (!before) throw errors.notFound("Part number", id);
      label = `Part number '${before.part_id}'`;
      await trx.deleteFrom("part_numbers").where("id", "=", id).execute();
      await recordAudit(trx, ctx, {
        action: "partNumber.deleted",
        objectType: "partNumber",
        objectId: id,
        before: presentPartNumber(before) as never,
      });
    });
  } catch (err) {
    if (isForeignKeyViolation(err)) throw errors.inUse(`${label} is used by other records; remove those first.`);
    throw err;
  }
}
