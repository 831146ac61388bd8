/** Settings → Email rules, in words: `{field, message}`. Pure. */

const HOST = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$|^\[?[0-9A-Fa-f:.]+\]?$/;
const ADDRESS = /^[^@\s<>",;]+@[^@\s<>",;]+\.[^@\s<>",;]+$|^[^@\s<>",;]+@localhost$/;

export interface EmailSettingsShape {
  host: string | null;
  fromAddress: string | null;
  fromName: string | null;
  user: string | null;
}

export function emailSettingsProblems(s: EmailSettingsShape): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  if (s.host !== null && !HOST.test(s.host)) out.push({ field: "host", message: "is not a host name or address" });
  if (s.fromAddress !== null && !ADDRESS.test(s.fromAddress))
    out.push({ field: "fromAddress", message: "is not an email address (name@example.com)" });
  if (s.host !== null && s.fromAddress === null)
    out.push({ field: "fromAddress", message: "is required once an SMTP host is set: messages need a sender" });
  if (s.fromName !== null && /[\r\n<>"]/.test(s.fromName))
    out.push({ field: "fromName", message: "may not contain line breaks, quotes or angle brackets" });
  if (s.user !== null && /[\r\n]/.test(s.user)) out.push({ field: "user", message: "may not contain line breaks" });
  return out;
}

/** A text field of the body: absent keeps the stored value, null or blank clears it, text is trimmed. */
export const patchedText = (given: string | null | undefined, stored: string | null): string | null =>
  given === undefined ? stored : given === null || given.trim() === "" ? null : given.trim();
