import type { AccountCreateBody } from "../../../common/src/api/accounts.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isUniqueViolation } from "../db/constraints.js";
import { findAccount } from "../db/repos/accounts.js";
import type { AccountsTable, Db } from "../db/schema.js";
import { accountProblems } from "../domain/accounts.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { presentAccount } from "../presenters/accounts.js";
import { int, nowIso } from "../util.js";

/** The request body, as the route validated it (common/src/api/accounts.ts). */
export type AccountCreateInput = AccountCreateBody;

/** Creates a customer, partner or self-registered account. The one PUBLISHER account is made at first start. */
export async function accountCreator(db: Db, ctx: RequestContext, input: AccountCreateInput): Promise<AccountsTable> {
  authorize(ctx.actor, "account.create");
  if ((input.type as string) === "PUBLISHER") {
    throw errors.validation("type", "there is exactly one PUBLISHER account, created at first start");
  }
  const problems = accountProblems(input);
  if (problems.length) throw errors.validationMany(problems);
  try {
    return await db.transaction().execute(async (trx) => {
      if (input.parentId && !(await findAccount(trx, input.parentId))) {
        throw errors.validation("parentId", `account '${input.parentId}' does not exist`);
      }
      const now = nowIso();
      const a = input.address ?? {};
      const row = {
        id: input.id,
        name: input.name.trim(),
        type: input.type,
        description: input.description ?? null,
        address1: a.address1 ?? null,
        address2: a.address2 ?? null,
        city: a.city ?? null,
        state: a.state ?? null,
        zipcode: a.zipcode ?? null,
        country: a.country ?? null,
        region: a.region ?? null,
        visible: int(input.visible ?? true),
        parent_id: input.parentId ?? null,
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto("accounts").values(row).execute();
      await recordAudit(trx, ctx, {
        action: "account.created",
        objectType: "account",
        objectId: row.id,
        after: presentAccount(row) as never,
      });
      return row;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw errors.alreadyExists("id", `An account with ID '${input.id}' already exists.`);
    throw err;
  }
}
