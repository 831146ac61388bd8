import { Alert, TextInput } from "@mantine/core";
import { IconClockPause } from "@tabler/icons-react";
import { type ChangeEvent, type ReactNode, useCallback, useEffect, useState } from "react";
import { checkTypedKey, DEFAULT_KEY_FORMAT, groupSymbols, isKeySymbol, TYPO_MESSAGE } from "../../../common/src/keyCheck";
import { errorMessage, isApiError } from "../api/client";
import { sentence } from "../lib/labels";

/**
 * Typing a web register key. Generated keys are 25 symbols of Crockford's base32 in five groups of
 * five, the last symbol a check symbol (common/src/keyCheck.ts). This file reads a typed key with the
 * server's alphabet and format so the portal can group it while it is typed and catch a typo
 * before sending it; imported keys (any other shape) are sent exactly as typed.
 */

const { groups: GROUPS, groupLength: GROUP_LENGTH } = DEFAULT_KEY_FORMAT;
const SYMBOLS = GROUPS * GROUP_LENGTH;

const SEPARATOR = /[\s-]/;
const SEPARATORS = /[\s-]/g;
const isSeparator = (ch: string | undefined) => ch !== undefined && SEPARATOR.test(ch);

const compactOf = (text: string) => text.replace(SEPARATORS, "").toUpperCase();

/** True when the text is a key in the generated shape (25 symbols of the key alphabet, separators aside). */
function isGeneratedShape(text: string): boolean {
  const compact = compactOf(text.trim());
  return compact.length === SYMBOLS && [...compact].every(isKeySymbol);
}

const grouped = (compact: string) => groupSymbols(compact, DEFAULT_KEY_FORMAT);

export { TYPO_MESSAGE };
export const UNKNOWN_KEY_MESSAGE =
  "We don't recognise this key, or it was already registered by someone else. Check it and try again.";

/** The typo message when the text is a generated-shape key whose check symbol does not match, else null. */
export function keyTypo(text: string): string | null {
  // The same check the server runs (common/src/keyCheck.ts), so both agree on every string.
  const r = checkTypedKey(text);
  return r.kind === "typo" ? r.message : null;
}

/** What the key field holds: the text shown, and whether the portal put dashes into it (see keyToSend). */
export interface KeyValue {
  value: string;
  /** True once the portal inserted a group dash the person did not type. */
  auto: boolean;
}

export const emptyKey = (): KeyValue => ({ value: "", auto: false });

/** A key that arrives whole (from the QR code's ?key=, or pasted): a generated one is shown grouped, anything else as given. */
export function keyFromText(text: string): KeyValue {
  return isGeneratedShape(text) ? { value: grouped(compactOf(text.trim())), auto: false } : { value: text, auto: false };
}

/** Letters and digits, at most 25, with single separators only where a group of five ends. */
function inGeneratedShape(text: string): boolean {
  let count = 0;
  let afterSeparator = false;
  for (const ch of text) {
    if (isSeparator(ch)) {
      if (count === 0 || count % GROUP_LENGTH !== 0 || afterSeparator) return false;
      afterSeparator = true;
    } else {
      if (!/[0-9A-Za-z]/.test(ch)) return false;
      count++;
      afterSeparator = false;
    }
  }
  return count <= SYMBOLS;
}

/**
 * The next field value for an edit. Typing at the end of a key in the generated shape adds the group
 * dashes; pasting (or any insertion of several characters) is taken whole; other edits (deleting,
 * typing in the middle) are left alone, so the caret never jumps.
 */
export function nextKeyValue(prev: KeyValue, raw: string): KeyValue {
  if (raw === "") return emptyKey();
  const extendsPrev = raw.startsWith(prev.value);
  // Dashes the portal added are only remembered while there are separators left to be ours.
  const keptAuto = prev.auto && SEPARATOR.test(raw);
  if (raw.length > prev.value.length + 1) {
    // Pasted (or filled in whole): grouped only when it is a whole generated key, else kept as given.
    if (isGeneratedShape(raw)) return keyFromText(raw);
    return { value: raw, auto: extendsPrev && keptAuto };
  }
  const typedOneAtEnd = raw.length === prev.value.length + 1 && extendsPrev;
  if (!typedOneAtEnd) return { value: raw, auto: keptAuto };
  if (!inGeneratedShape(raw)) return { value: raw, auto: keptAuto };
  if (isGeneratedShape(raw)) return { value: grouped(compactOf(raw)), auto: false };
  let out = "";
  let count = 0;
  let inserted = false;
  for (const ch of raw) {
    if (isSeparator(ch)) {
      out += ch;
      continue;
    }
    if (count > 0 && count % GROUP_LENGTH === 0 && !isSeparator(out[out.length - 1])) {
      out += "-";
      inserted = true;
    }
    out += ch;
    count++;
  }
  return { value: out, auto: prev.auto || inserted };
}

