import { expect, it } from "vitest";
import { bulkEntitlement, logIn, ok, PASSWORD, uid, userWithPassword } from "./factories.js";
import { type Caller, describeEachDb, type TestEnv } from "./helpers.js";

/**
 * The channel partners' own portal (issue 15, item 1) through the API on both databases: partners
 * land in the partner portal; their bulk entitlements carry key counts; a bulk's redemptions are
 * listed for the partners in its tiers (keys masked unless current owner); related accounts; a
 * partner portal admin creates a reseller and its first user, related in the same transaction.
 */

type Json = any;
const RESELLER_TIER = "bo.constants.partnertiernames.tier2";

/** A distributor's bulk entitlement with `keys` keys, split in part to a related reseller. */
async function channel(env: TestEnv, keys = 10, split = 4) {
  const admin = await env.as("PRODUCER_ADMIN");
  const b = await bulkEntitlement(env, admin, { keys });
  ok(await admin.post("/api/v1/partner-tiers", { name: RESELLER_TIER, displayName: "Reseller", rank: 50 }));
  const reseller = await env.makeAccount({ type: "CHANNEL_PARTNER", name: "Reseller One" });
  ok(await admin.post(`/api/v1/accounts/${b.distributor}/related-accounts`, { accountId: reseller }), 200);
  const r = ok(
    await admin.post(`/api/v1/entitlements/${b.bulk.id}/actions/split`, {
      targetAccountId: reseller,
      tier: RESELLER_TIER,
      count: split,
    }),
  );
  return { admin, ...b, reseller, resellerBulk: r.entitlement as Json };
}

async function redeemAsCustomer(env: TestEnv, customer: string, key: string) {
  const user = await env.as("CUSTOMER_PORTAL_USER", customer);
  const r = await user.post("/api/v1/redemptions", { key });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().entitlement as Json;
}

const items = async (c: Caller, url: string) => ok(await c.get(url), 200).items as Json[];

