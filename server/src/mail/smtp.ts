import nodemailer from "nodemailer";
import type { Config } from "../config.js";
import type { StoredEmailSettings } from "../db/repos/email.js";
import { currentKek, type Kek, seal, unseal } from "../licensing/secret.js";

/**
 * SMTP: the password sealed at rest under the same key-encryption key as the signing keys (its
 * associated data names it, so a sealed signing key cannot stand in for it), and one message sent
 * with nodemailer.
 */

const PASSWORD_AAD = "smtp-password";

const kekOf = (config: Pick<Config, "dataDir" | "signingKeySecret">): Kek => currentKek(config, true) as Kek;

export function sealSmtpPassword(config: Pick<Config, "dataDir" | "signingKeySecret">, password: string): string {
  return seal(kekOf(config), PASSWORD_AAD, Buffer.from(password, "utf8"));
}

export function openSmtpPassword(config: Pick<Config, "dataDir" | "signingKeySecret">, sealed: string): string {
  return unseal(kekOf(config), PASSWORD_AAD, sealed).toString("utf8");
}

/** Whether messages are sent: a host and a from address are set. */
export const smtpConfigured = (s: StoredEmailSettings) => Boolean(s.host && s.fromAddress);

export interface OutgoingMail {
  to: string[];
  subject: string;
  text: string;
  attachments: { filename: string; contentType: string; content: string; encoding?: "base64" }[];
}

/** SMTP's answer to a message it did not take: permanent (5xx) or worth a retry (4xx, connection trouble). */
export class SmtpError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

/** Sends one message; throws an {@link SmtpError}. Returns the server's answer ("250 OK …"). */
export async function sendMail(
  config: Pick<Config, "dataDir" | "signingKeySecret" | "mailTimeoutMs">,
  s: StoredEmailSettings,
  m: OutgoingMail,
): Promise<string> {
  const pass = s.passwordSealed ? openSmtpPassword(config, s.passwordSealed) : null;
  const transport = nodemailer.createTransport({
    host: s.host ?? undefined,
    port: s.port,
    secure: s.security === "TLS",
    requireTLS: s.security === "STARTTLS",
    ignoreTLS: s.security === "NONE",
    auth: s.user ? { user: s.user, pass: pass ?? "" } : undefined,
    connectionTimeout: config.mailTimeoutMs,
    greetingTimeout: config.mailTimeoutMs,
    socketTimeout: config.mailTimeoutMs,
  });
  try {
    const info = await transport.sendMail({
      from: s.fromName ? { name: s.fromName, address: s.fromAddress ?? "" } : (s.fromAddress ?? ""),
      to: m.to,
      subject: m.subject,
      text: m.text,
      attachments: m.attachments.map((a) => ({
        filename: a.filename,
        contentType: a.contentType,
        content: a.encoding === "base64" ? Buffer.from(a.content, "base64") : a.content,
      })),
    });
    return String(info.response ?? "sent");
  } catch (err) {
    const e = err as { responseCode?: number; response?: string; message?: string; code?: string };
    const code = e.responseCode;
    const text = (e.response ?? e.message ?? String(err)).trim();
    throw new SmtpError(
      code ? `${text}` : `${e.code ? `${e.code}: ` : ""}${text}`,
      code !== undefined && code >= 500 && code < 600,
    );
  } finally {
    transport.close();
  }
}
