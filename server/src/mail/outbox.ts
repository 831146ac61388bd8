import type { EmailKind } from "../../../common/src/api/email.js";
import { type EmailTemplate, renderTemplate } from "../../../common/src/rules/emailTemplates.js";
import { actorLabel, type RequestContext } from "../actor.js";
import { loadTemplate } from "../db/repos/email.js";
import { findEntitlement, lineItemsOf, partnersOf } from "../db/repos/entitlements.js";
import type { Db, EmailMessagesTable, Trx } from "../db/schema.js";
import { newId, nowIso } from "../util.js";
import { type CertificateData, certificateDataOf, certificateText, certificateValues, safeFileName } from "./certificate.js";
import { type MailEnvironment, mailEnvironment } from "./environment.js";

/**
 * The outbox, as other slices use it: a message is a row of `email_messages` written in the
 * caller's transaction (so it commits with what caused it, or not at all), QUEUED; the dispatcher
 * (dispatcher.ts) hands it to a `mail.send` job when its turn comes.
 */

export interface MailAttachment {
  filename: string;
  contentType: string;
  /** Text as it is, or base64 when `encoding` says so. */
  content: string;
  encoding?: "base64";
}

export interface NewEmail {
  kind: EmailKind;
  to: string[];
  subject: string;
  body: string;
  attachments: MailAttachment[];
  objectType: string | null;
  objectId: string | null;
}

/** Addresses from a list or a comma/semicolon-separated text: trimmed, empty ones dropped, each once. */
export function recipientsOf(list: string | readonly string[] | null | undefined): string[] {
  if (!list) return [];
  const parts = typeof list === "string" ? list.split(/[,;]/) : list.flatMap((s) => s.split(/[,;]/));
  const out: string[] = [];
  for (const p of parts.map((s) => s.trim()).filter(Boolean))
    if (!out.some((o) => o.toLowerCase() === p.toLowerCase())) out.push(p);
  return out;
}

/** The row a message is, QUEUED for now. */
export function emailRow(ctx: RequestContext, m: NewEmail, now = nowIso()): EmailMessagesTable {
  return {
    id: newId(),
    kind: m.kind,
    recipients: JSON.stringify(m.to),
    subject: m.subject.replace(/[\r\n]+/g, " "),
    body_text: m.body,
    attachments: JSON.stringify(m.attachments),
    status: "QUEUED",
    attempts: 0,
    last_error: null,
    next_attempt_at: now,
    sent_at: null,
    job_id: null,
    object_type: m.objectType,
    object_id: m.objectId,
    created_by: ctx.actor.userId,
    created_by_label: actorLabel(ctx.actor),
    created_at: now,
    updated_at: now,
  };
}

/** Writes a message in the caller's transaction; returns its id. */
export async function queueEmail(trx: Trx | Db, ctx: RequestContext, m: NewEmail): Promise<string> {
  const row = emailRow(ctx, m);
  await trx.insertInto("email_messages").values(row).execute();
  return row.id;
}

/** The entitlement certificate email of `data`, rendered with `template` (pure: the redemption path builds it from its plan). */
export function certificateEmail(
  template: EmailTemplate,
  data: CertificateData,
  to: string[],
  objectId: string,
  env: MailEnvironment = mailEnvironment(),
): NewEmail {
  const values = certificateValues(data, env);
  return {
    kind: "ENTITLEMENT_CERTIFICATE",
    to,
    subject: renderTemplate(template.subject, values),
    body: renderTemplate(template.body, values),
    attachments: [
      {
        filename: `entitlement-certificate-${safeFileName(data.entitlementId)}.txt`,
        contentType: "text/plain; charset=utf-8",
        content: certificateText(data, env),
      },
    ],
    objectType: "entitlement",
    objectId,
  };
}

/**
 * Queues the license email of an activation: the `license` template rendered, the license file
 * attached. Returns the message id, or null when `to` holds no address (nothing is written).
 */
