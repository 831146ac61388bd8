import type { RequestContext } from "../actor.js";
import type { Db } from "../db/schema.js";
import { AppError } from "../errors.js";
import { authorize } from "../policies/index.js";
import { type EntitlementCreateInput, entitlementCreator } from "./entitlementCreator.js";

export interface BatchResult {
  status: "SUCCESS" | "PARTIAL_FAILURE" | "FAILURE";
  responseData: { recordRefNo: number; id: string; entitlementId: string; state: string }[];
  failedData: {
    recordRefNo: number;
    reason: string;
    code: string;
    field: string | null;
    errors: { field: string; message: string }[];
  }[];
}

/**
 * FNO's batch create: each entitlement added atomically on its own; the answer says SUCCESS,
 * PARTIAL_FAILURE or FAILURE with the 1-based record number and a reason for each failed one.
 */
export async function entitlementBatchCreator(
  db: Db,
  ctx: RequestContext,
  items: EntitlementCreateInput[],
): Promise<BatchResult> {
  authorize(ctx.actor, "entitlement.create");
  const out: BatchResult = { status: "SUCCESS", responseData: [], failedData: [] };
  for (const [i, item] of items.entries()) {
    try {
      const { row } = await entitlementCreator(db, ctx, item);
      out.responseData.push({ recordRefNo: i + 1, id: row.id, entitlementId: row.entitlement_id, state: row.state });
    } catch (err) {
      if (!(err instanceof AppError)) {
        // Each item is atomic and earlier ones are committed: report this one, do not lose the rest.
        out.failedData.push({
          recordRefNo: i + 1,
          reason: "Internal error while creating this entitlement; nothing of it was saved.",
          code: "internal_error",
          field: null,
          errors: [],
        });
        continue;
      }
      out.failedData.push({
        recordRefNo: i + 1,
        reason: err.message,
        code: err.code,
        field: err.field ?? null,
        errors: err.errors ?? [],
      });
    }
  }
  out.status = out.failedData.length === 0 ? "SUCCESS" : out.responseData.length === 0 ? "FAILURE" : "PARTIAL_FAILURE";
  return out;
}
