import { expect, it } from "vitest";
import {
  bulkEntitlement,
  catalog,
  keysOf,
  ok,
  PASSWORD,
  product,
  simpleEntitlement,
  uid,
  userWithPassword,
} from "./factories.js";
import { type Caller, describeEachDb, type TestEnv } from "./helpers.js";
import { basic, expectValid, type Node, schemaOf, soapClient, statusOf, texts } from "./soapHarness.js";

/**
 * The lifecycle operations of the SOAP facade over HTTP, as a client generated from the WSDL sends
 * them, on both databases: splitBulkEntitlement, getMatchingBulkEnts, transferEntitlement,
 * getStateChangeHistory and emailEntitlement — each answer valid against our WSDL's schema, the
 * database showing what the answer says, refusals per item with nothing half-written.
 */

const RESELLER_TIER = "bo.constants.partnertiernames.tier2";

async function setup(env: TestEnv) {
  const { admin, user } = await userWithPassword(env, "PRODUCER_ADMIN");
  const soap = soapClient(env, basic(`${user.email}##FLEXnet`, PASSWORD));
  return { admin, user, soap, schema: await schemaOf(env) };
}

/** A distributor's bulk entitlement with keys, a Reseller tier and a reseller related to the distributor. */
async function channel(env: TestEnv, admin: Caller, keys = 10) {
  const b = await bulkEntitlement(env, admin, { keys });
  ok(await admin.post("/api/v1/partner-tiers", { name: RESELLER_TIER, displayName: "Reseller", rank: 50 }));
  const reseller = await env.makeAccount({ type: "CHANNEL_PARTNER", name: "Reseller" });
  ok(await admin.post(`/api/v1/accounts/${b.distributor}/related-accounts`, { accountId: reseller }), 200);
  return { ...b, reseller };
}

const byPk = (uniqueId: string) => ({ uniqueId });
const byId = (entitlementId: string) => ({ primaryKeys: { entitlementId } });

async function interfaces(env: TestEnv, objectId: string, action: string) {
  const rows = await env.db
    .selectFrom("audit_events")
    .select("interface")
    .where("object_id", "=", objectId)
    .where("action", "=", action)
    .execute();
  return rows.map((r) => r.interface);
}

