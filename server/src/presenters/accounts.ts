import type { AccountType } from "../../../common/src/enums.js";
import type { AccountsTable } from "../db/schema.js";
import { bool } from "../util.js";

export interface AccountJson {
  id: string;
  name: string;
  type: AccountType;
  description: string | null;
  address: {
    address1: string | null;
    address2: string | null;
    city: string | null;
    state: string | null;
    zipcode: string | null;
    country: string | null;
    region: string | null;
  };
  visible: boolean;
  parentId: string | null;
  relatedAccountIds: string[];
  createdAt: string;
  updatedAt: string;
}

export function presentAccount(row: AccountsTable, relatedAccountIds: string[] = []): AccountJson {
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
