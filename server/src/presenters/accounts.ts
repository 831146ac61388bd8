import type { Account, RelatedAccount } from "../../../common/src/api/accounts.js";
import type { AccountType } from "../../../common/src/enums.js";
import type { RelatedAccountRow } from "../db/repos/relatedAccounts.js";
import type { AccountsTable } from "../db/schema.js";
import { bool } from "../util.js";

export function presentAccount(row: AccountsTable, relatedAccountIds: string[] = []): Account {
  return {
    id: row.id,
    name: row.name,
    type: row.type as AccountType,
    description: row.description,
    address: {
      address1: row.address1,
      address2: row.address2,
      city: row.city,
      state: row.state,
      zipcode: row.zipcode,
      country: row.country,
      region: row.region,
    },
    visible: bool(row.visible),
    parentId: row.parent_id,
    relatedAccountIds,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function presentRelatedAccount(r: RelatedAccountRow): RelatedAccount {
  return {
    id: r.id,
    name: r.name,
    type: r.type as AccountType,
    country: r.country,
    relatedAt: r.relatedAt,
    managed: r.managed,
    tiers: r.tiers,
    sharedEntitlements: r.sharedEntitlements,
  };
}
