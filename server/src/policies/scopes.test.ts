import { describe, expect, it } from "vitest";
import type { Actor, Membership } from "../actor.js";
import { SYSTEM_ACTOR } from "../actor.js";
import { scopeAccounts } from "./accounts.js";
import { scopeEntitlements } from "./entitlements.js";
import { scopeUsers } from "./users.js";

const user = (id: string, memberships: Membership[]): Actor => ({
  type: "user",
  userId: id,
  email: `${id}@example.test`,
  tokenId: null,
  memberships,
});

const staff = user("ops", [{ accountId: "PUB", accountType: "PUBLISHER", role: "PRODUCER_OPERATIONS" }]);
const portalAdmin = user("pa", [
  { accountId: "ACME", accountType: "CUSTOMER", role: "CUSTOMER_PORTAL_ADMIN" },
  { accountId: "BETA", accountType: "CUSTOMER", role: "CUSTOMER_PORTAL_USER" },
]);
const portalUser = user("pu", [{ accountId: "ACME", accountType: "CUSTOMER", role: "CUSTOMER_PORTAL_USER" }]);
const nobody = user("none", []);

describe("list scopes", () => {
  it("show producer staff and the system every row", () => {
    for (const a of [staff, SYSTEM_ACTOR]) {
      expect(scopeAccounts(a)).toBeNull();
      expect(scopeEntitlements(a)).toBeNull();
      expect(scopeUsers(a)).toEqual({ onlyAccountIds: null });
    }
  });

  it("show portal users the accounts and entitlements of the accounts they belong to", () => {
    expect(scopeAccounts(portalAdmin)).toEqual(["ACME", "BETA"]);
    expect(scopeEntitlements(portalAdmin)).toEqual(["ACME", "BETA"]);
    expect(scopeAccounts(portalUser)).toEqual(["ACME"]);
    expect(scopeEntitlements(nobody)).toEqual([]);
  });

  it("show a portal admin the users of the accounts it administers only, anyone else only itself", () => {
    expect(scopeUsers(portalAdmin)).toEqual({ onlyAccountIds: ["ACME"] });
    expect(scopeUsers(portalUser)).toEqual({ onlyAccountIds: [], onlyUserId: "pu" });
    expect(scopeUsers({ ...nobody, userId: null })).toEqual({ onlyAccountIds: [], onlyUserId: "-" });
  });
});
