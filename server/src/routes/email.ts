import type { FastifyInstance } from "fastify";
import {
  EMAIL_TEMPLATE_NAMES,
  EmailAttachmentParams,
  EmailMessageDetailSchema,
  EmailMessageListQuery,
  EmailMessageSchema,
  EmailPreviewSchema,
  EmailSettingsSchema,
  EmailSettingsUpdateBody,
  EmailTemplateBody,
  EmailTemplateListSchema,
  EmailTemplateParams,
  EmailTemplateSchema,
  EmailTemplateUpdateBody,
  EmailTestBody,
} from "../../../common/src/api/email.js";
import { errorResponses, fileResponse, IdParams, Page } from "../../../common/src/api/shared.js";
import {
  DEFAULT_EMAIL_TEMPLATES,
  type EmailTemplateName,
  isEmailTemplateName,
} from "../../../common/src/rules/emailTemplates.js";
import { emailResender } from "../commands/emailResender.js";
import { emailSettingsUpdater } from "../commands/emailSettingsUpdater.js";
import { emailTemplatePreviewer } from "../commands/emailTemplatePreviewer.js";
import { emailTemplateUpdater } from "../commands/emailTemplateUpdater.js";
import { emailTestSender } from "../commands/emailTestSender.js";
import { findEmailMessage, listEmailMessages, loadEmailSettings, loadStoredTemplates } from "../db/repos/email.js";
import { errors } from "../errors.js";
import { nudgeMail } from "../mail/dispatcher.js";
import { ctxOf } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import {
  attachmentBytes,
  attachmentsOf,
  presentEmailMessage,
  presentEmailMessageDetail,
  presentEmailSettings,
  presentEmailTemplate,
} from "../presenters/email.js";
import { typed } from "./typed.js";

/** A template's name from the path; an unknown one is a 404 naming it. */
function templateName(name: string): EmailTemplateName {
  if (!isEmailTemplateName(name)) throw errors.notFound("Email template", name);
  return name;
}

export async function emailRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  const { db } = app.deps;
  const settingsTags = ["settings"];
  const tags = ["email"];

  app.get(
    "/api/v1/settings/email",
    {
      schema: {
        tags: settingsTags,
        summary: "SMTP settings (never the password: passwordSet says whether one is stored)",
        response: { 200: EmailSettingsSchema, ...errorResponses },
      },
    },
    async (req) => {
      authorize(ctxOf(req).actor, "settings.read");
      return presentEmailSettings(await loadEmailSettings(db));
    },
  );

  app.patch(
    "/api/v1/settings/email",
    {
      schema: {
        tags: settingsTags,
        summary: "Change the SMTP settings (producer admins); the password is stored encrypted",
        body: EmailSettingsUpdateBody,
        response: { 200: EmailSettingsSchema, ...errorResponses },
      },
    },
    async (req) => presentEmailSettings(await emailSettingsUpdater(db, ctxOf(req), app.deps.config, req.body)),
  );

  app.post(
    "/api/v1/settings/email/actions/test",
    {
      // It creates a message: a retried request with the same Idempotency-Key queues one.
      config: { idempotent: true },
      schema: {
        tags: settingsTags,
        summary: "Send a test email through the outbox (producer admins)",
        body: EmailTestBody,
        response: { 200: EmailMessageSchema, ...errorResponses },
      },
    },
    async (req) => {
      const row = await emailTestSender(db, ctxOf(req), req.body.to);
      nudgeMail(db);
      return presentEmailMessage(row);
    },
  );

  app.get(
    "/api/v1/settings/email/templates",
    {
      schema: {
        tags: settingsTags,
        summary: "The email templates with the placeholders each may use",
        response: { 200: EmailTemplateListSchema, ...errorResponses },
      },
    },
    async (req) => {
      authorize(ctxOf(req).actor, "settings.read");
      const stored = await loadStoredTemplates(db);
      return {
        items: EMAIL_TEMPLATE_NAMES.map((n) =>
          presentEmailTemplate(n, stored[n] ?? DEFAULT_EMAIL_TEMPLATES[n], stored[n] === undefined),
        ),
      };
    },
  );

  app.patch(
    "/api/v1/settings/email/templates/:name",
    {
      schema: {
        tags: settingsTags,
        summary: "Edit an email template, or reset it to the default (producer admins)",
        params: EmailTemplateParams,
        body: EmailTemplateUpdateBody,
        response: { 200: EmailTemplateSchema, ...errorResponses },
      },
    },
    async (req) => {
      const name = templateName(req.params.name);
      const r = await emailTemplateUpdater(db, ctxOf(req), name, req.body);
      return presentEmailTemplate(name, r.template, r.isDefault);
    },
  );

  app.post(
    "/api/v1/settings/email/templates/:name/actions/preview",
    {
      schema: {
        tags: settingsTags,
        summary: "Render a template as edited, with sample values (nothing is saved)",
        params: EmailTemplateParams,
        body: EmailTemplateBody,
        response: { 200: EmailPreviewSchema, ...errorResponses },
      },
    },
    async (req) => emailTemplatePreviewer(ctxOf(req), templateName(req.params.name), req.body),
  );

  app.get(
    "/api/v1/email/messages",
    {
      schema: {
        tags,
        summary: "The outbox: every email, newest first",
        querystring: EmailMessageListQuery,
        response: { 200: Page(EmailMessageSchema), ...errorResponses },
      },
    },
    async (req) => {
      authorize(ctxOf(req).actor, "email.list");
      const page = await listEmailMessages(db, { status: req.query.status, kind: req.query.kind, q: req.query.q }, req.query);
      return { items: page.items.map(presentEmailMessage), nextCursor: page.nextCursor };
    },
  );

  app.get(
    "/api/v1/email/messages/:id",
    {
      schema: {
        tags,
        summary: "One email with its text and attachment list",
        params: IdParams,
        response: { 200: EmailMessageDetailSchema, ...errorResponses },
      },
    },
    async (req) => {
      authorize(ctxOf(req).actor, "email.read");
      const row = await findEmailMessage(db, req.params.id);
      if (!row) throw errors.notFound("Email message", req.params.id);
      return presentEmailMessageDetail(row);
    },
  );

  app.get(
    "/api/v1/email/messages/:id/attachments/:n",
    {
      schema: {
        tags,
        summary: "Download an attachment of an email (its number from the message's attachment list)",
        params: EmailAttachmentParams,
        response: { 200: fileResponse("application/octet-stream", "The attachment as sent."), ...errorResponses },
      },
    },
    async (req, reply) => {
      authorize(ctxOf(req).actor, "email.read");
      const row = await findEmailMessage(db, req.params.id);
      if (!row) throw errors.notFound("Email message", req.params.id);
      const a = attachmentsOf(row)[req.params.n];
      if (!a) throw errors.notFound("Attachment", String(req.params.n));
      reply.header("content-type", a.contentType);
      reply.header("content-disposition", `attachment; filename="${a.filename.replace(/["\\\r\n]/g, "_")}"`);
      return reply.send(attachmentBytes(a));
    },
  );

  app.post(
    "/api/v1/email/messages/:id/actions/resend",
    {
      schema: {
        tags,
        summary: "Queue an email again, with a fresh set of attempts (producer admins and operations)",
        params: IdParams,
        response: { 200: EmailMessageSchema, ...errorResponses },
      },
    },
    async (req) => {
      const row = await emailResender(db, ctxOf(req), req.params.id);
      nudgeMail(db);
      return presentEmailMessage(row);
    },
  );
}
