import type { RequestContext } from "../actor.js";
import type { LoadReport } from "../domain/keys.js";
import { bulkForKeys } from "../keys/bulkAccess.js";
import { type KeyLoadDeps, runKeyLoad } from "../keys/keyLoad.js";

/**
 * Loads the keys given in a request (`keys.imported`): all-or-nothing unless `partial`. The report
 * names every refused key by its position (line = index + 1).
 */
export async function keyBatchLoader(
  deps: KeyLoadDeps,
  ctx: RequestContext,
  bulkPk: string,
  input: { keys: string[]; mode?: "all" | "partial" | undefined },
): Promise<LoadReport> {
  await bulkForKeys(deps.db, ctx, bulkPk, "keys.write");
  return runKeyLoad(deps, ctx, bulkPk, { list: input.keys, verb: "imported" }, input.mode ?? "all");
}
