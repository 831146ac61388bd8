import { ACCOUNT_TYPES, type AccountType, ROLE_LABELS, ROLES, type Role, roleFitsAccountType } from "./enums";

/** "NODE_LOCKED_UNCOUNTED" → "Node locked uncounted": readable words for FNO's enum values. */
export function humanize(value: string | null | undefined): string {
  if (!value) return "";
  const s = value.replace(/_/g, " ").toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export const ACCOUNT_TYPE_LABELS: Record<AccountType, string> = {
  CUSTOMER: "Customer",
  CHANNEL_PARTNER: "Channel partner",
  PUBLISHER: "Publisher",
  SELF_REGISTERED: "Self-registered",
};

export const MODEL_TYPE_LABELS: Record<string, string> = {
  NODE_LOCKED_UNCOUNTED: "Node-locked, uncounted",
  NODE_LOCKED_COUNTED: "Node-locked, counted",
  FLOATING: "Floating (served, counted)",
};

export const TECHNOLOGY_LABELS: Record<string, string> = {
  CERTIFICATE: "Signed certificate",
  ACTIVATION: "Activation",
};

/** Select data for an enum, with readable labels. */
export function enumOptions<T extends string>(values: readonly T[], labels?: Partial<Record<T, string>>) {
  return values.map((v) => ({ value: v, label: labels?.[v] ?? humanize(v) }));
}

export const accountTypeOptions = (withPublisher = false) =>
  enumOptions(
    ACCOUNT_TYPES.filter((t) => withPublisher || t !== "PUBLISHER"),
    ACCOUNT_TYPE_LABELS,
  );

export const roleLabel = (role: string) => ROLE_LABELS[role as Role] ?? humanize(role);

/** Roles that may be held on an account of this type (all roles when the type is not known yet). */
export function roleOptionsFor(type: AccountType | null | undefined, only?: readonly Role[]) {
  return ROLES.filter((r) => (!type || roleFitsAccountType(r, type)) && (!only || only.includes(r))).map((r) => ({
    value: r,
    label: ROLE_LABELS[r],
  }));
}

/** Capitalises a server message fragment ("must not be empty") for display under a field. */
export function sentence(message: string): string {
  const m = message.trim();
  return m ? m.charAt(0).toUpperCase() + m.slice(1) : m;
}
