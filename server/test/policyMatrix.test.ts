import { expect, it } from "vitest";
import { ROLES, type Role } from "../../common/src/enums.js";
import { recordEvents } from "../src/db/repos/events.js";
import { JobRunner } from "../src/jobs/runner.js";
import { ensureSigningKey } from "../src/licensing/keyring.js";
import {
  bulkEntitlement,
  type Catalog as FactoryCatalog,
  catalog as factoryCatalog,
  licenseModel,
  ok,
  product,
  uid,
} from "./factories.js";
import { type Caller, describeEachDb, PUBLISHER_ID, type TestEnv } from "./helpers.js";

/**
 * Role × action × own/foreign account, for every endpoint. "own" targets a record of the caller's
 * account; "foreign" one of another account of the same kind (for producer roles both are just
 * some customer's). Allowed = the call is not refused for permission (no 401/403/404); denied =
 * 403, or 404 where existence must not leak. Later features add their rows here.
 */
type Scope = "own" | "foreign";
interface Target {
  /** Account of the caller (own) or another one (foreign). */
  accountId: string;
  env: TestEnv;
  role: Role;
}
interface Row {
  action: string;
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Creates what the call needs and returns its URL and body. */
  setup: (t: Target) => Promise<{ url: string; body?: unknown }>;
  allowed: (role: Role, scope: Scope) => boolean;
}

const PRODUCER = ["PRODUCER_ADMIN", "PRODUCER_OPERATIONS", "PRODUCER_SUPPORT", "PRODUCER_VIEWER"];
const WRITERS = ["PRODUCER_ADMIN", "PRODUCER_OPERATIONS"];
const PORTAL_ADMINS = ["PARTNER_PORTAL_ADMIN", "CUSTOMER_PORTAL_ADMIN"];
const staff = (r: Role) => PRODUCER.includes(r);
const writer = (r: Role) => WRITERS.includes(r);
const admin = (r: Role) => r === "PRODUCER_ADMIN";
const everyone = () => true;
const portalUserRoleFor = (role: Role): Role => (role.startsWith("PARTNER_") ? "PARTNER_PORTAL_USER" : "CUSTOMER_PORTAL_USER");

async function userIn(t: Target) {
  return t.env.makeUser({ role: portalUserRoleFor(t.role), accountId: t.accountId });
}

async function catalog(env: TestEnv) {
  const a = await env.as("PRODUCER_ADMIN");
  const lm = await licenseModel(a, { state: "DRAFT" });
  const p = await product(a, { state: "DRAFT" });
  const pn = ok(await a.post("/api/v1/part-numbers", { partId: `PN-${uid()}`, productId: p.id }));
  return { lm, p, pn };
}

