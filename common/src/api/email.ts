import { type Static, Type } from "typebox";
import { EMAIL_TEMPLATE_NAMES } from "../rules/emailTemplates.js";
import { NullableString, PageQuery, StringEnum } from "./shared.js";

export { EMAIL_TEMPLATE_NAMES, type EmailTemplateName } from "../rules/emailTemplates.js";

export const SMTP_SECURITIES = ["NONE", "STARTTLS", "TLS"] as const;
export type SmtpSecurity = (typeof SMTP_SECURITIES)[number];
export const EMAIL_KINDS = [
  "ENTITLEMENT_CERTIFICATE",
  "LICENSE",
  "SPLIT_NOTICE",
  "TEST",
  "PASSWORD_RESET",
  "VERIFY_EMAIL",
] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];
export const EMAIL_STATUSES = ["QUEUED", "SENDING", "SENT", "FAILED", "NOT_SENT_NO_SMTP"] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

const Address = Type.String({ format: "email", maxLength: 254 });

/** Settings → Email as answered: never the password, only whether one is set. */
export const EmailSettingsSchema = Type.Object(
  {
    host: Type.Union([Type.String(), Type.Null()], {
      description: "SMTP host; null: nothing is sent, messages stay in the Outbox.",
    }),
    port: Type.Integer(),
    security: StringEnum(SMTP_SECURITIES, {
      description: "NONE (plain), STARTTLS (upgrade, usually 587), TLS (implicit, usually 465).",
    }),
    user: Type.Union([Type.String(), Type.Null()]),
    passwordSet: Type.Boolean({ description: "Whether a password is stored (encrypted at rest); it is never returned." }),
    fromAddress: Type.Union([Type.String(), Type.Null()]),
    fromName: Type.Union([Type.String(), Type.Null()]),
    configured: Type.Boolean({ description: "A host and a from address are set: messages are sent." }),
  },
  { $id: "EmailSettings" },
);

export const EmailSettingsUpdateBody = Type.Object(
  {
    host: Type.Optional(NullableString({ maxLength: 253, description: "null or empty: no SMTP (messages stay in the Outbox)." })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    security: Type.Optional(StringEnum(SMTP_SECURITIES)),
    user: Type.Optional(NullableString({ maxLength: 255 })),
    password: Type.Optional(
      NullableString({ maxLength: 1024, description: "Absent: kept. null: cleared. A string: replaces it (stored encrypted)." }),
    ),
    fromAddress: Type.Optional(NullableString({ maxLength: 254 })),
    fromName: Type.Optional(NullableString({ maxLength: 128 })),
  },
  { additionalProperties: false },
);

export const EmailTemplateSchema = Type.Object(
  {
    name: StringEnum(EMAIL_TEMPLATE_NAMES),
    subject: Type.String(),
    body: Type.String(),
    isDefault: Type.Boolean({ description: "The shipped default (never edited, or reset)." }),
    placeholders: Type.Array(Type.Object({ name: Type.String(), description: Type.String() })),
  },
  { $id: "EmailTemplate" },
);
export const EmailTemplateListSchema = Type.Object({ items: Type.Array(EmailTemplateSchema) });
export const EmailTemplateParams = Type.Object({
  name: Type.String({ maxLength: 64, description: `A template: ${EMAIL_TEMPLATE_NAMES.join(", ")}.` }),
});
export const EmailTemplateBody = Type.Object(
  {
    subject: Type.String({ minLength: 1, maxLength: 500 }),
    body: Type.String({ minLength: 1, maxLength: 20000 }),
  },
  { additionalProperties: false },
);
export const EmailTemplateUpdateBody = Type.Object(
  {
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    body: Type.Optional(Type.String({ minLength: 1, maxLength: 20000 })),
    reset: Type.Optional(Type.Boolean({ description: "true: back to the shipped default." })),
  },
  { additionalProperties: false },
);
export const EmailPreviewSchema = Type.Object({ subject: Type.String(), body: Type.String() }, { $id: "EmailPreview" });
export const EmailTestBody = Type.Object({ to: Address }, { additionalProperties: false });

export const EmailAttachmentInfoSchema = Type.Object({
  index: Type.Integer({ description: "Its number in GET …/attachments/:n." }),
  filename: Type.String(),
  contentType: Type.String(),
  size: Type.Integer({ description: "Bytes." }),
});

export const EmailMessageSchema = Type.Object(
  {
    id: Type.String(),
    kind: StringEnum(EMAIL_KINDS),
    to: Type.Array(Type.String()),
    subject: Type.String(),
    status: StringEnum(EMAIL_STATUSES),
    attempts: Type.Integer(),
    lastError: Type.Union([Type.String(), Type.Null()]),
    nextAttemptAt: Type.Union([Type.String(), Type.Null()]),
    sentAt: Type.Union([Type.String(), Type.Null()]),
    objectType: Type.Union([Type.String(), Type.Null()]),
    objectId: Type.Union([Type.String(), Type.Null()]),
    createdBy: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: "EmailMessage" },
);
export const EmailMessageDetailSchema = Type.Object(
  { ...EmailMessageSchema.properties, bodyText: Type.String(), attachments: Type.Array(EmailAttachmentInfoSchema) },
  { $id: "EmailMessageDetail" },
);

export const EmailMessageListQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(StringEnum(EMAIL_STATUSES)),
    kind: Type.Optional(StringEnum(EMAIL_KINDS)),
    q: Type.Optional(Type.String({ maxLength: 255, description: "Part of a recipient or of the subject." })),
  },
  { additionalProperties: false },
);
export const EmailMessageParams = Type.Object({ id: Type.String() });
export const EmailAttachmentParams = Type.Object({ id: Type.String(), n: Type.Integer({ minimum: 0 }) });

export type EmailSettings = Static<typeof EmailSettingsSchema>;
export type EmailSettingsUpdateBody = Static<typeof EmailSettingsUpdateBody>;
export type EmailTemplateOut = Static<typeof EmailTemplateSchema>;
export type EmailTemplateBody = Static<typeof EmailTemplateBody>;
export type EmailTemplateUpdateBody = Static<typeof EmailTemplateUpdateBody>;
export type EmailPreview = Static<typeof EmailPreviewSchema>;
export type EmailTestBody = Static<typeof EmailTestBody>;
export type EmailMessage = Static<typeof EmailMessageSchema>;
export type EmailMessageDetail = Static<typeof EmailMessageDetailSchema>;
export type EmailMessageListQuery = Static<typeof EmailMessageListQuery>;
