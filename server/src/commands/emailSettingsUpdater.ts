import type { EmailSettingsUpdateBody } from "../../../common/src/api/email.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { Config } from "../config.js";
import { EMAIL_SETTINGS_KEY, loadEmailSettings, type StoredEmailSettings } from "../db/repos/email.js";
import type { Db } from "../db/schema.js";
import { emailSettingsProblems, patchedText } from "../domain/email.js";
import { errors } from "../errors.js";
import { sealSmtpPassword } from "../mail/smtp.js";
import { authorize } from "../policies/index.js";
import { presentEmailSettings } from "../presenters/email.js";
import { nowIso } from "../util.js";

/**
 * Changes Settings → Email (producer admins). The password is sealed before it is stored; an
 * absent password keeps the stored one, null clears it. The audit event records the settings as
 * answered (`passwordSet`), never the password.
 */
export async function emailSettingsUpdater(
  db: Db,
  ctx: RequestContext,
  config: Pick<Config, "dataDir" | "signingKeySecret">,
  patch: EmailSettingsUpdateBody,
): Promise<StoredEmailSettings> {
  authorize(ctx.actor, "settings.write");
  return db.transaction().execute(async (trx) => {
    const before = await loadEmailSettings(trx);
    const after: StoredEmailSettings = {
      host: patchedText(patch.host, before.host),
      port: patch.port ?? before.port,
      security: patch.security ?? before.security,
      user: patchedText(patch.user, before.user),
      passwordSealed:
        patch.password === undefined
          ? before.passwordSealed
          : patch.password === null || patch.password === ""
            ? null
            : sealSmtpPassword(config, patch.password),
      fromAddress: patchedText(patch.fromAddress, before.fromAddress),
      fromName: patchedText(patch.fromName, before.fromName),
    };
    const problems = emailSettingsProblems(after);
    if (problems.length) throw errors.validationMany(problems);
    const now = nowIso();
    const value = JSON.stringify(after);
    await trx
      .insertInto("settings")
      .values({ key: EMAIL_SETTINGS_KEY, value, updated_at: now })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value, updated_at: now }))
      .execute();
    const b = presentEmailSettings(before);
    const a = presentEmailSettings(after);
    const passwordChanged = patch.password !== undefined && before.passwordSealed !== after.passwordSealed;
    if (JSON.stringify(a) !== JSON.stringify(b) || passwordChanged) {
      await recordAudit(trx, ctx, {
        action: "settings.email_updated",
        objectType: "settings",
        objectId: "email",
        before: { ...b },
        after: { ...a, ...(passwordChanged ? { passwordChanged: true } : {}) },
      });
    }
    return after;
  });
}