const rows: Row[] = [
  // Accounts
  { action: "account.list", method: "GET", setup: async () => ({ url: "/api/v1/accounts" }), allowed: everyone },
  {
    action: "account.read",
    method: "GET",
    setup: async (t) => ({ url: `/api/v1/accounts/${t.accountId}` }),
    allowed: (r, s) => staff(r) || s === "own",
  },
  {
    action: "account.create",
    method: "POST",
    setup: async () => ({ url: "/api/v1/accounts", body: { id: `NEW-${uid()}`, name: "New", type: "CUSTOMER" } }),
    // A partner portal admin's new account is related to its own partner account (issue 15).
    allowed: (r) => writer(r) || r === "PARTNER_PORTAL_ADMIN",
  },
  {
    action: "account.update",
    method: "PATCH",
    setup: async (t) => ({ url: `/api/v1/accounts/${t.accountId}`, body: { description: "changed" } }),
    allowed: (r, s) => writer(r) || (PORTAL_ADMINS.includes(r) && s === "own"),
  },
  {
    action: "account.delete",
    method: "DELETE",
    setup: async (t) => ({ url: `/api/v1/accounts/${t.role.startsWith("PRODUCER_") ? await t.env.makeAccount() : t.accountId}` }),
    allowed: (r) => writer(r),
  },
  {
    action: "account.relate",
    method: "POST",
    setup: async (t) => ({
      url: `/api/v1/accounts/${t.accountId}/related-accounts`,
      body: { accountId: await t.env.makeAccount({ type: "CHANNEL_PARTNER" }) },
    }),
    allowed: (r) => writer(r),
  },
  // Users
  { action: "user.list", method: "GET", setup: async () => ({ url: "/api/v1/users" }), allowed: everyone },
  {
    action: "user.read",
    method: "GET",
    setup: async (t) => ({ url: `/api/v1/users/${(await userIn(t)).userId}` }),
    allowed: (r, s) => staff(r) || (PORTAL_ADMINS.includes(r) && s === "own"),
  },
  {
    action: "user.create",
    method: "POST",
    setup: async (t) => ({
      url: "/api/v1/users",
      body: {
        email: `n-${uid()}@matrix.io`,
        firstName: "N",
        lastName: "U",
        memberships: [{ accountId: t.accountId, role: portalUserRoleFor(t.role) }],
      },
    }),
    allowed: (r, s) => admin(r) || (PORTAL_ADMINS.includes(r) && s === "own"),
  },
  {
    action: "user.update",
    method: "PATCH",
    setup: async (t) => ({ url: `/api/v1/users/${(await userIn(t)).userId}`, body: { firstName: "Changed" } }),
    allowed: (r, s) => admin(r) || (PORTAL_ADMINS.includes(r) && s === "own"),
  },
  {
    action: "user.deactivate",
    method: "POST",
    setup: async (t) => ({ url: `/api/v1/users/${(await userIn(t)).userId}/actions/deactivate` }),
    allowed: (r, s) => admin(r) || (PORTAL_ADMINS.includes(r) && s === "own"),
  },
  {
    action: "user.resetPassword",
    method: "POST",
    setup: async (t) => ({ url: `/api/v1/users/${(await userIn(t)).userId}/actions/reset-password`, body: {} }),
    allowed: (r, s) => admin(r) || (PORTAL_ADMINS.includes(r) && s === "own"),
  },
  // Tokens
  { action: "token.list", method: "GET", setup: async () => ({ url: "/api/v1/tokens" }), allowed: everyone },
  {
    action: "token.revoke (someone else's)",
    method: "DELETE",
    setup: async (t) => {
      const other = await userIn(t);
      const row = await t.env.db
        .selectFrom("api_tokens")
        .select("id")
        .where("user_id", "=", other.userId)
        .executeTakeFirstOrThrow();
      return { url: `/api/v1/tokens/${row.id}` };
    },
    allowed: (r) => admin(r),
  },
  // Audit, tiers
  { action: "audit.read", method: "GET", setup: async () => ({ url: "/api/v1/audit-events" }), allowed: (r) => staff(r) },
  // Domain events (issue 17): producer roles read the stream and one event; portal users never.
  { action: "events.read", method: "GET", setup: async () => ({ url: "/api/v1/events" }), allowed: (r) => staff(r) },
  {
    action: "events.read (one)",
    method: "GET",
    setup: async (t) => {
      await t.env.db
        .transaction()
        .execute((trx) => recordEvents(trx, null, [{ type: "webhook.test", subjectType: "test", subjectId: "t", data: {} }]));
      const ev = await t.env.db.selectFrom("events").select("id").orderBy("seq", "desc").executeTakeFirstOrThrow();
      return { url: `/api/v1/events/${ev.id}` };
    },
    allowed: (r) => staff(r),
  },
  {
    action: "partnerTier.read",
    method: "GET",
    setup: async () => ({ url: "/api/v1/partner-tiers" }),
    allowed: (r) => staff(r) || r.startsWith("PARTNER_"),
  },
  {
    action: "partnerTier.write",
    method: "POST",
    setup: async () => ({
      url: "/api/v1/partner-tiers",
      body: { name: `tier.${uid()}`, displayName: `Tier ${uid()}`, rank: 50 },
    }),
    allowed: (r) => admin(r),
  },
  // License signing keys: the public keys are public; rotation is for producer admins.
  { action: "licenseKey.list", method: "GET", setup: async () => ({ url: "/api/v1/license-keys" }), allowed: everyone },
  {
    action: "licenseKey.rotate",
    method: "POST",
    setup: async () => ({ url: "/api/v1/license-keys/actions/rotate", body: {} }),
    allowed: (r) => admin(r),
  },
  // Catalog
  { action: "product.read", method: "GET", setup: async () => ({ url: "/api/v1/products" }), allowed: (r) => staff(r) },
  {
    action: "product.write",
    method: "POST",
    setup: async () => ({ url: "/api/v1/products", body: { name: `P-${uid()}`, version: "1" } }),
    allowed: (r) => writer(r),
  },
  {
    action: "product.changeState",
    method: "POST",
    setup: async (t) => ({
      url: `/api/v1/products/${(await catalog(t.env)).p.id}/actions/change-state`,
      body: { state: "DEPLOYED" },
    }),
    allowed: (r) => writer(r),
  },
  {
    action: "licenseModel.read",
    method: "GET",
    setup: async () => ({ url: "/api/v1/license-models" }),
    allowed: (r) => staff(r),
  },
  {
    action: "licenseModel.write",
    method: "PATCH",
    setup: async (t) => ({ url: `/api/v1/license-models/${(await catalog(t.env)).lm.id}`, body: { description: "x" } }),
    allowed: (r) => writer(r),
  },
  { action: "partNumber.read", method: "GET", setup: async () => ({ url: "/api/v1/part-numbers" }), allowed: (r) => staff(r) },
  {
    action: "partNumber.write",
    method: "DELETE",
    setup: async (t) => ({ url: `/api/v1/part-numbers/${(await catalog(t.env)).pn.id}` }),
    allowed: (r) => writer(r),
  },
  // Entitlements: producer staff see all; portal users those where their account is in a tier
  // ("own" = an entitlement sold to the caller's account, "foreign" = sold to another account).
  { action: "entitlement.list", method: "GET", setup: async () => ({ url: "/api/v1/entitlements" }), allowed: everyone },
  { action: "entitlement.count", method: "GET", setup: async () => ({ url: "/api/v1/entitlements/count" }), allowed: everyone },
  {
    action: "entitlement.read",
    method: "GET",
    setup: async (t) => {
      const a = await t.env.as("PRODUCER_ADMIN");
      const e = (await a.post("/api/v1/entitlements", { kind: "SIMPLE", soldTo: t.accountId })).json();
      return { url: `/api/v1/entitlements/${e.id}` };
    },
    allowed: (r, s) => staff(r) || s === "own",
  },
  {
    action: "entitlement.read (history)",
    method: "GET",
    setup: async (t) => {
      const a = await t.env.as("PRODUCER_ADMIN");
      const e = (await a.post("/api/v1/entitlements", { kind: "BULK", soldTo: t.accountId })).json();
      return { url: `/api/v1/entitlements/${e.id}/history` };
    },
    allowed: (r, s) => staff(r) || s === "own",
  },
  {
    action: "entitlement.create",
    method: "POST",
    setup: async (t) => ({ url: "/api/v1/entitlements", body: { kind: "SIMPLE", soldTo: t.accountId } }),
    allowed: (r) => writer(r),
  },
  {
    action: "entitlement.update",
    method: "PATCH",
    setup: async (t) => {
      const a = await t.env.as("PRODUCER_ADMIN");
      const e = (await a.post("/api/v1/entitlements", { kind: "SIMPLE", soldTo: t.accountId })).json();
      return { url: `/api/v1/entitlements/${e.id}`, body: { description: "changed" } };
    },
    allowed: (r) => writer(r),
  },
  {
    action: "entitlement.changeState",
    method: "POST",
    setup: async (t) => {
      const a = await t.env.as("PRODUCER_ADMIN");
      const e = (await a.post("/api/v1/entitlements", { kind: "SIMPLE", soldTo: t.accountId })).json();
      return { url: `/api/v1/entitlements/${e.id}/actions/change-state`, body: { state: "OBSOLETE" } };
    },
    allowed: (r) => writer(r),
  },
  {
    action: "entitlement.delete",
    method: "DELETE",
    setup: async (t) => {
      const a = await t.env.as("PRODUCER_ADMIN");
      const e = (await a.post("/api/v1/entitlements", { kind: "SIMPLE", soldTo: t.accountId })).json();
      return { url: `/api/v1/entitlements/${e.id}` };
    },
    allowed: (r) => writer(r),
  },
  {
    action: "entitlement.regenerate",
    method: "POST",
    setup: async (t) => {
      const a = await t.env.as("PRODUCER_ADMIN");
      const e = (await a.post("/api/v1/entitlements", { kind: "SIMPLE", soldTo: t.accountId })).json();
      return { url: `/api/v1/entitlements/${e.id}/actions/regenerate-ids` };
    },
    allowed: (r) => writer(r),
  },
  {
    action: "entitlement.copy",
    method: "POST",
    setup: async (t) => {
      const a = await t.env.as("PRODUCER_ADMIN");
      const e = (await a.post("/api/v1/entitlements", { kind: "SIMPLE", soldTo: t.accountId })).json();
      return { url: `/api/v1/entitlements/${e.id}/actions/copy` };
    },
    allowed: (r) => writer(r),
  },
  {
    action: "entitlement.update (add line items)",
    method: "POST",
    setup: async (t) => {
      const a = await t.env.as("PRODUCER_ADMIN");
      const { lm, p } = await catalog(t.env);
      await a.post(`/api/v1/license-models/${lm.id}/actions/change-state`, { state: "DEPLOYED" });
      await a.post(`/api/v1/products/${p.id}/actions/change-state`, { state: "DEPLOYED" });
      const e = (await a.post("/api/v1/entitlements", { kind: "SIMPLE", soldTo: t.accountId })).json();
      return {
        url: `/api/v1/entitlements/${e.id}/line-items`,
        body: { lineItems: [{ products: [{ productId: p.id }], licenseModelId: lm.id }] },
      };
    },
    allowed: (r) => writer(r),
  },
  // Lifecycle operations (renew, upgrade, upsell, transfers, merge): producer writers only;
  // lineage reads like the entitlement. Portal users get 403 on their own entitlements, 404 on others'.
  ...((): Row[] => {
    /** A DEPLOYED simple entitlement sold to the account; its product upgrades and upsells to two others. */
    const deployedSimple = async (t: Target) => {
      const a = await t.env.as("PRODUCER_ADMIN");
      const { lm, p } = await catalog(t.env);
      const related = async () => {
        const x = (
          await a.post("/api/v1/products", {
            name: `R-${uid()}`,
            version: "1.0",
            features: [{ name: "f", version: "1.0", count: null }],
          })
        ).json();
        await a.post(`/api/v1/products/${x.id}/actions/change-state`, { state: "DEPLOYED" });
        return x;
      };
      const up = await related();
      const us = await related();
      await a.patch(`/api/v1/products/${p.id}`, { upgradeToIds: [up.id], upsellToIds: [us.id] });
      await a.post(`/api/v1/license-models/${lm.id}/actions/change-state`, { state: "DEPLOYED" });
      await a.post(`/api/v1/products/${p.id}/actions/change-state`, { state: "DEPLOYED" });
      const e = (
        await a.post("/api/v1/entitlements", {
          kind: "SIMPLE",
          soldTo: t.accountId,
          lineItems: [
            { products: [{ productId: p.id }], licenseModelId: lm.id, term: { count: 1, unit: "YEARS" }, numberOfCopies: 4 },
          ],
          autoDeploy: true,
        })
      ).json();
      return { e, up, us, url: `/api/v1/entitlements/${e.id}/line-items/${e.lineItems[0].id}` };
    };
    return [
      {
        action: "entitlement.update (renew)",
        method: "POST",
        setup: async (t) => ({ url: `${(await deployedSimple(t)).url}/actions/renew`, body: {} }),
        allowed: (r) => writer(r),
      },
      {
        action: "entitlement.update (upgrade)",
        method: "POST",
        setup: async (t) => {
          const f = await deployedSimple(t);
          return { url: `${f.url}/actions/upgrade`, body: { productId: f.up.id, count: 1 } };
        },
        allowed: (r) => writer(r),
      },
      {
        action: "entitlement.update (upsell)",
        method: "POST",
        setup: async (t) => {
          const f = await deployedSimple(t);
          return { url: `${f.url}/actions/upsell`, body: { productId: f.us.id, additionalCopies: 2 } };
        },
        allowed: (r) => writer(r),
      },
      {
        action: "entitlement.update (transfer entitlement)",
        method: "POST",
        setup: async (t) => {
          const f = await deployedSimple(t);
          return { url: `/api/v1/entitlements/${f.e.id}/actions/transfer`, body: { accountId: await t.env.makeAccount() } };
        },
        allowed: (r) => writer(r),
      },
      {
        action: "entitlement.update (transfer line item copies)",
        method: "POST",
        setup: async (t) => ({
          url: `${(await deployedSimple(t)).url}/actions/transfer`,
          body: { accountId: await t.env.makeAccount(), count: 1 },
        }),
        allowed: (r) => writer(r),
      },
      {
        action: "entitlement.update (merge accounts' entitlements)",
        method: "POST",
        setup: async (t) => {
          await deployedSimple(t);
          return {
            url: `/api/v1/accounts/${t.accountId}/actions/merge-entitlements`,
            body: { intoAccountId: await t.env.makeAccount() },
          };
        },
        allowed: (r) => writer(r),
      },
      {
        action: "entitlement.read (lineage)",
        method: "GET",
        setup: async (t) => ({ url: `${(await deployedSimple(t)).url}/lineage` }),
        allowed: (r, s) => staff(r) || s === "own",
      },
    ];
  })(),
  // Licenses: producer staff read all, admin/operations/support activate and act on any; portal
  // users on the line items of entitlements their account owns (404 on others'); only admin and
  // operations override a policy.
  ...((): Row[] => {
    const licenser = (r: Role) => ["PRODUCER_ADMIN", "PRODUCER_OPERATIONS", "PRODUCER_SUPPORT"].includes(r);
    const portalOwn = (r: Role, s: Scope) => !staff(r) && s === "own";
    /** A deployed simple entitlement sold to the account, with one activatable line item. */
    const activatable = async (t: Target) => {
      await ensureSigningKey(t.env.db, t.env.app.deps.config);
      const a = await t.env.as("PRODUCER_ADMIN");
      const { lm, p } = await catalog(t.env);
      await a.post(`/api/v1/license-models/${lm.id}/actions/change-state`, { state: "DEPLOYED" });
      await a.post(`/api/v1/products/${p.id}/actions/change-state`, { state: "DEPLOYED" });
      const e = ok(
        await a.post("/api/v1/entitlements", {
          kind: "SIMPLE",
          soldTo: t.accountId,
          lineItems: [
            {
              products: [{ productId: p.id }],
              licenseModelId: lm.id,
              startDateOption: "DEFINE_NOW",
              startDate: "2026-01-01",
              numberOfCopies: 4,
            },
          ],
          autoDeploy: true,
        }),
      );
      return { a, activationId: e.lineItems[0].activationId as string };
    };
    const fulfilled = async (t: Target) => {
      const { a, activationId } = await activatable(t);
      return ok(await a.post("/api/v1/activations", { activationId, hosts: [{ id: uid() }] })).fulfillment.id as string;
    };
    return [
      { action: "fulfillment.list", method: "GET", setup: async () => ({ url: "/api/v1/fulfillments" }), allowed: everyone },
      {
        action: "fulfillment.read",
        method: "GET",
        setup: async (t) => ({ url: `/api/v1/fulfillments/${await fulfilled(t)}` }),
        allowed: (r, s) => staff(r) || s === "own",
      },
      {
        action: "fulfillment.read (license file)",
        method: "GET",
        setup: async (t) => ({ url: `/api/v1/fulfillments/${await fulfilled(t)}/license` }),
        allowed: (r, s) => staff(r) || s === "own",
      },
      {
        action: "fulfillment.activate",
        method: "POST",
        setup: async (t) => ({
          url: "/api/v1/activations",
          body: { activationId: (await activatable(t)).activationId, hosts: [{ id: uid() }] },
        }),
        allowed: (r, s) => licenser(r) || portalOwn(r, s),
      },
      {
        action: "fulfillment.support",
        method: "POST",
        setup: async (t) => ({ url: `/api/v1/fulfillments/${await fulfilled(t)}/actions/return`, body: {} }),
        allowed: (r, s) => licenser(r) || portalOwn(r, s),
      },
      {
        action: "fulfillment.overridePolicy",
        method: "POST",
        setup: async (t) => ({
          url: `/api/v1/fulfillments/${await fulfilled(t)}/actions/rehost`,
          body: { hosts: [{ id: uid() }], overridePolicy: true, reason: "matrix" },
        }),
        allowed: (r) => writer(r),
      },
    ];
  })(),
  // The partner portal (issue 15): a partner portal admin creates accounts related to its own and
  // users on them; partners read their related accounts; a bulk's keys are its current owner's
  // ("own" = a bulk sold to the caller's partner account; for other roles one of some distributor),
  // its redemptions every partner in its tiers'.
  {
    action: "account.create (related to the caller's partner account)",
    method: "POST",
    setup: async (t) => ({
      url: "/api/v1/accounts",
      body: { id: `REL-${uid()}`, name: "Reseller", type: "CHANNEL_PARTNER", relateTo: t.accountId },
    }),
    // Producer writers get a 400 when the account is not a partner: allowed, yet refused for its data.
    allowed: (r, s) => writer(r) || (r === "PARTNER_PORTAL_ADMIN" && s === "own"),
  },
  {
    action: "user.assignToAccount (an account the caller's partner account manages)",
    method: "POST",
    setup: async (t) => {
      // As if the target account's partner admin had created it in its portal (only for a partner account).
      const related = await t.env.makeAccount({ type: "CUSTOMER" });
      const partner = await t.env.db.selectFrom("accounts").select("type").where("id", "=", t.accountId).executeTakeFirst();
      if (partner?.type === "CHANNEL_PARTNER")
        await t.env.db.updateTable("accounts").set({ managed_by: t.accountId }).where("id", "=", related).execute();
      return {
        url: "/api/v1/users",
        body: {
          email: `rel-${uid()}@matrix.io`,
          firstName: "R",
          lastName: "U",
          memberships: [{ accountId: related, role: "CUSTOMER_PORTAL_ADMIN" }],
        },
      };
    },
    allowed: (r, s) => admin(r) || (r === "PARTNER_PORTAL_ADMIN" && s === "own"),
  },
  {
    action: "account.read (related accounts)",
    method: "GET",
    setup: async (t) => ({ url: `/api/v1/accounts/${t.accountId}/related-accounts` }),
    allowed: (r, s) => staff(r) || s === "own",
  },
  ...((): Row[] => {
    const partnerOwn = (r: Role, s: Scope) => staff(r) || (r.startsWith("PARTNER_") && s === "own");
    /** One catalog per test's database: these rows make many bulks, and the catalog is the slow part. */
    const catalogs = new WeakMap<object, Promise<Awaited<ReturnType<typeof factoryCatalog>>>>();
    /** A deployed bulk entitlement with 2 keys, sold to the caller's account when it is a partner's. */
    const bulkOf = async (t: Target) => {
      const a = await t.env.as("PRODUCER_ADMIN");
      if (!catalogs.has(t.env.db)) catalogs.set(t.env.db, factoryCatalog(t.env, a));
      const c = await (catalogs.get(t.env.db) as ReturnType<typeof factoryCatalog>);
      const soldTo = t.role.startsWith("PARTNER_") ? t.accountId : c.distributor;
      return (await bulkEntitlement(t.env, a, { catalog: c, keys: 2, body: { soldTo } })).bulk.id as string;
    };
    return [
      {
        action: "keys.read (list)",
        method: "GET",
        setup: async (t) => ({ url: `/api/v1/entitlements/${await bulkOf(t)}/keys` }),
        allowed: partnerOwn,
      },
      {
        action: "keys.read (CSV export)",
        method: "GET",
        setup: async (t) => ({ url: `/api/v1/entitlements/${await bulkOf(t)}/keys/export.csv` }),
        allowed: partnerOwn,
      },
      {
        action: "keys.read (key cards PDF)",
        method: "GET",
        setup: async (t) => ({ url: `/api/v1/entitlements/${await bulkOf(t)}/keys/export.pdf` }),
        allowed: partnerOwn,
      },
      {
        action: "keys.readRedemptions",
        method: "GET",
        setup: async (t) => ({ url: `/api/v1/entitlements/${await bulkOf(t)}/redemptions` }),
        allowed: partnerOwn,
      },
    ];
  })(),
  // Reports (issue 15): producer staff see all; a partner the reports of bulk entitlements its
  // account owns and of its own account; customers none (404). The chain and home figures: producer staff.
  ...((): Row[] => {
    const partnerOwn = (r: Role, s: Scope) => r.startsWith("PARTNER_") && s === "own";
    /** A bulk entitlement the target partner account owns (customers' and producers' targets: some distributor's). */
    const catalogs = new WeakMap<object, Promise<{ a: Caller; c: FactoryCatalog }>>();
    const ownedBulk = async (t: Target) => {
      // One catalog per database (a fresh one per test): the matrix runs many rows against the clock.
      let made = catalogs.get(t.env.db);
      if (!made) {
        made = (async () => {
          const a = await t.env.as("PRODUCER_ADMIN");
          return { a, c: await factoryCatalog(t.env, a) };
        })();
        catalogs.set(t.env.db, made);
      }
      const { a, c } = await made;
      const soldTo = t.role.startsWith("PARTNER_") ? { body: { soldTo: t.accountId } } : {};
      return (await bulkEntitlement(t.env, a, { catalog: c, ...soldTo })).bulk.id as string;
    };
    return [
      {
        action: "report.bulk",
        method: "GET",
        setup: async (t) => ({ url: `/api/v1/reports/bulk-entitlements/${await ownedBulk(t)}` }),
        allowed: (r, s) => staff(r) || partnerOwn(r, s),
      },
      {
        action: "report.bulk (csv)",
        method: "GET",
        setup: async (t) => ({ url: `/api/v1/reports/bulk-entitlements/${await ownedBulk(t)}/customers.csv` }),
        allowed: (r, s) => staff(r) || partnerOwn(r, s),
      },
      {
        action: "report.partner",
        method: "GET",
        setup: async (t) => ({ url: `/api/v1/reports/partners/${t.accountId}` }),
        allowed: (r, s) => staff(r) || partnerOwn(r, s),
      },
      { action: "report.overview", method: "GET", setup: async () => ({ url: "/api/v1/reports/overview" }), allowed: staff },
      {
        action: "entitlement.chain",
        method: "GET",
        setup: async (t) => ({ url: `/api/v1/entitlements/${await ownedBulk(t)}/chain` }),
        allowed: staff,
      },
    ];
  })(),
  // Webhooks: the four producer roles read endpoints and deliveries, the producer admin changes
  // them (and alone sees a secret); portal users neither.
  ...((): Row[] => {
    const hook = async (t: Target) =>
      ok(
        await (await t.env.as("PRODUCER_ADMIN")).post("/api/v1/webhook-endpoints", {
          url: "https://example.com/h",
          eventTypes: ["*"],
        }),
      ).id as string;
    const delivery = async (t: Target) =>
      ok(await (await t.env.as("PRODUCER_ADMIN")).post(`/api/v1/webhook-endpoints/${await hook(t)}/test`), 202).id as string;
    const base = "/api/v1/webhook-endpoints";
    return [
      { action: "webhook.read (list)", method: "GET", setup: async () => ({ url: base }), allowed: staff },
      { action: "webhook.read", method: "GET", setup: async (t) => ({ url: `${base}/${await hook(t)}` }), allowed: staff },
      {
        action: "webhook.read (deliveries)",
        method: "GET",
        setup: async (t) => ({ url: `${base}/${await hook(t)}/deliveries` }),
        allowed: staff,
      },
      {
        action: "webhook.read (delivery)",
        method: "GET",
        setup: async (t) => ({ url: `/api/v1/webhook-deliveries/${await delivery(t)}` }),
        allowed: staff,
      },
      {
        action: "webhook.write (create)",
        method: "POST",
        setup: async () => ({ url: base, body: { url: "https://example.com/h", eventTypes: ["key.*"] } }),
        allowed: admin,
      },
      {
        action: "webhook.write (update)",
        method: "PATCH",
        setup: async (t) => ({ url: `${base}/${await hook(t)}`, body: { enabled: false } }),
        allowed: admin,
      },
      {
        action: "webhook.write (delete)",
        method: "DELETE",
        setup: async (t) => ({ url: `${base}/${await hook(t)}` }),
        allowed: admin,
      },
      {
        action: "webhook.write (reveal secret)",
        method: "POST",
        setup: async (t) => ({ url: `${base}/${await hook(t)}/reveal-secret` }),
        allowed: admin,
      },
      {
        action: "webhook.write (rotate secret)",
        method: "POST",
        setup: async (t) => ({ url: `${base}/${await hook(t)}/rotate-secret` }),
        allowed: admin,
      },
      {
        action: "webhook.write (test)",
        method: "POST",
        setup: async (t) => ({ url: `${base}/${await hook(t)}/test` }),
        allowed: admin,
      },
      {
        action: "webhook.write (redeliver)",
        method: "POST",
        setup: async (t) => ({ url: `/api/v1/webhook-deliveries/${await delivery(t)}/redeliver` }),
        allowed: admin,
      },
    ];
  })(),
];

