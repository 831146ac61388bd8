import type { AccountCreateBody } from "../../../common/src/api/accounts.js";
import { isProducerStaff, type RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isUniqueViolation } from "../db/constraints.js";
import { findAccount } from "../db/repos/accounts.js";
import type { AccountsTable, Db } from "../db/schema.js";
import { accountProblems } from "../domain/accounts.js";
import { errors } from "../errors.js";
import { authorize, can } from "../policies/index.js";
import { presentAccount } from "../presenters/accounts.js";
import { int, nowIso } from "../util.js";
import { emitAccount } from "./domainEvents.js";

/** The request body, as the route validated it (common/src/api/accounts.ts). */
export type AccountCreateInput = AccountCreateBody;

/**
 * The partner account a new account is related to: the one named, or — for a caller that is not a
 * producer writer — the one channel partner account it administers (a partner admin's default).
 */
function relateToOf(ctx: RequestContext, input: AccountCreateInput): string | null {
  if (input.relateTo !== undefined) return input.relateTo;
  if (can(ctx.actor, "account.create", { type: input.type, parentId: input.parentId ?? null, relateTo: null })) return null;
  const own = [...new Set(ctx.actor.memberships.filter((m) => m.role === "PARTNER_PORTAL_ADMIN").map((m) => m.accountId))];
  return own.length === 1 ? (own[0] as string) : null;
}

/**
 * Creates a customer, partner or self-registered account. The one PUBLISHER account is made at
 * first start. With `relateTo` the new account is related to that channel partner in the same
 * transaction: how a partner portal admin adds its resellers and customers.
 */
export async function accountCreator(db: Db, ctx: RequestContext, input: AccountCreateInput): Promise<AccountsTable> {
  const relateTo = relateToOf(ctx, input);
  authorize(ctx.actor, "account.create", { type: input.type, parentId: input.parentId ?? null, relateTo });
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
        // Created in a partner's portal (the policy let a non-producer through only as a portal
        // admin of `relateTo`): that partner manages it and may place its users.
        managed_by: relateTo !== null && !isProducerStaff(ctx.actor) ? relateTo : null,
        created_at: now,
        updated_at: now,
      };
      let partner: AccountsTable | undefined;
      if (relateTo !== null) {
        partner = await findAccount(trx, relateTo);
        if (!partner) throw errors.validation("relateTo", `account '${relateTo}' does not exist`);
        if (partner.type !== "CHANNEL_PARTNER") {
          throw errors.validation(
            "relateTo",
            `account '${relateTo}' is not a CHANNEL_PARTNER; only partners have related accounts`,
          );
        }
      }
      await trx.insertInto("accounts").values(row).execute();
      if (partner) {
        await trx
          .insertInto("account_relations")
          .values([
            { account_id: partner.id, related_account_id: row.id, created_at: now },
            { account_id: row.id, related_account_id: partner.id, created_at: now },
          ])
          .execute();
      }
      await recordAudit(trx, ctx, {
        action: "account.created",
        objectType: "account",
        objectId: row.id,
        after: presentAccount(row, partner ? [partner.id] : []) as never,
      });
      await emitAccount(trx, ctx, "account.created", row.id, partner ? { relatedAccountId: partner.id } : {});
      if (partner) {
        await recordAudit(trx, ctx, {
          action: "account.related",
          objectType: "account",
          objectId: partner.id,
          after: { relatedAccountId: row.id },
        });
      }
      return row;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw errors.alreadyExists("id", `An account with ID '${input.id}' already exists.`);
    throw err;
  }
}
