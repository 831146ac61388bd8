import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isUniqueViolation } from "../db/constraints.js";
import { findPartNumber, type PartNumberRow } from "../db/repos/partNumbers.js";
import type { Db } from "../db/schema.js";
import { specifiedIdProblem } from "../domain/ids.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { presentPartNumber } from "../presenters/partNumbers.js";
import { nowIso } from "../util.js";
import { checkPartNumberRefs, type PartNumberCreateInput, partNumberExists } from "./partNumberCreator.js";

export type PartNumberUpdateInput = Partial<PartNumberCreateInput>;

/** Edits a part number; a new product or license model is checked as on create. */
export async function partNumberUpdater(
  db: Db,
  ctx: RequestContext,
  id: string,
  input: PartNumberUpdateInput,
): Promise<PartNumberRow> {
  authorize(ctx.actor, "partNumber.write");
  if (input.partId !== undefined) {
    const p = specifiedIdProblem(input.partId);
    if (p) throw errors.validation("partId", p);
  }
  try {
    return await db.transaction().execute(async (trx) => {
      const before = await findPartNumber(trx, id);
      if (!before) throw errors.notFound("Part number", id);
      const next = {
        part_id: input.partId ?? before.part_id,
        description: input.description !== undefined ? input.description : before.description,
        product_id: input.productId ?? before.product_id,
        quantity: input.quantity ?? before.quantity,
        license_model_id: input.licenseModelId !== undefined ? input.licenseModelId : before.license_model_id,
      };
      const current = presentPartNumber(before);
      const changed = (Object.keys(next) as (keyof typeof next)[]).some((k) => next[k] !== before[k]);
      if (!changed) return before;
      if (next.product_id !== before.product_id || next.license_model_id !== before.license_model_id) {
        await checkPartNumberRefs(trx, next.product_id, next.license_model_id, {
          productId: before.product_id,
          licenseModelId: before.license_model_id,
        });
      }
      await trx
        .updateTable("part_numbers")
        .set({ ...next, updated_at: nowIso() })
        .where("id", "=", id)
        .execute();
      const row = (await findPartNumber(trx, id)) ?? before;
      const { updatedAt: _a, ...afterAudit } = presentPartNumber(row);
      const { updatedAt: _b, ...beforeAudit } = current;
      await recordAudit(trx, ctx, {
        action: "partNumber.updated",
        objectType: "partNumber",
        objectId: id,
        before: beforeAudit,
        after: afterAudit,
      });
      return row;
    });
  } catch (err) {
    if (isUniqueViolation(err) && input.partId !== undefined) throw partNumberExists(input.partId);
    throw err;
  }
}