export async function queueLicenseEmail(
  trx: Trx,
  ctx: RequestContext,
  m: {
    to: string[];
    fulfillmentId: string;
    activationId: string;
    entitlementId: string;
    product: string;
    hosts: string;
    expiry: string | null;
    licenseFile: string;
    fileName: string;
  },
): Promise<string | null> {
  const to = recipientsOf(m.to);
  if (to.length === 0) return null;
  const env = mailEnvironment();
  const template = await loadTemplate(trx, "license");
  const values: Record<string, string> = {
    entitlementId: m.entitlementId,
    activationId: m.activationId,
    fulfillmentId: m.fulfillmentId,
    product: m.product,
    hosts: m.hosts,
    expiry: m.expiry ?? "permanent",
    fileName: m.fileName,
    portalUrl: env.portalUrl,
    producer: env.producer,
  };
  return queueEmail(trx, ctx, {
    kind: "LICENSE",
    to,
    subject: renderTemplate(template.subject, values),
    body: renderTemplate(template.body, values),
    attachments: [{ filename: m.fileName, contentType: "text/plain; charset=utf-8", content: m.licenseFile }],
    objectType: "fulfillment",
    objectId: m.fulfillmentId,
  });
}

/**
 * Queues the certificate of an entitlement (its internal id, or its entitlement ID) to `to`.
 * Returns the message id, or null when `to` holds no address or there is no such entitlement.
 */
export async function queueEntitlementCertificate(
  trx: Trx,
  ctx: RequestContext,
  entitlementId: string,
  to: string[],
): Promise<string | null> {
  const recipients = recipientsOf(to);
  if (recipients.length === 0) return null;
  const row =
    (await findEntitlement(trx, entitlementId)) ??
    (await trx.selectFrom("entitlements").selectAll().where("entitlement_id", "=", entitlementId).executeTakeFirst());
  if (!row) return null;
  const partners = (await partnersOf(trx, [row.id])).get(row.id) ?? [];
  const items = (await lineItemsOf(trx, [row.id])).get(row.id) ?? [];
  const template = await loadTemplate(trx, "entitlementCertificate");
  const data = certificateDataOf(row.entitlement_id, partners, items);
  return queueEmail(trx, ctx, certificateEmail(template, data, recipients, row.id));
}

/**
 * Tells the contact of a split's target tier what reached their account (FNO emails split
 * contacts): which entitlement, how many keys or copies, from whom. Plain words, no attachment; in
 * the split's transaction, so it exists if and only if the split does.
 */
export async function queueSplitNotice(
  trx: Trx,
  ctx: RequestContext,
  m: { to: string; accountName: string; tier: string; entitlementId: string; entitlementPk: string; what: string; from: string },
): Promise<string> {
  const env = mailEnvironment();
  return queueEmail(trx, ctx, {
    kind: "SPLIT_NOTICE",
    to: [m.to],
    subject: `${m.what} split to ${m.accountName}: entitlement ${m.entitlementId}`,
    body: [
      "Hello,",
      "",
      `${m.what} were split to your account ${m.accountName} (tier ${m.tier}) from ${m.from}.`,
      `They are in entitlement ${m.entitlementId}.`,
      "",
      `Log in to see them: ${env.portalUrl}`,
      "",
      env.producer,
      "",
    ].join("\n"),
    attachments: [],
    objectType: "entitlement",
    objectId: m.entitlementPk,
  });
}

/**
 * Queues an email carrying a single-use link (password reset, email verification) to `user`:
 * `<public URL>/<path>?token=…`, rendered with its editable template. Never attached to an object
 * the Outbox lists by id other than the user, and the token is only in the body.
 */
export async function queueEmailLink(
  trx: Trx,
  ctx: RequestContext,
  m: {
    kind: "PASSWORD_RESET" | "VERIFY_EMAIL";
    user: { id: string; email: string; firstName: string };
    path: "reset-password" | "verify-email";
    token: string;
    expiresIn: string;
  },
): Promise<string> {
  const env = mailEnvironment();
  const template = await loadTemplate(trx, m.kind === "PASSWORD_RESET" ? "passwordReset" : "verifyEmail");
  const values: Record<string, string> = {
    firstName: m.user.firstName,
    email: m.user.email,
    link: `${env.portalUrl.replace(/\/+$/, "")}/${m.path}?token=${encodeURIComponent(m.token)}`,
    expiresIn: m.expiresIn,
    portalUrl: env.portalUrl,
    producer: env.producer,
  };
  return queueEmail(trx, ctx, {
    kind: m.kind,
    to: [m.user.email],
    subject: renderTemplate(template.subject, values),
    body: renderTemplate(template.body, values),
    attachments: [],
    objectType: "user",
    objectId: m.user.id,
  });
}
