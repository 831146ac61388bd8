import type { AccountType } from "../../../../common/src/enums.js";
import type { DateFilter, TextFilter } from "../../domain/filters.js";
import { after, dateMatch, decodeCursor, type Page, type PageRequest, pageLimit, textMatch, toPage } from "../paging.js";
import type { AccountsTable, Db, Trx } from "../schema.js";

export async function findAccount(db: Db | Trx, id: string): Promise<AccountsTable | undefined> {
  return db.selectFrom("accounts").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function relatedAccountIds(db: Db | Trx, id: string): Promise<string[]> {
  const rows = await db
    .selectFrom("account_relations")
    .select("related_account_id")
    .where("account_id", "=", id)
    .orderBy("related_account_id")
    .execute();
  return rows.map((r) => r.related_account_id);
}

export async function relatedAccountIdsMany(db: Db | Trx, ids: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return map;
  const rows = await db
    .selectFrom("account_relations")
    .select(["account_id", "related_account_id"])
    .where("account_id", "in", ids)
    .orderBy("related_account_id")
    .execute();
  for (const r of rows) map.get(r.account_id)?.push(r.related_account_id);
  return map;
}

/** The partner account managing each of these accounts (`managed_by`), where one does. */
export async function accountManagers(db: Db | Trx, ids: string[]): Promise<Map<string, string | null>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom("accounts").select(["id", "managed_by"]).where("id", "in", ids).execute();
  return new Map(rows.map((r) => [r.id, r.managed_by]));
}

/** An account with the accounts related to it: what its JSON is made of. */
export interface AccountRecord {
  row: AccountsTable;
  relatedAccountIds: string[];
}

export async function findPublisher(db: Db | Trx): Promise<AccountsTable | undefined> {
  return db.selectFrom("accounts").selectAll().where("type", "=", "PUBLISHER").executeTakeFirst();
}

export interface AccountListFilter {
  /** Restrict to these accounts (portal users); null = all (producer staff). */
  onlyIds: string[] | null;
  q?: string | undefined;
  id?: TextFilter | undefined;
  name?: TextFilter | undefined;
  type?: AccountType | undefined;
  parentId?: string | undefined;
  country?: TextFilter | undefined;
  createdAt?: DateFilter | undefined;
}

/** Accounts ordered by ID, keyset-paged. */
export async function listAccounts(db: Db, f: AccountListFilter, page: PageRequest): Promise<Page<AccountsTable>> {
  const limit = pageLimit(page);
  const cur = decodeCursor(page.cursor, 1);
  let q = db.selectFrom("accounts").selectAll();
  if (f.onlyIds) {
    if (f.onlyIds.length === 0) return { items: [], nextCursor: null };
    q = q.where("id", "in", f.onlyIds);
  }
  if (f.q) {
    const term: TextFilter = { op: "CONTAINS", value: f.q };
    q = q.where((eb) => eb.or([textMatch(eb, "id", term), textMatch(eb, "name", term)]));
  }
  if (f.id) q = q.where((eb) => textMatch(eb, "id", f.id as TextFilter));
  if (f.name) q = q.where((eb) => textMatch(eb, "name", f.name as TextFilter));
  if (f.country) q = q.where((eb) => textMatch(eb, "country", f.country as TextFilter));
  if (f.type) q = q.where("type", "=", f.type);
  if (f.parentId) q = q.where("parent_id", "=", f.parentId);
  if (f.createdAt) q = q.where((eb) => dateMatch(eb, "created_at", f.createdAt as DateFilter));
  if (cur) q = q.where((eb) => after(eb, ["id"], cur));
  const rows = await q
    .orderBy("id")
    .limit(limit + 1)
    .execute();
  return toPage(
    rows,
    limit,
    (r) => [r.id],
    (r) => r,
  );
}
