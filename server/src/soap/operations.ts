import type { RequestContext } from "../actor.js";
import type { AppDeps } from "../plugins/types.js";
import type { Decoded } from "./codec.js";
import { BULK_HANDLERS } from "./ops/bulk.js";
import { ENTITLEMENTS_HANDLERS } from "./ops/entitlements.js";
import { LIFECYCLE_HANDLERS } from "./ops/lifecycle.js";
import { failure, type Handler, reasonOf } from "./ops/support.js";

export { SOAP_BATCH_SIZE_MAX, SOAP_DELETE_KEY_CAP, SOAP_ITEM_CAP, SoapFailure } from "./ops/support.js";

/** The supported operations; a failure of a whole request (cap, criteria) answers FAILURE with its reason. */
export const HANDLERS: Record<string, Handler> = {
  ...BULK_HANDLERS,
  ...ENTITLEMENTS_HANDLERS,
  ...LIFECYCLE_HANDLERS,
};

/** Runs `operation`: its handler's answer, or FAILURE with the reason of a refusal of the whole request. */
export async function runOperation(
  deps: AppDeps,
  ctx: RequestContext,
  operation: string,
  req: Decoded,
  version: string,
): Promise<Decoded> {
  const handler = HANDLERS[operation];
  if (!handler)
    return failure(`The operation ${operation} is not supported yet by Licensor (docs/FNO-COMPATIBILITY.md lists what is).`);
  try {
    return await handler(deps, ctx, req, version);
  } catch (err) {
    return failure(reasonOf(err));
  }
}
