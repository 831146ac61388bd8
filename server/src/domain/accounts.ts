import { type AccountType, type Role, roleFitsAccountType } from "../../../common/src/enums.js";
import { specifiedIdProblem } from "./ids.js";

export interface AccountFieldProblem {
  field: string;
  message: string;
}

/** Rules on an account's own fields (FNO: ID required and valid, name required and without ':'). */
export function accountProblems(input: { id?: string; name?: string; parentId?: string | null }): AccountFieldProblem[] {
  const out: AccountFieldProblem[] = [];
  if (input.id !== undefined) {
    const p = specifiedIdProblem(input.id);
    if (p) out.push({ field: "id", message: p });
  }
  if (input.name !== undefined) {
    if (input.name.trim() === "") out.push({ field: "name", message: "must not be empty" });
    else if (input.name.includes(":")) out.push({ field: "name", message: "must not contain ':'" });
  }
  if (input.id !== undefined && input.parentId && input.parentId === input.id) {
    out.push({ field: "parentId", message: "an account cannot be its own parent" });
  }
  return out;
}

/** Why a role cannot be held on an account of this type, or null. */
export function roleOnAccountProblem(role: Role, type: AccountType): string | null {
  if (roleFitsAccountType(role, type)) return null;
  if (role.startsWith("PRODUCER_")) return `${role} can only be held on the producer (PUBLISHER) account`;
  if (role.startsWith("PARTNER_")) return `${role} can only be held on a CHANNEL_PARTNER account`;
  return `${role} can only be held on a CUSTOMER or SELF_REGISTERED account`;
}