describeEachDb("SOAP lifecycle: splitBulkEntitlement and getMatchingBulkEnts", (env) => {
  it("splits keys per item into a new bulk entitlement, then into the matching one; a refused item moves nothing", async () => {
    const { admin, soap, schema } = await setup(env);
    const { bulk, keys, reseller } = await channel(env, admin, 10);
    const split = (n: number, extra: Record<string, unknown> = {}) => ({
      bulkEntIdentifier: byId(bulk.entitlementId),
      numberOfWRKs: n,
      targetTierName: RESELLER_TIER,
      targetAccountUnit: { primaryKeys: { id: reseller } },
      ...extra,
    });
    const res = await soap("splitBulkEntitlementRequest", {
      bulkEntitlementList: { bulkEntitlementInfo: [split(4), split(1000)] },
    });
    expect(res.statusCode, res.body).toBe(200);
    await expectValid(res.body, schema);
    expect(statusOf(res.body)).toBe("PARTIAL_FAILURE");
    const [sourcePk, newPk] = texts(res.body, "uniqueId");
    expect(sourcePk).toBe(bulk.id);
    expect(newPk).not.toBe(bulk.id);
    // The refused item is echoed in failedData with its reason; only the first split happened.
    expect(texts(res.body, "numberOfWRKs")).toEqual(["1000"]);
    expect(texts(res.body, "reason").join(" ")).toMatch(/1000|enough|only/i);
    expect(await keysOf(admin, newPk as string)).toEqual(keys.slice(0, 4));
    expect(await keysOf(admin, bulk.id)).toEqual(keys.slice(4));
    expect(await interfaces(env, bulk.id, "entitlement.split")).toEqual(["SOAP"]);

    // The reseller's new bulk entitlement matches: the next split goes there.
    const m = await soap("getMatchingBulkEntsRequest", {
      bulkEntList: {
        bulkEntInfo: [
          {
            bulkEntIdentifier: byPk(bulk.id),
            targetTierName: RESELLER_TIER,
            targetAccountUnit: { primaryKeys: { id: reseller } },
          },
        ],
      },
    });
    await expectValid(m.body, schema);
    expect(statusOf(m.body)).toBe("SUCCESS");
    expect(texts(m.body, "uniqueId")).toEqual([newPk]);
    const again = await soap("splitBulkEntitlementRequest", {
      bulkEntitlementList: { bulkEntitlementInfo: [split(2, { matchingBulkEntIdentifier: byPk(newPk as string) })] },
    });
    await expectValid(again.body, schema);
    expect(statusOf(again.body), again.body).toBe("SUCCESS");
    expect(texts(again.body, "uniqueId")).toEqual([bulk.id, newPk]);
    expect(await keysOf(admin, newPk as string)).toEqual(keys.slice(0, 6));
    const counts = ok(await admin.get(`/api/v1/entitlements/${bulk.id}/keys/counts`), 200);
    expect(counts).toEqual({ total: 4, redeemed: 0, unredeemed: 4 });
  });

  it("refuses a whole split naming why: unknown entitlement, a line item target, an unrelated account (FAILURE, nothing moved)", async () => {
    const { admin, soap, schema } = await setup(env);
    const { bulk, keys, reseller } = await channel(env, admin, 3);
    const stranger = await env.makeAccount({ type: "CHANNEL_PARTNER", name: "Stranger" });
    const res = await soap("splitBulkEntitlementRequest", {
      bulkEntitlementList: {
        bulkEntitlementInfo: [
          {
            bulkEntIdentifier: byId(`NOPE-${uid()}`),
            numberOfWRKs: 1,
            targetTierName: RESELLER_TIER,
            targetAccountUnit: { primaryKeys: { id: reseller } },
          },
          {
            bulkEntIdentifier: byPk(bulk.id),
            numberOfWRKs: 1,
            targetTierName: RESELLER_TIER,
            targetAccountUnit: { primaryKeys: { id: reseller } },
            matchingLineItemIdentifier: { primaryKeys: { activationId: "ACT-1" } },
          },
          {
            bulkEntIdentifier: byPk(bulk.id),
            numberOfWRKs: 1,
            targetTierName: RESELLER_TIER,
            targetAccountUnit: { primaryKeys: { id: stranger } },
          },
        ],
      },
    });
    await expectValid(res.body, schema);
    expect(statusOf(res.body)).toBe("FAILURE");
    const reasons = texts(res.body, "reason");
    expect(reasons[1]).toContain("was not found");
    expect(reasons[2]).toContain("matchingLineItemIdentifier");
    expect(reasons[3]).toContain(stranger);
    expect(await keysOf(admin, bulk.id)).toEqual(keys);
  });

  it("reads the organization of versions before v3 (targetOrganizationUnit)", async () => {
    const { admin, soap } = await setup(env);
    const { bulk, reseller } = await channel(env, admin, 2);
    const v2 = "urn:v2.webservices.operations.flexnet.com";
    const path = "/flexnet/services/v2/EntitlementOrderService";
    const res = await soap(
      "splitBulkEntitlementRequest",
      {
        bulkEntitlementList: {
          bulkEntitlementInfo: [
            {
              bulkEntIdentifier: byPk(bulk.id),
              numberOfWRKs: 1,
              targetTierName: RESELLER_TIER,
              targetOrganizationUnit: { primaryKeys: { name: reseller } },
            },
          ],
        },
      },
      { ns: v2, path },
    );
    await expectValid(res.body, await schemaOf(env, path));
    expect(statusOf(res.body), res.body).toBe("SUCCESS");
    expect(texts(res.body, "uniqueId")).toHaveLength(2);
  });
});

