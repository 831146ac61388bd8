import type { AccountType, Role, UserStatus } from "../../../common/src/enums.js";
import type { UsersTable } from "../db/schema.js";

export interface MembershipJson {
  accountId: string;
  accountName: string;
  accountType: AccountType;
  role: Role;
}

export interface UserJson {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  locale: string | null;
  timeZone: string | null;
  status: UserStatus;
  memberships: MembershipJson[];
  lastLoginAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export function presentUser(row: UsersTable, memberships: MembershipJson[]): UserJson {
  return {
    id: row.id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    phone: row.phone,
    locale: row.locale,
    timeZone: row.time_zone,
    status: row.status as UserStatus,
    memberships,
    lastLoginAt: row.last_login_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
