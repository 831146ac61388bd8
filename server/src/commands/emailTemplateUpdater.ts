import type { EmailTemplateUpdateBody } from "../../../common/src/api/email.js";
import {
  DEFAULT_EMAIL_TEMPLATES,
  type EmailTemplate,
  type EmailTemplateName,
  templateProblems,
} from "../../../common/src/rules/emailTemplates.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { EMAIL_TEMPLATES_KEY, forgetTemplates, loadStoredTemplates } from "../db/repos/email.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";
import { nowIso } from "../util.js";

/**
 * Edits an email template (producer admins): subject and/or body, or `reset` to the shipped
 * default. A placeholder the template does not know is refused, named. Audited.
 */
export async function emailTemplateUpdater(
  db: Db,
  ctx: RequestContext,
  name: EmailTemplateName,
  patch: EmailTemplateUpdateBody,
): Promise<{ template: EmailTemplate; isDefault: boolean }> {
  authorize(ctx.actor, "settings.write");
  const out = await db.transaction().execute(async (trx) => {
    const stored = await loadStoredTemplates(trx);
    const before = stored[name] ?? DEFAULT_EMAIL_TEMPLATES[name];
    const after: EmailTemplate = patch.reset
      ? DEFAULT_EMAIL_TEMPLATES[name]
      : { subject: patch.subject ?? before.subject, body: patch.body ?? before.body };
    const problems = templateProblems(name, after);
    if (problems.length) throw errors.validationMany(problems);
    const next = { ...stored };
    if (patch.reset) delete next[name];
    else next[name] = after;
    const now = nowIso();
    const value = JSON.stringify(next);
    await trx
      .insertInto("settings")
      .values({ key: EMAIL_TEMPLATES_KEY, value, updated_at: now })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value, updated_at: now }))
      .execute();
    if (JSON.stringify(before) !== JSON.stringify(after))
      await recordAudit(trx, ctx, {
        action: "settings.email_template_updated",
        objectType: "settings",
        objectId: `emailTemplates.${name}`,
        before: { ...before },
        after: { ...after },
      });
    return { template: after, isDefault: next[name] === undefined };
  });
  forgetTemplates(db);
  return out;
}
