import type { RequestContext } from "../actor.js";
import { recordAudits } from "../audit.js";
import { isUniqueViolation } from "../db/constraints.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { activeSigningKey, auditedKey, newSigningKeyRow, type SigningKeyRow } from "../licensing/keyring.js";
import { currentKek, type Kek, type SecretConfig } from "../licensing/secret.js";
import { authorize } from "../policies/index.js";

/**
 * Rotates the license signing key (producer admins): a new key becomes the active one and signs
 * every license from now on; the old one is retired — still published, so every license it
 * signed keeps verifying. Both changes and their audit events commit together.
 */
export async function licenseKeyRotator(
  db: Db,
  ctx: RequestContext,
  config: SecretConfig,
): Promise<{ active: SigningKeyRow; retired: SigningKeyRow | null }> {
  authorize(ctx.actor, "licenseKey.rotate");
  const kek = currentKek(config, true) as Kek;
  // Two rotations at once: the one-active-key index refuses the second insert; it runs again on
  // top of the first (two new keys, each rotated in turn), which is what both callers asked for.
  for (let attempt = 1; ; attempt++) {
    const row = newSigningKeyRow(kek);
    try {
      return await db.transaction().execute(async (trx) => {
        const old = await activeSigningKey(trx);
        if (old && old.kek_id !== kek.id) {
          // A key this process's secret cannot open would be one the other processes cannot open either.
          throw errors.conflict(
            `the active signing key ${old.kid} is sealed under another secret than this process's (${kek.source}): set LICENSOR_SIGNING_KEY_SECRET to the same value on every server process before rotating`,
          );
        }
        let retired: SigningKeyRow | null = null;
        if (old) {
          const r = await trx
            .updateTable("signing_keys")
            .set({ status: "RETIRED", retired_at: row.created_at })
            .where("id", "=", old.id)
            .where("status", "=", "ACTIVE")
            .executeTakeFirst();
          if (Number(r.numUpdatedRows) === 1) retired = { ...old, status: "RETIRED", retired_at: row.created_at };
        }
        await trx.insertInto("signing_keys").values(row).execute();
        await recordAudits(trx, ctx, [
          ...(retired && old
            ? [
                {
                  action: "licenseKey.retired",
                  objectType: "licenseKey",
                  objectId: old.kid,
                  before: auditedKey(old),
                  after: auditedKey(retired),
                },
              ]
            : []),
          { action: "licenseKey.created", objectType: "licenseKey", objectId: row.kid, after: auditedKey(row) },
        ]);
        return { active: row, retired };
      });
    } catch (err) {
      if (isUniqueViolation(err) && attempt < 5) continue;
      throw err;
    }
  }
}
