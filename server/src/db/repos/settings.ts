import { DEFAULT_TEMPLATES, type IdTemplate } from "../../domain/idTemplates.js";
import { DEFAULT_KEY_FORMAT, type KeyFormat } from "../../domain/keyFormat.js";
import type { Db, Trx } from "../schema.js";

/** Instance-wide settings, with their defaults. Stored one JSON value per key. */
export interface Settings {
  idTemplates: { entitlement: IdTemplate; activation: IdTemplate };
  /** FNO "Allow Editing of Deployed Entities": dates and descriptions of DEPLOYED items may change. */
  allowEditDeployed: boolean;
  /** FNO "Allow used entitlement/line item state change to Inactive or Obsolete". */
  allowUsedItemsInactiveObsolete: boolean;
  /** Shape of generated web register keys (the last symbol is always the check symbol). */
  keyFormat: KeyFormat;
}

export const DEFAULT_SETTINGS: Settings = {
  idTemplates: { entitlement: DEFAULT_TEMPLATES.entitlement, activation: DEFAULT_TEMPLATES.activation },
  allowEditDeployed: false,
  allowUsedItemsInactiveObsolete: false,
  keyFormat: DEFAULT_KEY_FORMAT,
};

const KEYS = ["idTemplates", "allowEditDeployed", "allowUsedItemsInactiveObsolete", "keyFormat"] as const;

export async function loadSettings(db: Db | Trx): Promise<Settings> {
  const rows = await db
    .selectFrom("settings")
    .selectAll()
    .where("key", "in", [...KEYS])
    .execute();
  const out: Settings = structuredClone(DEFAULT_SETTINGS);
  for (const r of rows) {
    const v = JSON.parse(r.value);
    if (r.key === "idTemplates") out.idTemplates = { ...out.idTemplates, ...v };
    else if (r.key === "allowEditDeployed") out.allowEditDeployed = v === true;
    else if (r.key === "allowUsedItemsInactiveObsolete") out.allowUsedItemsInactiveObsolete = v === true;
    else if (r.key === "keyFormat") out.keyFormat = { ...out.keyFormat, ...v };
  }
  return out;
}

export async function saveSetting(trx: Trx, key: (typeof KEYS)[number], value: unknown, now: string): Promise<void> {
  const v = JSON.stringify(value);
  await trx
    .insertInto("settings")
    .values({ key, value: v, updated_at: now })
    .onConflict((oc) => oc.column("key").doUpdateSet({ value: v, updated_at: now }))
    .execute();
}
