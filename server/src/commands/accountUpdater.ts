import type { AccountUpdateBody, AddressInput } from "../../../common/src/api/accounts.js";
import type { AccountType, Role } from "../../../common/src/enums.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { type AccountRecord, findAccount, relatedAccountIds } from "../db/repos/accounts.js";
import type { Db, Trx } from "../db/schema.js";
import { accountProblems, roleOnAccountProblem } from "../domain/accounts.js";
import { errors } from "../errors.js";
import { authorize, can } from "../policies/index.js";
import { producerWriter } from "../policies/predicates.js";
import { presentAccount } from "../presenters/accounts.js";
import { int, nowIso } from "../util.js";
import { emitAccount } from "./domainEvents.js";

/** The request body, as the route validated it (common/src/api/accounts.ts). */
export type AccountUpdateInput = AccountUpdateBody;

/** Edits an account. Portal admins may edit their own account's name, description and address only. */
export async function accountUpdater(db: Db, ctx: RequestContext, id: string, input: AccountUpdateInput): Promise<AccountRecord> {
  const problems = accountProblems({ ...(input.name !== undefined ? { name: input.name } : {}) });
  if (input.parentId === id) problems.push({ field: "parentId", message: "an account cannot be its own parent" });
  if (problems.length) throw errors.validationMany(problems);
  return db.transaction().execute(async (trx) => {
    const before = await findAccount(trx, id);
    if (!before || !can(ctx.actor, "account.read", before)) throw errors.notFound("Account", id);
    authorize(ctx.actor, "account.update", before);
    const structural = input.type !== undefined || input.visible !== undefined || input.parentId !== undefined;
    if (structural && !producerWriter(ctx.actor) && ctx.actor.type !== "system") {
      throw errors.forbidden("Only producer staff can change an account's type, visibility or parent.");
    }
    if (input.type !== undefined && input.type !== before.type) {
      if (before.type === "PUBLISHER" || (input.type as string) === "PUBLISHER") {
        throw errors.validation("type", "the PUBLISHER account's type cannot change, and no other account can become PUBLISHER");
      }
      await assertRolesFit(trx, id, input.type);
    }
    if (input.parentId) await assertParentOk(trx, id, input.parentId);
    const a = input.address ?? {};
    const pick = <K extends keyof AddressInput>(k: K) => (k in a ? (a[k] ?? null) : before[k]);
    const row = {
      ...before,
      name: input.name !== undefined ? input.name.trim() : before.name,
      type: input.type ?? before.type,
      description: input.description !== undefined ? input.description : before.description,
      address1: pick("address1"),
      address2: pick("address2"),
      city: pick("city"),
      state: pick("state"),
      zipcode: pick("zipcode"),
      country: pick("country"),
      region: pick("region"),
      visible: input.visible !== undefined ? int(input.visible) : before.visible,
      parent_id: input.parentId !== undefined ? input.parentId : before.parent_id,
      updated_at: nowIso(),
    };
    await trx.updateTable("accounts").set(row).where("id", "=", id).execute();
    const related = await relatedAccountIds(trx, id);
    const { updatedAt: _u, ...afterAudit } = presentAccount(row, related);
    const { updatedAt: _b, ...beforeAudit } = presentAccount(before, related);
    await recordAudit(trx, ctx, {
      action: "account.updated",
      objectType: "account",
      objectId: id,
      before: beforeAudit,
      after: afterAudit,
    });
    const changed = Object.keys(afterAudit).filter(
      (k) =>
        JSON.stringify((afterAudit as Record<string, unknown>)[k]) !==
        JSON.stringify((beforeAudit as Record<string, unknown>)[k]),
    );
    await emitAccount(trx, ctx, "account.updated", id, { changed });
    return { row, relatedAccountIds: related };
  });
}

async function assertRolesFit(trx: Trx, accountId: string, type: AccountType) {
  const roles = await trx.selectFrom("user_roles").select("role").distinct().where("account_id", "=", accountId).execute();
  for (const r of roles) {
    const p = roleOnAccountProblem(r.role as Role, type);
    if (p) throw errors.conflict(`The account has users with role ${r.role}; ${p}. Change their roles first.`, "type");
  }
}

async function assertParentOk(trx: Trx, id: string, parentId: string) {
  let cur: string | null = parentId;
  for (let depth = 0; cur; depth++) {
    if (cur === id) throw errors.validation("parentId", "would make the account its own ancestor");
    if (depth > 64) throw errors.validation("parentId", "account hierarchy is too deep");
    const row = await findAccount(trx, cur);
    if (!row) throw errors.validation("parentId", `account '${cur}' does not exist`);
    cur = row.parent_id;
  }
}
