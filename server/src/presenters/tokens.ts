import type { ApiToken } from "../../../common/src/api/tokens.js";
import type { Role } from "../../../common/src/enums.js";
import type { ApiTokensTable } from "../db/schema.js";

export function presentToken(row: ApiTokensTable, userEmail: string): ApiToken {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    accountId: row.account_id,
    role: row.role as Role,
    userId: row.user_id,
    userEmail,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
