import type { Membership, User } from "../../../common/src/api/users.js";
import type { UserStatus } from "../../../common/src/enums.js";
import type { UsersTable } from "../db/schema.js";

export function presentUser(row: UsersTable, memberships: Membership[]): User {
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
    emailVerified: row.email_verified_at != null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