describeEachDb("policy matrix", (env) => {
  // Generous: every row makes its own records, on two cores shared with other suites.
  it.each([...ROLES])("%s: every endpoint, own and foreign", { timeout: 120_000 }, async (role) => {
    const kind = role.startsWith("PRODUCER_") ? null : role.startsWith("PARTNER_") ? "CHANNEL_PARTNER" : "CUSTOMER";
    const own = kind ? await env.makeAccount({ type: kind }) : PUBLISHER_ID;
    const foreign = kind ? await env.makeAccount({ type: kind }) : await env.makeAccount();
    const me = await env.makeUser({ role, accountId: own });
    const caller = env.caller(me.token);
    const mismatches: string[] = [];
    for (const row of rows) {
      for (const scope of ["own", "foreign"] as const) {
        // For producer roles "own" means the producer's business data: use a customer account for both.
        const accountId = kind ? (scope === "own" ? own : foreign) : await env.makeAccount();
        const { url, body } = await row.setup({ accountId, env, role });
        const res =
          row.method === "GET"
            ? await caller.get(url)
            : row.method === "DELETE"
              ? await caller.delete(url)
              : row.method === "PATCH"
                ? await caller.patch(url, body)
                : await caller.post(url, body);
        const refused = [401, 403, 404].includes(res.statusCode);
        const expected = row.allowed(role, scope);
        if (expected === refused || res.statusCode >= 500) {
          mismatches.push(
            `${row.action} ${scope}: expected ${expected ? "allowed" : "denied"}, got ${res.statusCode} ${res.body.slice(0, 160)}`,
          );
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});

/**
 * Issue 12, item 14: a partner that may read a bulk's keys may start a key export (202) and, by
 * the same rule, read that job and download its file; other partners, customers and the owner's
 * other jobs stay refused.
 */
describeEachDb("key export jobs: who starts one may follow and download it", (env) => {
  it("lets the current-owner partner read and download its export; refuses other partners and customers", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk, distributor } = await bulkEntitlement(env, admin, { keys: 5 });
    const runner = new JobRunner({ db: env.db, dialect: env.dialect, config: env.app.deps.config, bulk: env.app.deps.bulk });
    (env.app.deps as { jobs?: unknown }).jobs = runner;

    const partner = await env.as("PARTNER_PORTAL_USER", distributor);
    const started = await partner.post(`/api/v1/entitlements/${bulk.id}/keys/exports`, {});
    expect(started.statusCode, started.body).toBe(202);
    const jobId = started.json().jobId as string;
    await runner.start();
    let job = (await partner.get(`/api/v1/jobs/${jobId}`)).json();
    for (let i = 0; i < 200 && (job.state === "QUEUED" || job.state === "RUNNING"); i++) {
      await new Promise((r) => setTimeout(r, 50));
      job = (await partner.get(`/api/v1/jobs/${jobId}`)).json();
    }
    await runner.stop();
    expect(job).toMatchObject({ id: jobId, state: "SUCCEEDED" });
    const file = await partner.get(`/api/v1/jobs/${jobId}/download`);
    expect(file.statusCode, file.body).toBe(200);
    expect(file.body.trim().split(/\r?\n/)).toHaveLength(6);

    for (const outsider of [await env.as("PARTNER_PORTAL_ADMIN"), await env.as("CUSTOMER_PORTAL_ADMIN")]) {
      expect((await outsider.post(`/api/v1/entitlements/${bulk.id}/keys/exports`, {})).statusCode).toBe(404);
      expect((await outsider.get(`/api/v1/jobs/${jobId}`)).statusCode).toBe(403);
      expect((await outsider.get(`/api/v1/jobs/${jobId}/download`)).statusCode).toBe(403);
    }
    // Partners follow their exports, not the job list nor other kinds of jobs.
    expect((await partner.get("/api/v1/jobs")).statusCode).toBe(403);
    const gen = await env.db.selectFrom("jobs").select("id").where("type", "!=", "keys.export").executeTakeFirst();
    if (gen) expect((await partner.get(`/api/v1/jobs/${gen.id}`)).statusCode).toBe(403);
    expect((await admin.get(`/api/v1/jobs/${jobId}`)).statusCode).toBe(200);
    // An unknown job looks like someone else's to a partner, so job ids do not leak.
    const unknown = "01900000-0000-7000-8000-000000000000";
    expect((await partner.get(`/api/v1/jobs/${unknown}`)).statusCode).toBe(403);
    expect((await admin.get(`/api/v1/jobs/${unknown}`)).statusCode).toBe(404);
  });
});
