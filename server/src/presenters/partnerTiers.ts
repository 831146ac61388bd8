import type { PartnerTier } from "../../../common/src/api/partnerTiers.js";
import type { PartnerTiersTable } from "../db/schema.js";
import { bool } from "../util.js";

export function presentPartnerTier(row: PartnerTiersTable): PartnerTier {
  return {
    name: row.name,
    displayName: row.display_name,
    description: row.description,
    rank: row.rank,
    builtIn: bool(row.built_in),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
