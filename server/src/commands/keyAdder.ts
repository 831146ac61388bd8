import type { RequestContext } from "../actor.js";
import { findKeyByCanon } from "../db/repos/keys.js";
import type { WebRegisterKeyRow } from "../db/schema.js";
import { canonicalKey } from "../domain/keyFormat.js";
import { errors } from "../errors.js";
import { bulkForKeys } from "../keys/bulkAccess.js";
import { type KeyLoadDeps, runKeyLoad } from "../keys/keyLoad.js";

/**
 * Adds one web register key by hand: a load of one key (the same checks, counters, history and
 * `keys.added` audit as any load), refused as a 409 when the key is already loaded or is an
 * activation ID and a 400 naming `key` otherwise. Returns the stored key.
 */
export async function keyAdder(
  deps: KeyLoadDeps,
  ctx: RequestContext,
  bulkPk: string,
  input: { key: string },
): Promise<WebRegisterKeyRow> {
  await bulkForKeys(deps.db, ctx, bulkPk, "keys.write");
  const key = input.key.trim();
  const report = await runKeyLoad(deps, ctx, bulkPk, { list: [key], verb: "added" }, "all");
  if (report.status !== "SUCCESS") {
    const reason = report.badLines[0]?.reason ?? "was refused";
    throw reason === "already exists" || reason.startsWith("is already")
      ? errors.alreadyExists("key", `The key ${reason}.`)
      : errors.validation("key", reason.replace(/^key /, ""));
  }
  const row = await findKeyByCanon(deps.db, canonicalKey(key));
  if (!row) throw errors.notFound("Key", key);
  return row;
}
