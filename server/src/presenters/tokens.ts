import type { Role } from "../../../common/src/enums.js";
import type { ApiTokensTable } from "../db/schema.js";

export interface TokenJson {
  id: string;
  name: string;
  /** The first characters of the secret, enough to recognise it; never the whole token. */
  prefix: string;
  accountId: string;
  role: Role;
  userId: string;
  userEmail: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export function presentToken(row: ApiTokensTable, userEmail: string): TokenJson {
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