describeEachDb("SOAP lifecycle: transferEntitlement", (env) => {
  it("transfers per item: the new entitlement for accountTo with the line items mapped, the source OBSOLETE; a bulk one refused", async () => {
    const { admin, soap, schema } = await setup(env);
    const { entitlement: e } = await simpleEntitlement(env, admin);
    const target = await env.makeAccount({ type: "CUSTOMER", name: "New owner" });
    const { bulk } = await bulkEntitlement(env, admin);
    const source = ok(await admin.get(`/api/v1/entitlements/${e.id}`), 200);
    const activationId = source.lineItems[0].activationId as string;
    const res = await soap("transferEntitlementsRequest", {
      entitlementList: {
        entitlementInfo: [
          { entitlementIdentifier: byId(e.entitlementId), accountTo: target, retainExistingIds: true },
          { entitlementIdentifier: byPk(bulk.id), accountTo: target },
        ],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    await expectValid(res.body, schema);
    expect(statusOf(res.body)).toBe("PARTIAL_FAILURE");
    const newPk = texts(res.body, "uniqueId")[0] as string;
    expect(newPk).not.toBe(e.id);
    expect(texts(res.body, "entitlementId")[0]).toBe(e.entitlementId);
    // The new line item keeps the activation ID; it came from the source's, renamed.
    expect(texts(res.body, "activationId")).toEqual([activationId]);
    const renamedFrom = texts(res.body, "transferredFromId")[0] as string;
    expect(renamedFrom).toMatch(new RegExp(`^${activationId}-TRANSFERRED-`));
    const now = ok(await admin.get(`/api/v1/entitlements/${newPk}`), 200);
    expect(now).toMatchObject({ soldTo: target, state: "DEPLOYED", entitlementId: e.entitlementId });
    const old = ok(await admin.get(`/api/v1/entitlements/${e.id}`), 200);
    expect(old.state).toBe("OBSOLETE");
    expect(old.lineItems[0].activationId).toBe(renamedFrom);
    expect(await interfaces(env, e.id, "entitlement.transferred")).toEqual(["SOAP"]);
    // The bulk entitlement is echoed in failedData, untouched.
    expect(texts(res.body, "reason").join(" ")).toMatch(/bulk/i);
    expect(ok(await admin.get(`/api/v1/entitlements/${bulk.id}`), 200).state).toBe("DEPLOYED");
  });

  it("generates new IDs unless retainExistingIds, as FNO; returnActiveFulfillments is refused by name", async () => {
    const { admin, soap, schema } = await setup(env);
    const { entitlement: e } = await simpleEntitlement(env, admin);
    const target = await env.makeAccount({ type: "CUSTOMER", name: "New owner" });
    const refused = await soap("transferEntitlementsRequest", {
      entitlementList: {
        entitlementInfo: [{ entitlementIdentifier: byPk(e.id), accountTo: target, returnActiveFulfillments: true }],
      },
    });
    await expectValid(refused.body, schema);
    expect(statusOf(refused.body)).toBe("FAILURE");
    expect(texts(refused.body, "reason").join(" ")).toContain("returnActiveFulfillments");
    expect(ok(await admin.get(`/api/v1/entitlements/${e.id}`), 200).state).toBe("DEPLOYED");
    const res = await soap("transferEntitlementsRequest", {
      entitlementList: { entitlementInfo: [{ entitlementIdentifier: byPk(e.id), accountTo: target }] },
    });
    await expectValid(res.body, schema);
    expect(statusOf(res.body), res.body).toBe("SUCCESS");
    expect(texts(res.body, "entitlementId")[0]).not.toBe(e.entitlementId);
    const old = ok(await admin.get(`/api/v1/entitlements/${e.id}`), 200);
    expect(old).toMatchObject({ state: "OBSOLETE", entitlementId: e.entitlementId });
    expect(texts(res.body, "transferredFromId")).toEqual([old.lineItems[0].activationId]);
  });
});

describeEachDb("SOAP lifecycle: getStateChangeHistory and emailEntitlement", (env) => {
  it("answers each entitlement's history as the portal shows it; catalog lists and wrong kinds are refused", async () => {
    const { admin, soap, schema } = await setup(env);
    const { entitlement: e } = await simpleEntitlement(env, admin);
    const { bulk } = await bulkEntitlement(env, admin);
    const res = await soap("getStateChangeHistoryRequest", {
      simpleEntitlementList: { entitlementIdentifier: [byPk(e.id)] },
      bulkEntitlementList: { entitlementIdentifier: [byId(bulk.entitlementId)] },
    });
    expect(res.statusCode, res.body).toBe(200);
    await expectValid(res.body, schema);
    expect(statusOf(res.body), res.body).toBe("SUCCESS");
    const rest = async (pk: string) =>
      (ok(await admin.get(`/api/v1/entitlements/${pk}/history`), 200).items as { event: string }[]).map((x) => x.event);
    expect(texts(res.body, "eventName")).toEqual([...(await rest(e.id)), ...(await rest(bulk.id))]);
    expect(texts(res.body, "eventName")).toContain("EVENT_CREATED");
    expect(texts(res.body, "uniqueId")).toEqual([e.id, bulk.id]);

    const wrongKind = await soap("getStateChangeHistoryRequest", {
      simpleEntitlementList: { entitlementIdentifier: [byPk(bulk.id)] },
    });
    await expectValid(wrongKind.body, schema);
    expect(statusOf(wrongKind.body)).toBe("FAILURE");
    expect(texts(wrongKind.body, "reason")[0]).toContain("bulkEntitlementList");
    const products = await soap("getStateChangeHistoryRequest", {
      productList: { productIdentifier: [{ primaryKeys: { name: "x", version: "1" } }] },
    });
    expect(statusOf(products.body)).toBe("FAILURE");
    expect(texts(products.body, "reason")[0]).toContain("productList");
  });

  it("queues the entitlement certificate to the addresses given (and the ship-to list unless ignored); bad ones refused", async () => {
    const { admin, soap, schema } = await setup(env);
    const shipTo = `ship-${uid()}@example.com`;
    const { entitlement: e } = await simpleEntitlement(env, admin, { deploy: false, body: { shipToEmail: shipTo } });
    const extra = `extra-${uid()}@example.com`;
    const messages = async () =>
      env.db
        .selectFrom("email_messages")
        .select(["kind", "recipients", "object_id"])
        .where("object_id", "=", e.id)
        .where("kind", "=", "ENTITLEMENT_CERTIFICATE")
        .execute();
    const res = await soap("emailEntitlementRequest", {
      entitlementIdentifier: byId(e.entitlementId),
      emailIdList: { emailId: [extra] },
    });
    expect(res.statusCode, res.body).toBe(200);
    await expectValid(res.body, schema);
    expect(statusOf(res.body), res.body).toBe("SUCCESS");
    let m = await messages();
    expect(m).toHaveLength(1);
    expect(m[0]?.recipients).toContain(shipTo);
    expect(m[0]?.recipients).toContain(extra);
    expect(await interfaces(env, e.id, "entitlement.emailed")).toEqual(["SOAP"]);

    const only = await soap("emailEntitlementRequest", {
      entitlementIdentifier: byPk(e.id),
      ignoreExistingEmailList: true,
      emailIdList: { emailId: [extra] },
    });
    expect(statusOf(only.body)).toBe("SUCCESS");
    m = await messages();
    expect(m).toHaveLength(2);
    expect(m.map((x) => x.recipients).find((r) => !r.includes(shipTo))).toContain(extra);

    for (const [body, words] of [
      [{ entitlementIdentifier: byPk(e.id), emailIdList: { emailId: ["not an address"] } }, "not an email address"],
      [{ entitlementIdentifier: byPk(e.id), ignoreExistingEmailList: true }, "at least one address"],
      [{ entitlementIdentifier: byPk(e.id), ccEmailIdList: { emailId: [extra] } }, "ccEmailIdList"],
    ] as [Node, string][]) {
      const r = await soap("emailEntitlementRequest", body);
      await expectValid(r.body, schema);
      expect(statusOf(r.body)).toBe("FAILURE");
      expect(texts(r.body, "reason")[0]).toContain(words);
    }
    expect(await messages()).toHaveLength(2);
    // v3 has no cc list: the element is a schema violation there, a Fault naming it.
    const v3 = await soap(
      "emailEntitlementRequest",
      { entitlementIdentifier: byPk(e.id), ccEmailIdList: { emailId: [extra] } },
      { ns: "urn:v3.webservices.operations.flexnet.com", path: "/flexnet/services/v3/EntitlementOrderService" },
    );
    expect(v3.statusCode).toBe(500);
    expect(v3.body).toContain("ccEmailIdList");
  });
});

describeEachDb("SOAP lifecycle: splitLineItem and mergeEntitlements", (env) => {
  it("splits a line item's copies per item into a new entitlement, then into the matching line item; refusals echoed", async () => {
    const { admin, soap, schema } = await setup(env);
    const s = await simpleEntitlement(env, admin, { line: { numberOfCopies: 10 } });
    ok(await admin.post("/api/v1/partner-tiers", { name: RESELLER_TIER, displayName: "Reseller", rank: 50 }));
    const reseller = await env.makeAccount({ type: "CHANNEL_PARTNER", name: "Reseller" });
    ok(await admin.post(`/api/v1/accounts/${s.customer}/related-accounts`, { accountId: reseller }), 200);
    const item = s.entitlement.lineItems[0];
    const info = (n: number, extra: Record<string, Node> = {}): Node => ({
      lineItemIdentifier: { primaryKeys: { activationId: item.activationId } },
      numberOfCopies: n,
      targetTierName: RESELLER_TIER,
      targetAccountUnit: { primaryKeys: { id: reseller } },
      ...extra,
    });
    const res = await soap("splitLineItemRequest", { lineItemList: { lineItemInfo: [info(3), info(100)] } });
    expect(res.statusCode, res.body).toBe(200);
    await expectValid(res.body, schema);
    expect(statusOf(res.body)).toBe("PARTIAL_FAILURE");
    const [newItem, newEnt] = texts(res.body, "uniqueId");
    const t = ok(await admin.get(`/api/v1/entitlements/${newEnt}`), 200);
    expect(t.lineItems[0]).toMatchObject({ id: newItem, numberOfCopies: 3, parentLineItemId: item.id });
    expect(texts(res.body, "numberOfCopies")).toEqual(["100"]);
    expect(ok(await admin.get(`/api/v1/entitlements/${s.entitlement.id}`), 200).lineItems[0].numberOfCopies).toBe(7);
    // Only the first item was split, audited as via SOAP.
    expect(await interfaces(env, item.id, "entitlement.line_item_split")).toEqual(["SOAP"]);

    const again = await soap("splitLineItemRequest", {
      lineItemList: { lineItemInfo: [info(2, { matchingLineItemIdentifier: { uniqueId: newItem as string } })] },
    });
    await expectValid(again.body, schema);
    expect(statusOf(again.body), again.body).toBe("SUCCESS");
    expect(texts(again.body, "uniqueId")).toEqual([newItem, newEnt]);
    expect(ok(await admin.get(`/api/v1/entitlements/${newEnt}`), 200).lineItems[0].numberOfCopies).toBe(5);
    expect(ok(await admin.get(`/api/v1/entitlements/${s.entitlement.id}`), 200).lineItems[0].numberOfCopies).toBe(5);
  });

  it("merges one account's entitlements into another's (organizations before v3); mergeUsers is refused by name", async () => {
    const { admin, soap, schema } = await setup(env);
    const { entitlement: e, customer } = await simpleEntitlement(env, admin);
    const into = await env.makeAccount({ type: "CUSTOMER", name: "Merged into" });
    const refused = await soap("mergeEntitlementsRequest", { accountFrom: customer, accountTo: into, mergeUsers: true });
    await expectValid(refused.body, schema);
    expect(statusOf(refused.body)).toBe("FAILURE");
    expect(texts(refused.body, "reason")[0]).toContain("mergeUsers");
    expect(ok(await admin.get(`/api/v1/entitlements/${e.id}`), 200).soldTo).toBe(customer);
    const v1 = "/flexnet/services/v1/EntitlementOrderService";
    const res = await soap(
      "mergeEntitlementsRequest",
      { organizationFrom: customer, organizationTo: into, mergeEntitlements: true },
      { ns: "urn:v1.webservices.operations.flexnet.com", path: v1 },
    );
    await expectValid(res.body, await schemaOf(env, v1));
    expect(statusOf(res.body), res.body).toBe("SUCCESS");
    expect(ok(await admin.get(`/api/v1/entitlements/${e.id}`), 200).soldTo).toBe(into);
    expect(await interfaces(env, customer, "account.entitlements_merged")).toEqual(["SOAP"]);
    const unknown = await soap("mergeEntitlementsRequest", { accountFrom: `NOPE-${uid()}`, accountTo: into });
    expect(statusOf(unknown.body)).toBe("FAILURE");
    expect(texts(unknown.body, "reason")[0]).toContain("NOPE-");
  });
});

describeEachDb("SOAP lifecycle: renewLicense", (env) => {
  it("renews per entitlementData: a RENEWAL child line item with the given term and copies; refusals name the field", async () => {
    const { admin, soap, schema } = await setup(env);
    const s = await simpleEntitlement(env, admin, {
      line: { startDate: "2025-01-01", term: { count: 1, unit: "YEARS" }, numberOfCopies: 4 },
    });
    const parent = s.entitlement.lineItems[0];
    const renew = (params: Record<string, Node>, extra: Record<string, Node> = {}): Node => ({
      parentEntitlementIdentifier: { uniqueId: s.entitlement.id },
      renewLineItemData: [
        {
          parentLineItemIdentifier: { primaryKeys: { activationId: parent.activationId } },
          renewParameters: { activationId: { autoGenerate: true }, ...params },
          ...extra,
        },
      ],
    });
    const res = await soap("renewLicenseRequest", {
      entitlementData: [
        renew({ expirationTerms: { term: { numDuration: 6, durationUnit: "MONTHS" } }, numberOfCopies: 2 }),
        renew({ description: "not taken" }),
        renew({}, { allowActivationsOnParent: false }),
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    await expectValid(res.body, schema);
    expect(statusOf(res.body)).toBe("PARTIAL_FAILURE");
    // failedData comes first in this response, then responseData.
    expect(res.body.indexOf("failedData")).toBeLessThan(res.body.indexOf("responseData"));
    const reasons = texts(res.body, "reason");
    expect(reasons[1]).toContain("renewParameters/description");
    expect(reasons[2]).toContain("allowActivationsOnParent");
    expect(texts(res.body, "entitlementRecordRefNo")).toEqual(["1"]);
    const newId = texts(res.body, "uniqueId").at(-1) as string;
    const activationId = texts(res.body, "activationId").at(-1) as string;
    const e = ok(await admin.get(`/api/v1/entitlements/${s.entitlement.id}`), 200);
    expect(e.lineItems).toHaveLength(2);
    const renewal = e.lineItems.find((li: { id: string }) => li.id === newId);
    expect(renewal).toMatchObject({
      activationId,
      parentLineItemId: parent.id,
      numberOfCopies: 2,
      lineItemType: "RENEWAL",
      startDate: "2026-01-01",
      term: { count: 6, unit: "MONTHS" },
    });
    expect(await interfaces(env, newId, "entitlement.line_item_renewed")).toEqual(["SOAP"]);
  });
});

describeEachDb("SOAP lifecycle: upgradeLicense and upsellLicense", (env) => {
  it("upgrades copies to a related product and upsells an add-on, each a child line item; an unrelated product is refused", async () => {
    const { admin, soap, schema } = await setup(env);
    const c = await catalog(env, admin);
    const v2 = await product(admin, { licenseModelIds: [c.lm.id] });
    const addon = await product(admin, { licenseModelIds: [c.lm.id] });
    const v1 = await product(admin, { licenseModelIds: [c.lm.id], upgradeToIds: [v2.id], upsellToIds: [addon.id] });
    const { entitlement: e } = await simpleEntitlement(env, admin, {
      catalog: { ...c, product: v1 },
      line: { numberOfCopies: 5 },
    });
    const parent = e.lineItems[0];
    const data = (lineItem: Record<string, Node>, extra: Record<string, Node> = {}): Node => ({
      parentEntitlementIdentifier: { primaryKeys: { entitlementId: e.entitlementId } },
      lineItemData: [
        {
          parentLineItemIdentifier: { uniqueId: parent.id },
          lineItem: { activationId: { autoGenerate: true }, ...lineItem },
          ...extra,
        },
      ],
    });
    const up = await soap("upgradeLicenseRequest", {
      entitlementData: [
        data({ product: { uniqueId: v2.id }, numberOfCopies: 2 }),
        data({ product: { uniqueId: addon.id }, numberOfCopies: 1 }),
        data({ product: { uniqueId: v2.id }, numberOfCopies: 1, lineItemType: "UPSELL" }),
      ],
    });
    expect(up.statusCode, up.body).toBe(200);
    await expectValid(up.body, schema);
    expect(statusOf(up.body)).toBe("PARTIAL_FAILURE");
    const reasons = texts(up.body, "reason");
    // The add-on is related as "upsell to", not "upgrade to": refused by the upgrade's own rule.
    expect(reasons[1]).toContain(addon.name);
    expect(reasons[2]).toContain("lineItemType is UPSELL");
    expect(texts(up.body, "entitlementRecordRefNo")).toEqual(["1"]);
    const upgraded = texts(up.body, "uniqueId").at(-1) as string;
    const upsell = await soap("upsellLicenseRequest", {
      entitlementData: [data({ product: { primaryKeys: { name: addon.name, version: addon.version } }, numberOfCopies: 1 })],
    });
    await expectValid(upsell.body, schema);
    expect(statusOf(upsell.body), upsell.body).toBe("SUCCESS");
    const upsold = texts(upsell.body, "uniqueId").at(-1) as string;

    const now = ok(await admin.get(`/api/v1/entitlements/${e.id}`), 200);
    const byId = (id: string) => now.lineItems.find((li: { id: string }) => li.id === id);
    expect(byId(parent.id).numberOfCopies).toBe(3);
    expect(byId(upgraded)).toMatchObject({
      lineItemType: "UPGRADE",
      parentLineItemId: parent.id,
      numberOfCopies: 2,
      products: [expect.objectContaining({ productId: v2.id })],
    });
    expect(byId(upsold)).toMatchObject({
      lineItemType: "UPSELL",
      parentLineItemId: parent.id,
      numberOfCopies: 1,
      products: [expect.objectContaining({ productId: addon.id })],
    });
    expect(texts(upsell.body, "activationId").at(-1)).toBe(byId(upsold).activationId);
    expect(now.lineItems).toHaveLength(3);
  });
});