describeEachDb("partner portal", (env) => {
  it("sends partners to the partner portal, customers to the customer one, and names the producer", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    ok(await admin.patch("/api/v1/settings", { producerName: "Acme Software" }), 200);
    // Before anyone logs in, too (the login page).
    expect(ok(await env.caller(null).get("/api/v1/branding"), 200)).toEqual({ producerName: "Acme Software" });
    const partner = await userWithPassword(env, "PARTNER_PORTAL_USER", { admin });
    const login = await logIn(env.app, partner.user.email, PASSWORD);
    expect(login.res.json()).toMatchObject({ portal: "partner", producerName: "Acme Software" });
    const customer = await userWithPassword(env, "CUSTOMER_PORTAL_USER", { admin });
    expect((await logIn(env.app, customer.user.email, PASSWORD)).res.json()).toMatchObject({
      portal: "enduser",
      producerName: "Acme Software",
    });
    // In both a partner and a customer account (the API keeps a user's accounts of one kind; data
    // made otherwise): the partner portal.
    await env.db
      .insertInto("user_roles")
      .values({ user_id: partner.user.id, account_id: customer.accountId, role: "CUSTOMER_PORTAL_USER" })
      .execute();
    expect((await logIn(env.app, partner.user.email, PASSWORD)).res.json().portal).toBe("partner");
    // A blank name is refused, naming the field, and changes nothing.
    const blank = await admin.patch("/api/v1/settings", { producerName: "  " });
    expect(blank.statusCode).toBe(400);
    expect(blank.json().errors[0].field).toBe("producerName");
    expect(ok(await admin.get("/api/v1/settings"), 200).producerName).toBe("Acme Software");
  });

  it("lists a partner's bulk entitlements with key counts, where it owns them or holds a tier", async () => {
    const { bulk, distributor, reseller, resellerBulk, customer, keys } = await channel(env, 10, 4);
    await redeemAsCustomer(env, customer, keys[9] as string);
    const dist = await env.as("PARTNER_PORTAL_USER", distributor);
    const mine = await items(dist, "/api/v1/entitlements?kind=BULK");
    expect(mine.map((e) => e.id).sort()).toEqual([bulk.id, resellerBulk.id].sort());
    expect(mine.find((e) => e.id === bulk.id).keyCounts).toEqual({ total: 6, redeemed: 1, unredeemed: 5 });
    expect(mine.find((e) => e.id === resellerBulk.id).keyCounts).toEqual({ total: 4, redeemed: 0, unredeemed: 4 });
    const res = await env.as("PARTNER_PORTAL_USER", reseller);
    expect((await items(res, "/api/v1/entitlements?kind=BULK")).map((e) => e.id)).toEqual([resellerBulk.id]);
    expect(ok(await res.get(`/api/v1/entitlements/${resellerBulk.id}`), 200).keyCounts).toEqual({
      total: 4,
      redeemed: 0,
      unredeemed: 4,
    });
    // Keys stay the current owner's: the distributor no longer owns the reseller's bulk.
    for (const path of ["keys", "keys/counts", "keys/export.csv", "keys/export.pdf"]) {
      expect((await dist.get(`/api/v1/entitlements/${resellerBulk.id}/${path}`)).statusCode, path).toBe(404);
      expect((await res.get(`/api/v1/entitlements/${resellerBulk.id}/${path}`)).statusCode, path).toBe(200);
    }
    const other = await env.as("PARTNER_PORTAL_ADMIN");
    expect(await items(other, "/api/v1/entitlements?kind=BULK")).toEqual([]);
  });

  it("lists redemptions newest first with the customer account; keys masked for partners that are not the current owner", async () => {
    const { admin, distributor, reseller, resellerBulk, customer } = await channel(env, 10, 4);
    const resellerKeys = (
      await items(await env.as("PARTNER_PORTAL_USER", reseller), `/api/v1/entitlements/${resellerBulk.id}/keys`)
    ).map((k) => k.key as string);
    const second = await env.makeAccount({ type: "CUSTOMER", name: "Second Customer" });
    const e1 = await redeemAsCustomer(env, customer, resellerKeys[0] as string);
    const e2 = await redeemAsCustomer(env, second, resellerKeys[1] as string);

    const owner = await env.as("PARTNER_PORTAL_USER", reseller);
    const seen = await items(owner, `/api/v1/entitlements/${resellerBulk.id}/redemptions`);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({
      key: resellerKeys[1],
      keyMasked: false,
      accountId: second,
      accountName: "Second Customer",
      entitlement: e2.id,
      entitlementId: e2.entitlementId,
    });
    expect(seen[1]).toMatchObject({ key: resellerKeys[0], accountId: customer, entitlementId: e1.entitlementId });
    expect(seen[0].redeemedAt >= seen[1].redeemedAt).toBe(true);

    // The distributor holds a tier on the reseller's bulk: it sees the redemptions, not the keys.
    const dist = await env.as("PARTNER_PORTAL_USER", distributor);
    const masked = await items(dist, `/api/v1/entitlements/${resellerBulk.id}/redemptions`);
    expect(masked.map((r) => r.key)).toEqual([`••••${resellerKeys[1]?.slice(-4)}`, `••••${resellerKeys[0]?.slice(-4)}`]);
    expect(masked.every((r) => r.keyMasked)).toBe(true);
    // The redeemed entitlement's ID holds the key by default ({key}ENT): masked the same way.
    expect(masked[1].entitlementId).toBe(`••••${resellerKeys[0]?.slice(-4)}ENT`);
    expect(JSON.stringify(masked)).not.toContain((resellerKeys[0] as string).slice(0, 10));
    // …and cannot find keys by searching for their start.
    const probe = (resellerKeys[0] as string).slice(0, 6);
    expect(await items(dist, `/api/v1/entitlements/${resellerBulk.id}/redemptions?q=${probe}`)).toEqual([]);
    expect(await items(owner, `/api/v1/entitlements/${resellerBulk.id}/redemptions?q=${probe}`)).toHaveLength(1);
    expect((await items(owner, `/api/v1/entitlements/${resellerBulk.id}/redemptions?q=second`)).map((r) => r.accountId)).toEqual([
      second,
    ]);

    // Keyset paging: one per page, newest first, nothing repeated.
    const p1 = ok(await owner.get(`/api/v1/entitlements/${resellerBulk.id}/redemptions?limit=1`), 200);
    const p2 = ok(await owner.get(`/api/v1/entitlements/${resellerBulk.id}/redemptions?limit=1&cursor=${p1.nextCursor}`), 200);
    expect([...p1.items, ...p2.items].map((r: Json) => r.entitlementId)).toEqual([e2.entitlementId, e1.entitlementId]);
    expect(p2.nextCursor).toBeNull();

    // Producer staff see the keys; customers, other partners and strangers get 404.
    expect(
      (await items(await env.as("PRODUCER_VIEWER"), `/api/v1/entitlements/${resellerBulk.id}/redemptions`))[0].keyMasked,
    ).toBe(false);
    for (const outsider of [
      await env.as("CUSTOMER_PORTAL_ADMIN", customer),
      await env.as("PARTNER_PORTAL_ADMIN"),
      await env.as("CUSTOMER_PORTAL_USER"),
    ]) {
      expect((await outsider.get(`/api/v1/entitlements/${resellerBulk.id}/redemptions`)).statusCode).toBe(404);
    }
    expect((await admin.get(`/api/v1/entitlements/${e1.id}/redemptions`)).statusCode).toBe(404);
  });

  it("lists the accounts related to a partner with the tiers they hold, to the partner's own users only", async () => {
    const { distributor, reseller } = await channel(env, 5, 2);
    const dist = await env.as("PARTNER_PORTAL_USER", distributor);
    expect(await items(dist, `/api/v1/accounts/${distributor}/related-accounts`)).toEqual([
      expect.objectContaining({
        id: reseller,
        name: "Reseller One",
        type: "CHANNEL_PARTNER",
        tiers: ["Reseller"],
        sharedEntitlements: 1,
        managed: false,
      }),
    ]);
    expect(
      (await (await env.as("PARTNER_PORTAL_ADMIN")).get(`/api/v1/accounts/${distributor}/related-accounts`)).statusCode,
    ).toBe(404);
    // Partners read the tiers to split to; customers do not.
    expect((await dist.get("/api/v1/partner-tiers")).statusCode).toBe(200);
    expect((await (await env.as("CUSTOMER_PORTAL_ADMIN")).get("/api/v1/partner-tiers")).statusCode).toBe(403);
  });

  it("lets a partner portal admin create a related reseller and its first user, who can log in", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const distributor = await env.makeAccount({ type: "CHANNEL_PARTNER", name: "Dist" });
    const partnerAdmin = await env.as("PARTNER_PORTAL_ADMIN", distributor);
    const id = `RES-${uid()}`;
    const made = ok(await partnerAdmin.post("/api/v1/accounts", { id, name: "New Reseller", type: "CHANNEL_PARTNER" }));
    expect(made).toMatchObject({ id, type: "CHANNEL_PARTNER", relatedAccountIds: [distributor] });
    const rel = await env.db.selectFrom("account_relations").selectAll().where("related_account_id", "=", id).execute();
    expect(rel.map((r) => r.account_id)).toEqual([distributor]);
    const audit = await env.db
      .selectFrom("audit_events")
      .select(["action", "object_id"])
      .where("action", "in", ["account.created", "account.related"])
      .where("object_id", "in", [id, distributor])
      .orderBy("action")
      .execute();
    expect(audit).toEqual([
      { action: "account.created", object_id: id },
      { action: "account.related", object_id: distributor },
    ]);
    const email = `reseller-${uid()}@example.com`;
    ok(
      await partnerAdmin.post("/api/v1/users", {
        email,
        firstName: "Res",
        lastName: "Eller",
        password: PASSWORD,
        memberships: [{ accountId: id, role: "PARTNER_PORTAL_ADMIN" }],
      }),
    );
    const login = await logIn(env.app, email, PASSWORD);
    expect(login.res.statusCode).toBe(200);
    expect(login.res.json()).toMatchObject({ portal: "partner", user: { memberships: [{ accountId: id }] } });
    // A customer account too, with an explicit relateTo.
    const cust = ok(
      await partnerAdmin.post("/api/v1/accounts", { id: `C-${uid()}`, name: "Shop", type: "CUSTOMER", relateTo: distributor }),
    );
    expect(cust.relatedAccountIds).toEqual([distributor]);

    // Nothing more: not a SELF_REGISTERED account, not related to another partner, not another's users,
    // no edits or deletes of the new account, and not as a non-admin partner user.
    const refused = async (res: { statusCode: number; body: string }, status = 403) =>
      expect(res.statusCode, res.body).toBe(status);
    await refused(await partnerAdmin.post("/api/v1/accounts", { id: `S-${uid()}`, name: "S", type: "SELF_REGISTERED" }));
    const stranger = await env.makeAccount({ type: "CHANNEL_PARTNER" });
    await refused(
      await partnerAdmin.post("/api/v1/accounts", { id: `X-${uid()}`, name: "X", type: "CUSTOMER", relateTo: stranger }),
    );
    await refused(
      await partnerAdmin.post("/api/v1/users", {
        email: `x-${uid()}@example.com`,
        firstName: "X",
        lastName: "Y",
        memberships: [{ accountId: stranger, role: "PARTNER_PORTAL_USER" }],
      }),
    );
    await refused(await partnerAdmin.patch(`/api/v1/accounts/${id}`, { name: "Renamed" }), 404);
    await refused(await partnerAdmin.delete(`/api/v1/accounts/${id}`), 404);
    const user = await env.as("PARTNER_PORTAL_USER", distributor);
    await refused(await user.post("/api/v1/accounts", { id: `U-${uid()}`, name: "U", type: "CUSTOMER" }));
    await refused(
      await user.post("/api/v1/users", {
        email: `u-${uid()}@example.com`,
        firstName: "U",
        lastName: "V",
        memberships: [{ accountId: id, role: "PARTNER_PORTAL_USER" }],
      }),
    );
    expect(await env.db.selectFrom("accounts").select("id").where("name", "in", ["S", "X", "U"]).execute()).toEqual([]);
    // The producer still creates accounts as before (no relation unless asked).
    expect(ok(await admin.post("/api/v1/accounts", { id: `P-${uid()}`, name: "P", type: "CUSTOMER" })).relatedAccountIds).toEqual(
      [],
    );
  });

  it("a relation alone lets no partner place users: not a reseller on its distributor, not a partner on a customer the producer related", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const distributor = await env.makeAccount({ type: "CHANNEL_PARTNER", name: "Dist" });
    const distAdmin = await env.as("PARTNER_PORTAL_ADMIN", distributor);
    // The distributor creates its reseller (it manages it); the reseller's admin is then related back to it.
    const reseller = `RES-${uid()}`;
    ok(await distAdmin.post("/api/v1/accounts", { id: reseller, name: "Res", type: "CHANNEL_PARTNER" }));
    const resAdmin = await env.as("PARTNER_PORTAL_ADMIN", reseller);
    // The producer relates a big customer to the distributor: the distributor may sell to it, not run it.
    const bigCustomer = await env.makeAccount({ type: "CUSTOMER", name: "Big" });
    ok(await admin.post(`/api/v1/accounts/${distributor}/related-accounts`, { accountId: bigCustomer }), 200);
    const newUser = (accountId: string, role: string) => ({
      email: `takeover-${uid()}@example.com`,
      firstName: "T",
      lastName: "O",
      password: PASSWORD,
      memberships: [{ accountId, role }],
    });
    const before = await env.db.selectFrom("user_roles").select("user_id").execute();
    expect((await resAdmin.post("/api/v1/users", newUser(distributor, "PARTNER_PORTAL_ADMIN"))).statusCode).toBe(403);
    expect((await distAdmin.post("/api/v1/users", newUser(bigCustomer, "CUSTOMER_PORTAL_ADMIN"))).statusCode).toBe(403);
    expect(await env.db.selectFrom("user_roles").select("user_id").execute()).toHaveLength(before.length);
    // What it created, it manages: the distributor's admin places the reseller's first user.
    ok(await distAdmin.post("/api/v1/users", newUser(reseller, "PARTNER_PORTAL_ADMIN")));
    // A producer-created account related later is not managed by the partner either.
    const row = await env.db
      .selectFrom("accounts")
      .select(["id", "managed_by"])
      .where("id", "in", [reseller, bigCustomer])
      .execute();
    expect(Object.fromEntries(row.map((r) => [r.id, r.managed_by]))).toEqual({ [reseller]: distributor, [bigCustomer]: null });
  });
});
