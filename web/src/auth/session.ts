import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { Session as ApiSession } from "../../../common/src/api/session";
import { isApiError, setCsrfToken } from "../api/client";
import { keys, sessionApi } from "../api/endpoints";
import { PARTNER_ROLES, PORTAL_ADMIN_ROLES, PRODUCER_ROLES, PRODUCER_WRITER_ROLES, type Role } from "../lib/enums";

/**
 * The session the portal holds: GET/POST /session's answer, or the one a registration starts
 * (which names no public URL — only producer staff print key cards, so only they need it — nor
 * the producer's name, which the header then leaves out).
 */
export type Session = Omit<ApiSession, "publicUrl" | "producerName"> & Partial<Pick<ApiSession, "publicUrl" | "producerName">>;

async function loadSession(): Promise<Session | null> {
  try {
    const s = await sessionApi.get();
    setCsrfToken(s.csrfToken);
    return s;
  } catch (e) {
    if (isApiError(e) && e.status === 401) {
      setCsrfToken(null);
      return null;
    }
    throw e;
  }
}

/** The logged-in session, or null when nobody is logged in. */
export function useSessionQuery() {
  return useQuery({ queryKey: keys.session, queryFn: loadSession, staleTime: Number.POSITIVE_INFINITY, retry: false });
}

/** The session inside a guarded route (always present there). */
export function useSession(): Session {
  const { data } = useSessionQuery();
  if (!data) throw new Error("useSession used outside a logged-in route");
  return data;
}

export function useSetSession() {
  const qc = useQueryClient();
  return (s: Session | null) => {
    setCsrfToken(s?.csrfToken ?? null);
    if (s === null) {
      // Nothing cached for the previous user may leak into the next one's screens.
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== keys.session[0] });
    }
    qc.setQueryData(keys.session, s);
  };
}

/**
 * What the current user may do, from the same role groups as server/src/policies/predicates.ts
 * (common/src/enums.ts), so the UI only offers allowed actions.
 */
export function usePermissions() {
  const s = useSession();
  const roles = new Set(s.user.memberships.map((m) => m.role));
  const has = (...r: Role[]) => r.some((x) => roles.has(x));
  return {
    isProducerStaff: PRODUCER_ROLES.some((r) => roles.has(r)),
    isProducerAdmin: has("PRODUCER_ADMIN"),
    /** Admin and operations change business data (accounts, catalog). */
    isProducerWriter: has(...PRODUCER_WRITER_ROLES),
    isPartner: PARTNER_ROLES.some((r) => roles.has(r)),
    /** Accounts where the user is a partner portal admin (creates related accounts and their users). */
    partnerAdminAccountIds: s.user.memberships.filter((m) => m.role === "PARTNER_PORTAL_ADMIN").map((m) => m.accountId),
    /** Accounts where the user is a portal admin (manages the account's users). */
    portalAdminAccountIds: s.user.memberships
      .filter((m) => (PORTAL_ADMIN_ROLES as readonly Role[]).includes(m.role))
      .map((m) => m.accountId),
  };
}

/** The home page of each portal. */
export function portalHome(portal: Session["portal"]): string {
  return portal === "producer" ? "/" : portal === "partner" ? "/partner" : "/portal";
}
