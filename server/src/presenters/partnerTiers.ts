import type { PartnerTiersTable } from "../db/schema.js";
import { bool } from "../util.js";

export interface PartnerTierJson {
  name: string;
  displayName: string;
  description: string | null;
  rank: number;
  builtIn: boolean;
  createdAt: string;
  updatedAt: string;
}

export function presentPartnerTier(row: PartnerTiersTable): PartnerTierJson {
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
