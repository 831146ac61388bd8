/**
 * Email templates (issue 14 item 7): a subject and a text body each, with `{{placeholder}}` holes.
 * The names, the placeholders each template may use (shown beside the editor), the defaults, and
 * the one renderer, shared by the server (sending, preview) and the portal (the list it shows).
 */

export const EMAIL_TEMPLATE_NAMES = ["entitlementCertificate", "license", "passwordReset", "verifyEmail"] as const;
export type EmailTemplateName = (typeof EMAIL_TEMPLATE_NAMES)[number];
export const isEmailTemplateName = (s: string): s is EmailTemplateName => (EMAIL_TEMPLATE_NAMES as readonly string[]).includes(s);

export interface EmailTemplate {
  subject: string;
  body: string;
}

/** Every placeholder a template may use, with what it holds (the portal shows this list). */
export const EMAIL_PLACEHOLDERS: Record<EmailTemplateName, Record<string, string>> = {
  entitlementCertificate: {
    entitlementId: "the entitlement ID",
    soldTo: "the account it is sold to (name and ID)",
    activationIds: "the line items' activation IDs, comma-separated",
    products: "the products, comma-separated",
    lineItems: "one line per line item: activation ID, products, copies, dates",
    portalUrl: "the portal's address where the activation IDs are activated",
    producer: "the producer's name",
  },
  license: {
    entitlementId: "the entitlement ID",
    activationId: "the line item's activation ID",
    fulfillmentId: "the fulfillment ID",
    product: "the product (name and version)",
    hosts: "the host IDs the license is for",
    expiry: "the expiry date, or 'permanent'",
    fileName: "the attached license file's name",
    portalUrl: "the portal's address",
    producer: "the producer's name",
  },
  passwordReset: {
    firstName: "the user's first name",
    email: "the user's email address",
    link: "the single-use link that sets a new password (required: without it the email is useless)",
    expiresIn: "how long the link works, in words ('1 hour')",
    portalUrl: "the portal's address",
    producer: "the producer's name",
  },
  verifyEmail: {
    firstName: "the user's first name",
    email: "the address being verified",
    link: "the single-use link that verifies the address",
    expiresIn: "how long the link works, in words ('24 hours')",
    portalUrl: "the portal's address",
    producer: "the producer's name",
  },
};

/** Sample values for the preview. */
export const EMAIL_SAMPLES: Record<EmailTemplateName, Record<string, string>> = {
  entitlementCertificate: {
    entitlementId: "ENT-7KQ2-XW4M",
    soldTo: "Acme Corp (ACME)",
    activationIds: "ACT-9F3D-2KLM, ACT-1PQR-8ZTV",
    products: "Designer 4.2, Viewer 4.2",
    lineItems:
      "ACT-9F3D-2KLM  Designer 4.2  5 copies  2026-01-01 – 2026-12-31\nACT-1PQR-8ZTV  Viewer 4.2  10 copies  2026-01-01 – permanent",
    portalUrl: "https://licensing.example.com",
    producer: "Example Software",
  },
  license: {
    entitlementId: "ENT-7KQ2-XW4M",
    activationId: "ACT-9F3D-2KLM",
    fulfillmentId: "FID_3K7M9Q",
    product: "Designer 4.2",
    hosts: "ETHERNET 00:1A:2B:3C:4D:5E",
    expiry: "2026-12-31",
    fileName: "FID_3K7M9Q.lic",
    portalUrl: "https://licensing.example.com",
    producer: "Example Software",
  },
  passwordReset: {
    firstName: "Ada",
    email: "ada@customer.example",
    link: "https://licensing.example.com/reset-password?token=SAMPLE",
    expiresIn: "1 hour",
    portalUrl: "https://licensing.example.com",
    producer: "Example Software",
  },
  verifyEmail: {
    firstName: "Ada",
    email: "ada@customer.example",
    link: "https://licensing.example.com/verify-email?token=SAMPLE",
    expiresIn: "24 hours",
    portalUrl: "https://licensing.example.com",
    producer: "Example Software",
  },
};

export const DEFAULT_EMAIL_TEMPLATES: Record<EmailTemplateName, EmailTemplate> = {
  entitlementCertificate: {
    subject: "Your entitlement {{entitlementId}} from {{producer}}",
    body: [
      "Hello,",
      "",
      "{{producer}} has issued entitlement {{entitlementId}} to {{soldTo}}.",
      "",
      "Line items:",
      "{{lineItems}}",
      "",
      "Activate them at {{portalUrl}} with the activation IDs above: {{activationIds}}.",
      "The entitlement certificate is attached.",
      "",
      "{{producer}}",
    ].join("\n"),
  },
  license: {
    subject: "Your license for {{product}} ({{fulfillmentId}})",
    body: [
      "Hello,",
      "",
      "Attached is the license file {{fileName}} for {{product}}.",
      "",
      "Activation ID: {{activationId}} (entitlement {{entitlementId}})",
      "Fulfillment ID: {{fulfillmentId}}",
      "Hosts: {{hosts}}",
      "Expires: {{expiry}}",
      "",
      "Your licenses: {{portalUrl}}",
      "",
      "{{producer}}",
    ].join("\n"),
  },
  passwordReset: {
    subject: "Reset your {{producer}} licensing password",
    body: [
      "Hello {{firstName}},",
      "",
      "Someone (we hope you) asked to reset the password of {{email}}.",
      "To choose a new password, open this link within {{expiresIn}}:",
      "",
      "{{link}}",
      "",
      "The link works once. If you did not ask for it, ignore this email: your password is unchanged.",
      "",
      "{{producer}}",
    ].join("\n"),
  },
  verifyEmail: {
    subject: "Verify your email address for {{producer}} licensing",
    body: [
      "Hello {{firstName}},",
      "",
      "Please confirm that {{email}} is your address by opening this link within {{expiresIn}}:",
      "",
      "{{link}}",
      "",
      "If you did not register at {{portalUrl}}, ignore this email.",
      "",
      "{{producer}}",
    ].join("\n"),
  },
};

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Placeholders used in `text` that the template may not use, in order of appearance, once each. */
export function unknownPlaceholders(name: EmailTemplateName, text: string): string[] {
  const allowed = EMAIL_PLACEHOLDERS[name];
  const out: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) {
    const p = m[1] ?? "";
    if (!Object.hasOwn(allowed, p) && !out.includes(p)) out.push(p);
  }
  return out;
}

/** Problems of a template as `{field, message}`: unknown placeholders, named. */
export function templateProblems(name: EmailTemplateName, t: EmailTemplate): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  for (const field of ["subject", "body"] as const) {
    const unknown = unknownPlaceholders(name, t[field]);
    if (unknown.length)
      out.push({
        field,
        message: `uses unknown placeholder${unknown.length > 1 ? "s" : ""} ${unknown.map((u) => `{{${u}}}`).join(", ")}; allowed: ${Object.keys(
          EMAIL_PLACEHOLDERS[name],
        )
          .map((k) => `{{${k}}}`)
          .join(", ")}`,
      });
  }
  if (/[\r\n]/.test(t.subject)) out.push({ field: "subject", message: "must be one line" });
  return out;
}

/** Fills every `{{placeholder}}` with its value (an unknown one is left as written). */
export function renderTemplate(text: string, values: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (whole, p: string) => (Object.hasOwn(values, p) ? (values[p] as string) : whole));
}
