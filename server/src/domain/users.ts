import { type AccountType, CUSTOMER_ROLES, PARTNER_ROLES, PRODUCER_ROLES, type Role } from "../../../common/src/enums.js";
import { roleOnAccountProblem } from "./accounts.js";

export interface MembershipInput {
  accountId: string;
  role: Role;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function emailProblem(email: string): string | null {
  return EMAIL_RE.test(email.trim()) ? null : "must be a valid email address";
}

export type RoleFamily = "producer" | "partner" | "customer";
export function familyOf(role: Role): RoleFamily {
  if ((PRODUCER_ROLES as readonly string[]).includes(role)) return "producer";
  if ((PARTNER_ROLES as readonly string[]).includes(role)) return "partner";
  if ((CUSTOMER_ROLES as readonly string[]).includes(role)) return "customer";
  throw new Error(`unknown role ${role}`);
}

/**
 * Rules on a user's memberships (FNO: every user belongs to at least one account; several accounts
 * only of the same kind). Each role must fit its account's type. Returns problems with field paths.
 */
export function membershipProblems(
  memberships: MembershipInput[],
  accountTypes: Map<string, AccountType>,
): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  if (memberships.length === 0) out.push({ field: "memberships", message: "a user must belong to at least one account" });
  const seen = new Set<string>();
  const families = new Set<RoleFamily>();
  memberships.forEach((m, i) => {
    const type = accountTypes.get(m.accountId);
    if (!type) {
      out.push({ field: `memberships[${i}].accountId`, message: `account '${m.accountId}' does not exist` });
      return;
    }
    const p = roleOnAccountProblem(m.role, type);
    if (p) out.push({ field: `memberships[${i}].role`, message: p });
    const key = `${m.accountId}\u0000${m.role}`;
    if (seen.has(key)) out.push({ field: `memberships[${i}]`, message: "the same role on the same account is listed twice" });
    seen.add(key);
    families.add(familyOf(m.role));
  });
  if (families.size > 1) {
    out.push({
      field: "memberships",
      message: "a user's accounts must all be of one kind: producer, channel partner, or customer",
    });
  }
  return out;
}
