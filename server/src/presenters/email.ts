import type {
  EmailKind,
  EmailMessage,
  EmailMessageDetail,
  EmailSettings,
  EmailStatus,
  EmailTemplateOut,
} from "../../../common/src/api/email.js";
import { EMAIL_PLACEHOLDERS, type EmailTemplate, type EmailTemplateName } from "../../../common/src/rules/emailTemplates.js";
import type { EmailMessageRow, StoredEmailSettings } from "../db/repos/email.js";

/** Settings → Email as JSON: whether a password is set, never the password (sealed or not). */
export function presentEmailSettings(s: StoredEmailSettings): EmailSettings {
  return {
    host: s.host,
    port: s.port,
    security: s.security,
    user: s.user,
    passwordSet: s.passwordSealed !== null,
    fromAddress: s.fromAddress,
    fromName: s.fromName,
    configured: Boolean(s.host && s.fromAddress),
  };
}

export function presentEmailTemplate(name: EmailTemplateName, t: EmailTemplate, isDefault: boolean): EmailTemplateOut {
  return {
    name,
    subject: t.subject,
    body: t.body,
    isDefault,
    placeholders: Object.entries(EMAIL_PLACEHOLDERS[name]).map(([n, description]) => ({ name: n, description })),
  };
}

export function presentEmailMessage(r: EmailMessageRow): EmailMessage {
  return {
    id: r.id,
    kind: r.kind as EmailKind,
    to: JSON.parse(r.recipients) as string[],
    subject: r.subject,
    status: r.status as EmailStatus,
    attempts: r.attempts,
    lastError: r.last_error,
    nextAttemptAt: r.status === "QUEUED" ? r.next_attempt_at : null,
    sentAt: r.sent_at,
    objectType: r.object_type,
    objectId: r.object_id,
    createdBy: r.created_by_label,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface StoredAttachment {
  filename: string;
  contentType: string;
  content: string;
  encoding?: "base64";
}

export const attachmentsOf = (r: EmailMessageRow) => JSON.parse(r.attachments) as StoredAttachment[];

export const attachmentBytes = (a: StoredAttachment) =>
  a.encoding === "base64" ? Buffer.from(a.content, "base64") : Buffer.from(a.content, "utf8");

export function presentEmailMessageDetail(r: EmailMessageRow): EmailMessageDetail {
  return {
    ...presentEmailMessage(r),
    bodyText: r.body_text,
    attachments: attachmentsOf(r).map((a, index) => ({
      index,
      filename: a.filename,
      contentType: a.contentType,
      size: attachmentBytes(a).length,
    })),
  };
}
