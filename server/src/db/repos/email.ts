import {
  DEFAULT_EMAIL_TEMPLATES,
  type EmailTemplate,
  type EmailTemplateName,
} from "../../../../common/src/rules/emailTemplates.js";
import { newestFirst, type Page, type PageRequest, textMatch } from "../paging.js";
import type { Db, EmailMessagesTable, Trx } from "../schema.js";

/** Settings → Email as stored (the `settings` row `email`): the password sealed, never in clear. */
export interface StoredEmailSettings {
  host: string | null;
  port: number;
  security: "NONE" | "STARTTLS" | "TLS";
  user: string | null;
  /** AES-256-GCM under the key-encryption key (licensing/secret.ts), or null when none is set. */
  passwordSealed: string | null;
  fromAddress: string | null;
  fromName: string | null;
}

export const DEFAULT_EMAIL_SETTINGS: StoredEmailSettings = {
  host: null,
  port: 587,
  security: "STARTTLS",
  user: null,
  passwordSealed: null,
  fromAddress: null,
  fromName: null,
};

export const EMAIL_SETTINGS_KEY = "email";
export const EMAIL_TEMPLATES_KEY = "emailTemplates";

export async function loadEmailSettings(db: Db | Trx): Promise<StoredEmailSettings> {
  const row = await db.selectFrom("settings").select("value").where("key", "=", EMAIL_SETTINGS_KEY).executeTakeFirst();
  return { ...DEFAULT_EMAIL_SETTINGS, ...(row ? JSON.parse(row.value) : {}) };
}

/** The templates as edited (only those changed are stored), the shipped defaults for the others. */
export type StoredTemplates = Partial<Record<EmailTemplateName, EmailTemplate>>;

export async function loadStoredTemplates(db: Db | Trx): Promise<StoredTemplates> {
  const row = await db.selectFrom("settings").select("value").where("key", "=", EMAIL_TEMPLATES_KEY).executeTakeFirst();
  return row ? (JSON.parse(row.value) as StoredTemplates) : {};
}

export async function loadTemplate(db: Db | Trx, name: EmailTemplateName): Promise<EmailTemplate> {
  return (await loadStoredTemplates(db))[name] ?? DEFAULT_EMAIL_TEMPLATES[name];
}

const RECENT_MS = 1000;
const recent = new WeakMap<object, { at: number; value: Promise<StoredTemplates> }>();

/**
 * The templates as read within the last second, for the redemption path (one read less per
 * call). Inside a transaction they are read in it. An edit through this process is seen at once
 * ({@link forgetTemplates}).
 */
export async function recentTemplate(db: Db | Trx, name: EmailTemplateName): Promise<EmailTemplate> {
  if (db.isTransaction) return loadTemplate(db, name);
  const hit = recent.get(db);
  let value: Promise<StoredTemplates>;
  if (hit && Date.now() - hit.at < RECENT_MS) value = hit.value;
  else {
    value = loadStoredTemplates(db);
    recent.set(db, { at: Date.now(), value });
    value.catch(() => recent.delete(db));
  }
  return (await value)[name] ?? DEFAULT_EMAIL_TEMPLATES[name];
}

export function forgetTemplates(db: Db): void {
  recent.delete(db);
}

export type EmailMessageRow = EmailMessagesTable;

export interface EmailMessageFilter {
  status?: string | undefined;
  kind?: string | undefined;
  q?: string | undefined;
}

/** The outbox, newest first (ids are time-ordered). */
export async function listEmailMessages(db: Db, f: EmailMessageFilter, page: PageRequest): Promise<Page<EmailMessageRow>> {
  let q = db.selectFrom("email_messages").selectAll();
  if (f.status) q = q.where("status", "=", f.status);
  if (f.kind) q = q.where("kind", "=", f.kind);
  const text = f.q?.trim();
  if (text)
    q = q.where((eb) =>
      eb.or([
        textMatch(eb, "recipients", { op: "CONTAINS", value: text }),
        textMatch(eb, "subject", { op: "CONTAINS", value: text }),
      ]),
    );
  return newestFirst(q, "id", page);
}

export async function findEmailMessage(db: Db | Trx, id: string): Promise<EmailMessageRow | undefined> {
  return db.selectFrom("email_messages").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Messages whose turn has come (QUEUED, next attempt now or past), oldest first. */
export async function dueEmailMessages(db: Db, now: string, limit: number): Promise<{ id: string }[]> {
  return db
    .selectFrom("email_messages")
    .select("id")
    .where("status", "=", "QUEUED")
    .where("next_attempt_at", "<=", now)
    .orderBy("next_attempt_at")
    .limit(limit)
    .execute();
}
