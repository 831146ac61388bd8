import type { RequestContext } from "../actor.js";
import { findAccount } from "../db/repos/accounts.js";
import { listRelatedAccounts, type RelatedAccountRow } from "../db/repos/relatedAccounts.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { can } from "../policies/index.js";

/** The accounts related to one the caller may read (whom its partners may split to); else 404. */
export async function relatedAccountsReader(db: Db, ctx: RequestContext, id: string): Promise<RelatedAccountRow[]> {
  const account = await findAccount(db, id);
  if (!account || !can(ctx.actor, "account.read", account)) throw errors.notFound("Account", id);
  return listRelatedAccounts(db, id);
}
