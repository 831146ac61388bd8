import type { EmailPreview, EmailTemplateBody } from "../../../common/src/api/email.js";
import {
  EMAIL_SAMPLES,
  type EmailTemplateName,
  renderTemplate,
  templateProblems,
} from "../../../common/src/rules/emailTemplates.js";
import type { RequestContext } from "../actor.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";

/** Renders a template as edited (not saved) with sample values; an unknown placeholder is refused, named. Writes nothing. */
export function emailTemplatePreviewer(ctx: RequestContext, name: EmailTemplateName, t: EmailTemplateBody): EmailPreview {
  authorize(ctx.actor, "settings.read");
  const problems = templateProblems(name, t);
  if (problems.length) throw errors.validationMany(problems);
  const values = EMAIL_SAMPLES[name];
  return { subject: renderTemplate(t.subject, values), body: renderTemplate(t.body, values) };
}
