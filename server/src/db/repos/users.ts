import type { AccountType, Role, UserStatus } from "../../../../common/src/enums.js";
import type { Membership } from "../../actor.js";
import type { TextFilter } from "../../domain/filters.js";
import { after, decodeCursor, type Page, type PageRequest, pageLimit, textMatch, toPage } from "../paging.js";
import type { Db, Trx, UsersTable } from "../schema.js";

export async function findUser(db: Db | Trx, id: string): Promise<UsersTable | undefined> {
  return db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function findUserByEmail(db: Db | Trx, email: string): Promise<UsersTable | undefined> {
  return db.selectFrom("users").selectAll().where("email", "=", email.trim().toLowerCase()).executeTakeFirst();
}

/** A role a user holds on an account, with the account's name (as the user's memberships are shown). */
export interface NamedMembership extends Membership {
  accountName: string;
}

export async function membershipsMany(db: Db | Trx, userIds: string[]): Promise<Map<string, NamedMembership[]>> {
  const map = new Map<string, NamedMembership[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return map;
  const rows = await db
    .selectFrom("user_roles")
    .innerJoin("accounts", "accounts.id", "user_roles.account_id")
    .select(["user_roles.user_id", "user_roles.account_id", "user_roles.role", "accounts.name", "accounts.type"])
    .where("user_roles.user_id", "in", userIds)
    .orderBy("user_roles.account_id")
    .orderBy("user_roles.role")
    .execute();
  for (const r of rows) {
    map
      .get(r.user_id)
      ?.push({ accountId: r.account_id, accountName: r.name, accountType: r.type as AccountType, role: r.role as Role });
  }
  return map;
}

export async function membershipsOfUser(db: Db | Trx, userId: string): Promise<NamedMembership[]> {
  return (await membershipsMany(db, [userId])).get(userId) ?? [];
}

export interface UserListFilter {
  /** Only users holding a role on one of these accounts; null = all. */
  onlyAccountIds: string[] | null;
  /** Only this user (portal users who administer no account see just themselves). */
  onlyUserId?: string | undefined;
  q?: string | undefined;
  email?: TextFilter | undefined;
  lastName?: TextFilter | undefined;
  accountId?: string | undefined;
  role?: Role | undefined;
  status?: UserStatus | undefined;
}

/** Users ordered by email, keyset-paged. */
export async function listUsers(db: Db, f: UserListFilter, page: PageRequest): Promise<Page<UsersTable>> {
  const limit = pageLimit(page);
  const cur = decodeCursor(page.cursor, 1);
  let q = db.selectFrom("users").selectAll();
  if (f.onlyAccountIds && !f.onlyUserId) {
    if (f.onlyAccountIds.length === 0) return { items: [], nextCursor: null };
    const ids = f.onlyAccountIds;
    q = q.where("id", "in", (eb) => eb.selectFrom("user_roles").select("user_id").where("account_id", "in", ids));
  }
  if (f.onlyUserId) q = q.where("id", "=", f.onlyUserId);
  if (f.accountId || f.role) {
    q = q.where("id", "in", (eb) => {
      let sub = eb.selectFrom("user_roles").select("user_id");
      if (f.accountId) sub = sub.where("account_id", "=", f.accountId);
      if (f.role) sub = sub.where("role", "=", f.role);
      return sub;
    });
  }
  if (f.q) {
    const t: TextFilter = { op: "CONTAINS", value: f.q };
    q = q.where((eb) => eb.or([textMatch(eb, "email", t), textMatch(eb, "first_name", t), textMatch(eb, "last_name", t)]));
  }
  if (f.email) q = q.where((eb) => textMatch(eb, "email", f.email as TextFilter));
  if (f.lastName) q = q.where((eb) => textMatch(eb, "last_name", f.lastName as TextFilter));
  if (f.status) q = q.where("status", "=", f.status);
  if (cur) q = q.where((eb) => after(eb, ["email"], cur));
  const rows = await q
    .orderBy("email")
    .limit(limit + 1)
    .execute();
  return toPage(
    rows,
    limit,
    (r) => [r.email],
    (r) => r,
  );
}
