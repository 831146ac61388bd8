/**
 * Addresses of the end-user portal, in a module of their own: the public redeem page links into
 * the portal without loading the portal's pages (they are a separate download, see App.tsx).
 */
export const PORTAL_ENTITLEMENTS = "/portal/entitlements";
export const PORTAL_REGISTER_KEY = "/portal/register-key";
export const portalEntitlementPath = (id: string) => `${PORTAL_ENTITLEMENTS}/${encodeURIComponent(id)}`;

/** Passed in the navigation state to the entitlement page after a key was registered. */
export interface RedeemNotice {
  kind: "registered" | "already";
  entitlementId: string;
}
