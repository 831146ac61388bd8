import { DEFAULT_TEMPLATES, type IdTemplate } from "../../domain/idTemplates.js";
import { DEFAULT_KEY_FORMAT, type KeyFormat } from "../../domain/keyFormat.js";
import { DEFAULT_REDEEMED_ID_TEMPLATE } from "../../domain/redemption.js";
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
  /** ID of the simple entitlement a redeemed key becomes; `{key}` is the key (FNO default `{key}ENT`). */
  redeemedEntitlementIdTemplate: string;
  /** The producer's name, shown by the partner and customer portals ("<name> partner portal"). */
  producerName: string;
}

export const DEFAULT_SETTINGS: Settings = {
  idTemplates: { entitlement: DEFAULT_TEMPLATES.entitlement, activation: DEFAULT_TEMPLATES.activation },
  allowEditDeployed: false,
  allowUsedItemsInactiveObsolete: false,
  keyFormat: DEFAULT_KEY_FORMAT,
  redeemedEntitlementIdTemplate: DEFAULT_REDEEMED_ID_TEMPLATE,
  producerName: "Licensor",
};

const KEYS = [
  "idTemplates",
  "allowEditDeployed",
  "allowUsedItemsInactiveObsolete",
  "keyFormat",
  "redeemedEntitlementIdTemplate",
  "producerName",
] as const;

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
    else if (r.key === "redeemedEntitlementIdTemplate" && typeof v === "string") out.redeemedEntitlementIdTemplate = v;
    else if (r.key === "producerName" && typeof v === "string") out.producerName = v;
  }
  return out;
}

const RECENT_MS = 1000;
const recent = new WeakMap<Db, { at: number; value: Promise<Settings> }>();

/**
 * Settings as read within the last second, for the redemption path where one more round trip per
 * call is measurable. A change made through this process is seen at once ({@link forgetSettings}
 * after its commit); one made through another server process within a second.
 */
export function recentSettings(db: Db): Promise<Settings> {
  const hit = recent.get(db);
  if (hit && Date.now() - hit.at < RECENT_MS) return hit.value;
  const value = loadSettings(db);
  recent.set(db, { at: Date.now(), value });
  value.catch(() => recent.delete(db));
  return value;
}

export function forgetSettings(db: Db): void {
  recent.delete(db);
}

export async function saveSetting(trx: Trx, key: (typeof KEYS)[number], value: unknown, now: string): Promise<void> {
  const v = JSON.stringify(value);
  await trx
    .insertInto("settings")
    .values({ key, value: v, updated_at: now })
    .onConflict((oc) => oc.column("key").doUpdateSet({ value: v, updated_at: now }))
    .execute();
}