/**
 * The key as sent: a generated-shape key in its canonical grouped form; a key the portal grouped
 * while it was typed but which is not a generated key has the portal's dashes taken out again;
 * anything else exactly as typed (trimmed), since imported keys are looked up as they are.
 */
export function keyToSend(k: KeyValue): string {
  if (isGeneratedShape(k.value)) return grouped(compactOf(k.value.trim()));
  if (k.auto) return k.value.replace(SEPARATORS, "");
  return k.value.trim();
}

/** Client-side check of the key field: required, and no typo. */
export function keyProblem(k: KeyValue): string | null {
  if (!k.value.trim()) return "Enter the key from your key card or email";
  return keyTypo(k.value);
}

/**
 * The Key input: monospace, grouped as it is typed, pasting kept whole. A typo shows as soon as
 * the last symbol is typed (the check needs the whole key), not only once the field is left.
 */
export function KeyInput({
  value,
  onChange,
  onBlur,
  error,
  description,
  autoFocus,
  disabled,
}: {
  value: KeyValue;
  onChange: (next: KeyValue) => void;
  onBlur?: () => void;
  error?: ReactNode;
  description?: ReactNode;
  autoFocus?: boolean;
  disabled?: boolean;
}) {
  return (
    <TextInput
      label="Key"
      required
      placeholder="XXXXX-XXXXX-XXXXX-XXXXX-XXXXX"
      description={description}
      value={value.value}
      onChange={(e: ChangeEvent<HTMLInputElement>) => onChange(nextKeyValue(value, e.currentTarget.value))}
      onBlur={onBlur}
      error={error || keyTypo(value.value)}
      autoFocus={autoFocus}
      disabled={disabled}
      autoComplete="off"
      autoCapitalize="characters"
      autoCorrect="off"
      spellCheck={false}
      data-testid="key-input"
      // Monospace, and on a phone small enough that a whole 29-character key shows (styles.css).
      classNames={{ input: "key-input" }}
    />
  );
}

/** Why a redemption or registration was refused, in words for the person at the form. */
export interface Refusal {
  /** The field the words belong under (key, email, company, …), or none for the general alert. */
  field?: string;
  title: string;
  message: string;
  /** A 429: seconds to wait (from Retry-After). */
  retryAfter?: number;
  /** Other field problems a form should place with applyApiError. */
  fieldErrors?: boolean;
}

export function redeemRefusal(e: unknown): Refusal {
  if (!isApiError(e)) return { title: "Could not register the key", message: errorMessage(e) };
  if (e.status === 429) return { title: "Too many attempts", message: e.message, retryAfter: Math.max(1, e.retryAfter ?? 60) };
  if (e.status === 404) return { field: "key", title: "Key not recognised", message: UNKNOWN_KEY_MESSAGE };
  const keyError = e.fieldErrors.find((f) => f.field === "key");
  if (e.status === 400 && keyError) {
    const message = /typo/i.test(keyError.message) ? TYPO_MESSAGE : sentence(keyError.message);
    return { field: "key", title: "Check the key", message };
  }
  if (e.status === 409 && e.code === "invalid_state") return { title: "This key cannot be registered now", message: e.message };
  if (e.fieldErrors.length > 0) return { title: "Check your input", message: e.message, fieldErrors: true };
  return { title: "Could not register the key", message: e.message };
}

/** Seconds left until `until` (a Date.now() time), ticking every second; 0 when none. */
export function useCountdown(): { remaining: number; start: (seconds: number) => void } {
  const [until, setUntil] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until <= Date.now()) return;
    const t = setInterval(() => {
      const n = Date.now();
      setNow(n);
      if (n >= until) clearInterval(t);
    }, 250);
    return () => clearInterval(t);
  }, [until]);
  const start = useCallback((seconds: number) => {
    const n = Date.now();
    setNow(n);
    setUntil(n + seconds * 1000);
  }, []);
  return { remaining: Math.max(0, Math.ceil((until - now) / 1000)), start };
}

/** The 429 alert, counting down; shown while the form's button is disabled. */
export function TooManyAttempts({ seconds }: { seconds: number }) {
  if (seconds <= 0) return null;
  return (
    <Alert color="orange" variant="light" icon={<IconClockPause size={18} />} title="Please wait" role="alert">
      Too many attempts. Please wait {seconds} second{seconds === 1 ? "" : "s"} and try again.
    </Alert>
  );
}
