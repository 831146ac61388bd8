import type { SettingsUpdateBody } from "../../../common/src/api/settings.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { forgetSettings, loadSettings, type Settings, saveSetting } from "../db/repos/settings.js";
import type { Db } from "../db/schema.js";
import { templateProblems } from "../domain/idTemplates.js";
import { keyFormatProblems } from "../domain/keyFormat.js";
import { redeemedIdTemplateProblem } from "../domain/redemption.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { nowIso } from "../util.js";

/** The request body, as the route validated it (common/src/api). */
export type SettingsPatch = SettingsUpdateBody;

/**
 * Changes instance settings (ID generators, the redeemed entitlement's ID template, the key
 * format, the two FNO state settings, the producer's name); producer admins only.
 */
export async function settingsUpdater(db: Db, ctx: RequestContext, patch: SettingsPatch): Promise<Settings> {
  authorize(ctx.actor, "settings.write");
  const problems = [
    ...(patch.idTemplates?.entitlement ? templateProblems(patch.idTemplates.entitlement, "idTemplates.entitlement") : []),
    ...(patch.idTemplates?.activation ? templateProblems(patch.idTemplates.activation, "idTemplates.activation") : []),
    ...(patch.keyFormat ? keyFormatProblems(patch.keyFormat) : []),
    ...redeemedTemplateProblems(patch.redeemedEntitlementIdTemplate),
    ...(patch.producerName !== undefined && patch.producerName.trim() === ""
      ? [{ field: "producerName", message: "must not be blank" }]
      : []),
  ];
  if (problems.length) throw errors.validationMany(problems);
  const saved = await db.transaction().execute(async (trx) => {
    const before = await loadSettings(trx);
    const after: Settings = {
      idTemplates: { ...before.idTemplates, ...patch.idTemplates },
      allowEditDeployed: patch.allowEditDeployed ?? before.allowEditDeployed,
      allowUsedItemsInactiveObsolete: patch.allowUsedItemsInactiveObsolete ?? before.allowUsedItemsInactiveObsolete,
      keyFormat: patch.keyFormat ?? before.keyFormat,
      redeemedEntitlementIdTemplate: patch.redeemedEntitlementIdTemplate ?? before.redeemedEntitlementIdTemplate,
      producerName: patch.producerName?.trim() ?? before.producerName,
    };
    const now = nowIso();
    if (patch.idTemplates) await saveSetting(trx, "idTemplates", after.idTemplates, now);
    if (patch.allowEditDeployed !== undefined) await saveSetting(trx, "allowEditDeployed", after.allowEditDeployed, now);
    if (patch.keyFormat) await saveSetting(trx, "keyFormat", after.keyFormat, now);
    if (patch.redeemedEntitlementIdTemplate !== undefined)
      await saveSetting(trx, "redeemedEntitlementIdTemplate", after.redeemedEntitlementIdTemplate, now);
    if (patch.producerName !== undefined) await saveSetting(trx, "producerName", after.producerName, now);
    if (patch.allowUsedItemsInactiveObsolete !== undefined) {
      await saveSetting(trx, "allowUsedItemsInactiveObsolete", after.allowUsedItemsInactiveObsolete, now);
    }
    if (JSON.stringify(before) === JSON.stringify(after)) return after;
    await recordAudit(trx, ctx, {
      action: "settings.updated",
      objectType: "settings",
      objectId: "instance",
      before: { ...before },
      after: { ...after },
    });
    return after;
  });
  forgetSettings(db);
  return saved;
}

function redeemedTemplateProblems(t: string | undefined): { field: string; message: string }[] {
  if (t === undefined) return [];
  const p = redeemedIdTemplateProblem(t);
  return p ? [{ field: "redeemedEntitlementIdTemplate", message: p }] : [];
}
