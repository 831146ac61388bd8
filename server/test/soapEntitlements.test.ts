import { expect, it } from "vitest";
import { type Catalog, catalog, ok, PASSWORD, uid, userWithPassword } from "./factories.js";
import { type Caller, describeEachDb, type TestEnv } from "./helpers.js";
import { BASE, basic, expectValid, type Node, type Soap, schemaOf, soapClient, statusOf, texts } from "./soapHarness.js";

/**
 * The simple-entitlement, line-item and entitlement-query operations of EntitlementOrderService,
 * sent as a client generated from the WSDL sends them, checked in the answer (validated against the
 * served WSDL's schema) and in the database.
 */

const V1 = "urn:v1.webservices.operations.flexnet.com";
const PATH1 = "/flexnet/services/v1/EntitlementOrderService";
const PATH_BASE = "/flexnet/services/EntitlementOrderService";

async function setup(env: TestEnv) {
  const { admin, user } = await userWithPassword(env, "PRODUCER_ADMIN");
  const c = await catalog(env, admin);
  const soap = soapClient(env, basic(user.email, PASSWORD));
  const schema = await schemaOf(env);
  return { admin, user, c, soap, schema };
}

/** A createEntitlementLineItemDataType, its fields in the schema's order. */
const lineItem = (c: Catalog, activationId: Node, extra: { copies?: number; description?: string; orderId?: string } = {}) => ({
  activationId,
  ...(extra.description ? { description: extra.description } : {}),
  product: { primaryKeys: { name: c.product.name, version: c.product.version } },
  licenseModel: { primaryKeys: { name: c.lm.name } },
  ...(extra.orderId ? { orderId: extra.orderId } : {}),
  numberOfCopies: extra.copies ?? 3,
});

/** A createSimpleEntitlementDataType, its fields in the schema's order. */
const simple = (c: Catalog, id: string, lineItems: Node[], opts: { autoDeploy?: boolean; attributes?: boolean } = {}) => ({
  entitlementId: id ? { id } : { autoGenerate: true },
  description: "Simple over SOAP",
  soldTo: c.customer,
  shipToEmail: "ship@example.com",
  lineItems,
  ...(opts.autoDeploy ? { autoDeploy: true } : {}),
  ...(opts.attributes ? { entitlementAttributes: { attribute: [{ attributeName: "region", stringValue: "EMEA" }] } } : {}),
});

async function createSimple(soap: Soap, c: Catalog, id: string, lineItems: Node[], autoDeploy = false) {
  const res = await soap("createSimpleEntitlementRequest", { simpleEntitlement: [simple(c, id, lineItems, { autoDeploy })] });
  expect(statusOf(res.body), res.body).toBe("SUCCESS");
  return { pk: texts(res.body, "uniqueId")[0] as string, body: res.body };
}

const get = async (admin: Caller, pk: string) => ok(await admin.get(`/api/v1/entitlements/${pk}`), 200);

async function soapAudit(env: TestEnv, objectId: string, action: string) {
  return env.db
    .selectFrom("audit_events")
    .select(["action", "interface"])
    .where("object_id", "=", objectId)
    .where("action", "=", action)
    .execute();
}

describeEachDb("SOAP simple entitlements and line items", (env) => {
  it("createSimpleEntitlement: per item SUCCESS / PARTIAL_FAILURE / FAILURE, in the database and audited as via SOAP", async () => {
    const { admin, c, soap, schema } = await setup(env);
    const id = `SIMPLE-${uid()}`;
    const res = await soap("createSimpleEntitlementRequest", {
      simpleEntitlement: [
        simple(c, id, [lineItem(c, { id: `${id}-A` }), lineItem(c, { autoGenerate: true }, { copies: 5 })], {
          autoDeploy: true,
          attributes: true,
        }),
        simple(c, "", [lineItem(c, { id: `${id}-B` })], {}),
        // Refused on its own: an unknown product, and an FNO field Licensor has no place for.
        simple(c, `${id}-X`, [{ ...lineItem(c, { id: `${id}-X1` }), product: { primaryKeys: { name: "Nope", version: "1" } } }]),
        { ...simple(c, `${id}-Y`, []), emailTemplateVariation: "welcome" },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    await expectValid(res.body, schema);
    expect(statusOf(res.body)).toBe("PARTIAL_FAILURE");
    expect(texts(res.body, "reason")[0]).toBe("2 of 4 simple entitlements failed.");
    expect(res.body.indexOf("failedData")).toBeLessThan(res.body.indexOf("responseData"));
    const reasons = texts(res.body, "reason").slice(1);
    expect(reasons[0]).toContain("lineItems[1]: product: product 'Nope' version '1' does not exist.");
    expect(reasons[1]).toContain("emailTemplateVariation");
    expect(texts(res.body, "recordRefNo")).toEqual(["1", "2"]);
    const pk = texts(res.body, "uniqueId")[0] as string;
    const e = await get(admin, pk);
    expect(e).toMatchObject({
      entitlementId: id,
      kind: "SIMPLE",
      state: "DEPLOYED",
      soldTo: c.customer,
      description: "Simple over SOAP",
      shipToEmail: "ship@example.com",
      customAttributes: { region: "EMEA" },
    });
    expect(e.lineItems.map((li: { activationId: string; numberOfCopies: number; state: string }) => li.numberOfCopies)).toEqual([
      3, 5,
    ]);
    expect(e.lineItems[0].activationId).toBe(`${id}-A`);
    expect(e.lineItems[1].activationId).not.toBe("");
    // The answer names the line items as created.
    expect(texts(res.body, "activationId")).toContain(`${id}-A`);
    expect(texts(res.body, "lineItemUniqueIds").slice(0, 2)).toEqual(e.lineItems.map((li: { id: string }) => li.id));
    // The generated one is DRAFT (no autoDeploy) with a generated ID.
    const generated = await get(admin, texts(res.body, "uniqueId")[3] as string);
    expect(generated.state).toBe("DRAFT");
    expect(texts(res.body, "entitlementId")[1]).toBe(generated.entitlementId);
    // Nothing of the refused ones was written.
    expect(
      await env.db
        .selectFrom("entitlements")
        .select("id")
        .where("entitlement_id", "in", [`${id}-X`, `${id}-Y`])
        .execute(),
    ).toEqual([]);
    expect(await env.db.selectFrom("line_items").select("id").where("activation_id", "=", `${id}-X1`).execute()).toEqual([]);
    expect(await soapAudit(env, pk, "entitlement.created")).toEqual([{ action: "entitlement.created", interface: "SOAP" }]);

    // FAILURE: every item refused, each with its reason.
    const again = await soap("createSimpleEntitlementRequest", { simpleEntitlement: [simple(c, id, [])] });
    await expectValid(again.body, schema);
    expect(statusOf(again.body)).toBe("FAILURE");
    expect(texts(again.body, "reason")[1]).toContain(`'${id}' already exists`);
    // opType CREATE_OR_IGNORE leaves the existing one and answers it as created.
    const ignore = await soap("createSimpleEntitlementRequest", {
      simpleEntitlement: [simple(c, id, [])],
      opType: "CREATE_OR_IGNORE",
    });
    await expectValid(ignore.body, schema);
    expect(statusOf(ignore.body)).toBe("SUCCESS");
    expect(texts(ignore.body, "uniqueId")[0]).toBe(pk);
    expect((await get(admin, pk)).lineItems).toHaveLength(2);
  });

  it("a simple entitlement created over SOAP is the one REST creates from the same input (the same command)", async () => {
    const { admin, c, soap } = await setup(env);
    const { pk } = await createSimple(soap, c, "", [
      lineItem(c, { autoGenerate: true }, { description: "seat", orderId: "PO-1" }),
    ]);
    const rest = ok(
      await admin.post("/api/v1/entitlements", {
        kind: "SIMPLE",
        description: "Simple over SOAP",
        soldTo: c.customer,
        shipToEmail: "ship@example.com",
        lineItems: [
          {
            products: [{ productId: c.product.id }],
            licenseModelId: c.lm.id,
            numberOfCopies: 3,
            description: "seat",
            orderId: "PO-1",
          },
        ],
      }),
    );
    const strip = (e: Record<string, unknown> & { lineItems: Record<string, unknown>[] }) => {
      const { id: _i, entitlementId: _e, createdAt: _c, updatedAt: _u, createdBy: _b, ...rest } = e;
      return {
        ...rest,
        lineItems: e.lineItems.map(({ id: _li, activationId: _a, createdAt: _lc, updatedAt: _lu, ...l }) => l),
      };
    };
    expect(strip(await get(admin, pk))).toEqual(strip(await get(admin, rest.id)));
  });

  it("updateSimpleEntitlement: header changes per item, refused items with their reason", async () => {
    const { admin, c, soap, schema } = await setup(env);
    const { pk } = await createSimple(soap, c, `UPD-${uid()}`, [lineItem(c, { autoGenerate: true })]);
    const bulk = ok(await admin.post("/api/v1/entitlements", { kind: "BULK", soldTo: c.distributor }));
    const res = await soap("updateSimpleEntitlementRequest", {
      simpleEntitlement: [
        {
          entitlementIdentifier: { uniqueId: pk },
          description: "Changed over SOAP",
          shipToAddress: "1 Main St",
          entitlementAttributes: { attribute: [{ attributeName: "tier", stringValue: "gold" }] },
        },
        { entitlementIdentifier: { primaryKeys: { entitlementId: "NO-SUCH" } }, description: "x" },
        { entitlementIdentifier: { uniqueId: bulk.id }, description: "x" },
      ],
    });
    await expectValid(res.body, schema);
    expect(statusOf(res.body)).toBe("PARTIAL_FAILURE");
    const reasons = texts(res.body, "reason");
    expect(reasons[1]).toBe("Entitlement 'NO-SUCH' was not found.");
    expect(reasons[2]).toContain("is a bulk entitlement");
    expect(await get(admin, pk)).toMatchObject({
      description: "Changed over SOAP",
      shipToAddress: "1 Main St",
      customAttributes: { tier: "gold" },
    });
    expect(await soapAudit(env, pk, "entitlement.updated")).toEqual([{ action: "entitlement.updated", interface: "SOAP" }]);
    const none = await soap("updateSimpleEntitlementRequest", {
      simpleEntitlement: [{ entitlementIdentifier: { uniqueId: pk } }],
    });
    await expectValid(none.body, schema);
    expect(statusOf(none.body)).toBe("FAILURE");
    expect(texts(none.body, "reason")[1]).toBe("The item changes nothing.");
    const ok1 = await soap("updateSimpleEntitlementRequest", {
      simpleEntitlement: [{ entitlementIdentifier: { uniqueId: pk }, description: "Again" }],
    });
    expect(statusOf(ok1.body)).toBe("SUCCESS");
  });

  it("createEntitlementLineItem: adds line items per entitlement, atomically; refusals per item", async () => {
    const { admin, c, soap, schema } = await setup(env);
    const id = `ADD-${uid()}`;
    const { pk } = await createSimple(soap, c, id, [lineItem(c, { id: `${id}-1` })]);
    const bulk = ok(await admin.post("/api/v1/entitlements", { kind: "BULK", soldTo: c.distributor }));
    const res = await soap("createEntitlementLineItemRequest", {
      lineItem: [
        {
          entitlementIdentifier: { primaryKeys: { entitlementId: id } },
          lineItems: [lineItem(c, { id: `${id}-2` }), lineItem(c, { autoGenerate: true })],
        },
        { entitlementIdentifier: { uniqueId: bulk.id }, lineItems: [lineItem(c, { id: `${id}-3` })] },
        // One bad line item refuses its whole item: the good one beside it is not added.
        {
          entitlementIdentifier: { uniqueId: pk },
          lineItems: [lineItem(c, { id: `${id}-4` }), lineItem(c, { id: `${id}-1` })],
        },
      ],
    });
    await expectValid(res.body, schema);
    expect(statusOf(res.body)).toBe("PARTIAL_FAILURE");
    const reasons = texts(res.body, "reason");
    expect(reasons[1]).toContain("is a bulk entitlement");
    expect(reasons[2]).toContain(`activation ID '${id}-1' is already in use`);
    const e = await get(admin, pk);
    expect(e.lineItems.map((li: { activationId: string }) => li.activationId).slice(0, 2)).toEqual([`${id}-1`, `${id}-2`]);
    expect(e.lineItems).toHaveLength(3);
    expect(texts(res.body, "lineItemUniqueIds")).toEqual(e.lineItems.slice(1).map((li: { id: string }) => li.id));
    expect(await env.db.selectFrom("line_items").select("id").where("activation_id", "=", `${id}-4`).execute()).toEqual([]);
    expect(await soapAudit(env, pk, "entitlement.line_items_added")).toEqual([
      { action: "entitlement.line_items_added", interface: "SOAP" },
    ]);
    const fail = await soap("createEntitlementLineItemRequest", {
      lineItem: [{ entitlementIdentifier: { uniqueId: pk }, lineItems: [lineItem(c, { id: `${id}-2` })] }],
    });
    await expectValid(fail.body, schema);
    expect(statusOf(fail.body)).toBe("FAILURE");
    // CREATE_OR_IGNORE: an activation ID the entitlement has is skipped, answered as added.
    const ignore = await soap("createEntitlementLineItemRequest", {
      lineItem: [{ entitlementIdentifier: { uniqueId: pk }, lineItems: [lineItem(c, { id: `${id}-2` })] }],
      opType: "CREATE_OR_IGNORE",
    });
    await expectValid(ignore.body, schema);
    expect(statusOf(ignore.body)).toBe("SUCCESS");
    expect(texts(ignore.body, "activationId")).toEqual([`${id}-2`]);
    expect((await get(admin, pk)).lineItems).toHaveLength(3);
  });

  it("updateEntitlementLineItem: each line item on its own; a failed one comes back alone", async () => {
    const { admin, c, soap, schema } = await setup(env);
    const id = `LIU-${uid()}`;
    const { pk } = await createSimple(soap, c, id, [lineItem(c, { id: `${id}-1` }), lineItem(c, { id: `${id}-2` })]);
    const res = await soap("updateEntitlementLineItemRequest", {
      lineItemData: [
        {
          entitlementIdentifier: { uniqueId: pk },
          lineItemData: [
            { lineItemIdentifier: { primaryKeys: { activationId: `${id}-1` } }, description: "renamed", numberOfCopies: 7 },
            { lineItemIdentifier: { primaryKeys: { activationId: `${id}-NOPE` } }, numberOfCopies: 2 },
          ],
        },
      ],
    });
    await expectValid(res.body, schema);
    expect(statusOf(res.body)).toBe("PARTIAL_FAILURE");
    expect(texts(res.body, "reason")[1]).toBe(`Line item '${id}-NOPE' was not found in this entitlement.`);
    expect(texts(res.body, "activationId")).toEqual([`${id}-NOPE`]);
    const e = await get(admin, pk);
    expect(e.lineItems[0]).toMatchObject({ activationId: `${id}-1`, description: "renamed", numberOfCopies: 7 });
    expect(e.lineItems[1].numberOfCopies).toBe(3);
    const audit = await soapAudit(env, e.lineItems[0].id, "entitlement.line_item_updated");
    expect(audit).toEqual([{ action: "entitlement.line_item_updated", interface: "SOAP" }]);
    const fail = await soap("updateEntitlementLineItemRequest", {
      lineItemData: [
        {
          entitlementIdentifier: { uniqueId: pk },
          lineItemData: [{ lineItemIdentifier: { uniqueId: e.lineItems[1].id }, numberOfCopies: 0 }],
        },
      ],
    });
    await expectValid(fail.body, schema);
    expect(statusOf(fail.body)).toBe("FAILURE");
    expect(texts(fail.body, "reason")[1]).toContain("numberOfCopies");
    const good = await soap("updateEntitlementLineItemRequest", {
      lineItemData: [
        {
          entitlementIdentifier: { uniqueId: pk },
          lineItemData: [{ lineItemIdentifier: { uniqueId: e.lineItems[1].id }, numberOfCopies: 4 }],
        },
      ],
    });
    expect(statusOf(good.body)).toBe("SUCCESS");
    expect((await get(admin, pk)).lineItems[1].numberOfCopies).toBe(4);
  });

  it("deleteEntitlementLineItem (removeEntitlementLineItemRequest): removable line items go, others stay with a reason", async () => {
    const { admin, c, soap, schema } = await setup(env);
    const id = `LIR-${uid()}`;
    const { pk } = await createSimple(soap, c, id, [lineItem(c, { id: `${id}-1` }), lineItem(c, { id: `${id}-2` })]);
    const deployed = await createSimple(soap, c, `${id}-D`, [lineItem(c, { id: `${id}-D1` })], true);
    const res = await soap("removeEntitlementLineItemRequest", {
      lineItemData: [
        {
          entitlementIdentifier: { uniqueId: pk },
          lineItemIdentifier: [{ primaryKeys: { activationId: `${id}-1` } }, { primaryKeys: { activationId: `${id}-D1` } }],
        },
      ],
    });
    await expectValid(res.body, schema);
    expect(statusOf(res.body)).toBe("PARTIAL_FAILURE");
    expect(texts(res.body, "reason")[1]).toBe(`Line item '${id}-D1' was not found in this entitlement.`);
    expect((await get(admin, pk)).lineItems.map((li: { activationId: string }) => li.activationId)).toEqual([`${id}-2`]);
    const removed = await env.db
      .selectFrom("audit_events")
      .select(["interface"])
      .where("action", "=", "entitlement.line_item_removed")
      .execute();
    expect(removed).toEqual([{ interface: "SOAP" }]);
    // A DEPLOYED line item cannot be removed: FAILURE with the state rule's words.
    const fail = await soap("removeEntitlementLineItemRequest", {
      lineItemData: [
        { entitlementIdentifier: { uniqueId: deployed.pk }, lineItemIdentifier: [{ primaryKeys: { activationId: `${id}-D1` } }] },
      ],
    });
    await expectValid(fail.body, schema);
    expect(statusOf(fail.body)).toBe("FAILURE");
    expect(texts(fail.body, "reason")[1]).toContain("only DRAFT, TEST or OBSOLETE line items can be removed");
    const good = await soap("removeEntitlementLineItemRequest", {
      lineItemData: [
        { entitlementIdentifier: { uniqueId: pk }, lineItemIdentifier: [{ primaryKeys: { activationId: `${id}-2` } }] },
      ],
    });
    expect(statusOf(good.body)).toBe("SUCCESS");
  });

  it("replaceEntitlementLineItem, not supported yet, answers FAILURE with a clear reason", async () => {
    const { c, soap, schema } = await setup(env);
    const res = await soap("replaceEntitlementLineItemRequest", {
      lineItem: [{ entitlementIdentifier: { primaryKeys: { entitlementId: "S-1" } }, lineItems: [lineItem(c, { id: "A-1" })] }],
    });
    expect(res.statusCode).toBe(200);
    await expectValid(res.body, schema);
    expect(statusOf(res.body)).toBe("FAILURE");
    expect(texts(res.body, "reason")[0]).toContain("replaceEntitlementLineItem is not supported yet by Licensor");
  });

  it("setLineItemState: FNO's state rules per line item", async () => {
    const { admin, c, soap, schema } = await setup(env);
    const id = `LIS-${uid()}`;
    const { pk } = await createSimple(soap, c, id, [lineItem(c, { id: `${id}-1` }), lineItem(c, { id: `${id}-2` })], true);
    const res = await soap("setLineItemStateRequest", {
      lineItem: [
        { lineItemIdentifier: { primaryKeys: { activationId: `${id}-1` } }, stateToSet: "INACTIVE" },
        { lineItemIdentifier: { primaryKeys: { activationId: `${id}-2` } }, stateToSet: "DRAFT" },
        { lineItemIdentifier: { primaryKeys: { activationId: "NOPE" } }, stateToSet: "INACTIVE" },
      ],
    });
    await expectValid(res.body, schema);
    expect(statusOf(res.body)).toBe("PARTIAL_FAILURE");
    const reasons = texts(res.body, "reason");
    expect(reasons[1]).toContain(`Line item ${id}-2`);
    expect(reasons[2]).toBe("Line item 'NOPE' was not found.");
    const e = await get(admin, pk);
    expect(e.lineItems.map((li: { state: string }) => li.state)).toEqual(["INACTIVE", "DEPLOYED"]);
    expect(await soapAudit(env, e.lineItems[0].id, "entitlement.line_item_state_changed")).toEqual([
      { action: "entitlement.line_item_state_changed", interface: "SOAP" },
    ]);
    const fail = await soap("setLineItemStateRequest", {
      lineItem: [{ lineItemIdentifier: { uniqueId: e.lineItems[1].id }, stateToSet: "DRAFT" }],
    });
    await expectValid(fail.body, schema);
    expect(statusOf(fail.body)).toBe("FAILURE");
    const good = await soap("setLineItemStateRequest", {
      lineItem: [{ lineItemIdentifier: { uniqueId: e.lineItems[0].id }, stateToSet: "DEPLOYED" }],
    });
    expect(statusOf(good.body), good.body).toBe("SUCCESS");
  });
});

describeEachDb("SOAP entitlement queries", (env) => {
  /** Three simple entitlements (ids …-ALPHA, …-BETA, …-GAMMA) and a bulk one; returns their ids. */
  async function seed(soap: Soap, c: Catalog) {
    const u = uid().toUpperCase();
    const ids = [`Q${u}-ALPHA`, `Q${u}-BETA`, `Q${u}-GAMMA`];
    for (const [i, id] of ids.entries())
      await createSimple(
        soap,
        c,
        id,
        [lineItem(c, { id: `${id}-LI` }, { copies: i + 1, orderId: i === 0 ? "PO-7" : "" })],
        i < 2,
      );
    return { u, ids };
  }
  const search = (criteria: Record<string, Node>, batchSize = 50, pageNumber?: number) => ({
    entitlementSearchCriteria: criteria,
    batchSize,
    ...(pageNumber ? { pageNumber } : {}),
  });
  const sq = (value: string, searchType: string) => ({ value, searchType });

  it("getEntitlementsQuery and getEntitlementCount: each search operator, dates, state, kind and paging", async () => {
    const { admin, c, soap, schema } = await setup(env);
    const { u, ids } = await seed(soap, c);
    ok(await admin.post("/api/v1/entitlements", { kind: "BULK", entitlementId: `Q${u}-BULK`, soldTo: c.distributor }));
    const found = async (criteria: Record<string, Node>, batchSize = 50, page?: number) => {
      const res = await soap("searchEntitlementRequest", search(criteria, batchSize, page));
      await expectValid(res.body, schema);
      expect(statusOf(res.body), res.body).toBe("SUCCESS");
      const count = await soap("getEntitlementCountRequest", { queryParams: criteria });
      await expectValid(count.body, schema);
      return { ids: texts(res.body, "id"), body: res.body, count: Number(texts(count.body, "count")[0]) };
    };
    // Entitlement IDs, newest first (the <id> elements also hold line items' activation IDs and partners' accounts).
    const entIds = (r: { ids: string[] }) => r.ids.filter((x) => x.startsWith(`Q${u}-`) && !x.endsWith("-LI"));
    expect(entIds(await found({ entitlementId: sq(`Q${u}-`, "STARTS_WITH") }))).toEqual([`Q${u}-BULK`, ...[...ids].reverse()]);
    expect(entIds(await found({ entitlementId: sq("ET", "CONTAINS") }))).toEqual([ids[1]]);
    expect(entIds(await found({ entitlementId: sq("mma", "ENDS_WITH") }))).toEqual([ids[2]]);
    expect(entIds(await found({ entitlementId: sq(ids[0] as string, "EQUALS") }))).toEqual([ids[0]]);
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const tagged = { entitlementId: sq(`Q${u}-`, "STARTS_WITH") };
    expect((await found({ entitlementId: tagged.entitlementId, createdOn: { value: today, searchType: "ON" } })).count).toBe(4);
    expect((await found({ entitlementId: tagged.entitlementId, createdOn: { value: today, searchType: "BEFORE" } })).count).toBe(
      0,
    );
    expect(
      (await found({ entitlementId: tagged.entitlementId, createdOn: { value: yesterday, searchType: "AFTER" } })).count,
    ).toBe(4);
    const simpleOnly = await found({ ...tagged, isBulk: false, state: { value: "DEPLOYED", searchType: "EQUALS" } });
    expect(entIds(simpleOnly)).toEqual([ids[1], ids[0]]);
    expect(simpleOnly.count).toBe(2);
    expect(simpleOnly.body).toContain("simpleEntitlement>");
    expect(texts(simpleOnly.body, "soldTo")).toEqual([c.customer, c.customer]);
    // StateQueryType's value is a StateType: a part of one is a schema violation (a Fault), as FNO's WSDL says.
    const partial = await soap("searchEntitlementRequest", search({ state: { value: "DRA", searchType: "STARTS_WITH" } }));
    expect(partial.statusCode).toBe(500);
    expect(partial.body).toContain("faultstring");
    const drafts = await found({ ...tagged, state: { value: "DRAFT", searchType: "STARTS_WITH" } });
    expect(entIds(drafts)).toEqual([`Q${u}-BULK`, ids[2]]);
    expect(drafts.body).toContain("bulkEntitlement>");
    // Paging: batchSize 2, pages 1, 2 and past the end.
    const p1 = entIds(await found(tagged, 2, 1));
    const p2 = entIds(await found(tagged, 2, 2));
    const p3 = entIds(await found(tagged, 2, 3));
    expect([...p1, ...p2]).toEqual([`Q${u}-BULK`, ...[...ids].reverse()]);
    expect(p3).toEqual([]);
    // A criterion Licensor cannot answer: FAILURE naming it; a bad batchSize likewise.
    const refused = await soap("searchEntitlementRequest", search({ soldTo: sq("x", "EQUALS") }));
    await expectValid(refused.body, schema);
    expect(statusOf(refused.body)).toBe("FAILURE");
    expect(texts(refused.body, "reason")[0]).toBe("The search criteria soldTo is not supported yet by Licensor.");
    const badSize = await soap("searchEntitlementRequest", search(tagged, 0));
    expect(texts(badSize.body, "reason")[0]).toBe("batchSize must be 1 to 1000.");
    const refusedCount = await soap("getEntitlementCountRequest", { queryParams: { productType: "SUITE" } });
    await expectValid(refusedCount.body, schema);
    expect(statusOf(refusedCount.body)).toBe("FAILURE");
  });

  it("getActivatableItemsQuery, getActivatableItemCount, getExactAvailableCount and getEntitlementLineItemPropertiesQuery", async () => {
    const { c, soap, schema } = await setup(env);
    const { u, ids } = await seed(soap, c);
    const mine = { entitlementId: sq(`Q${u}-`, "STARTS_WITH") };
    const items = async (criteria: Record<string, Node>, batchSize = 50, pageNumber?: number) => {
      const res = await soap("searchActivatableItemRequest", {
        activatableItemSearchCriteria: criteria,
        batchSize,
        ...(pageNumber ? { pageNumber } : {}),
      });
      await expectValid(res.body, schema);
      expect(statusOf(res.body), res.body).toBe("SUCCESS");
      // Activation IDs (the <id> elements also hold the partners' accounts).
      return texts(res.body, "id").filter((x) => x.endsWith("-LI"));
    };
    const count = async (criteria: Record<string, Node>, ready?: boolean) => {
      const res = await soap("getActivatableItemCountRequest", {
        queryParams: criteria,
        ...(ready !== undefined ? { restrictToItemsReadyToActivate: ready } : {}),
      });
      await expectValid(res.body, schema);
      return Number(texts(res.body, "count")[0]);
    };
    const lis = ids.map((id) => `${id}-LI`);
    expect(await items(mine)).toEqual([...lis].reverse());
    expect(await items({ activationId: sq(lis[1] as string, "EQUALS") })).toEqual([lis[1]]);
    expect(await items({ ...mine, activationId: sq("ALPHA", "CONTAINS") })).toEqual([lis[0]]);
    expect(await items({ ...mine, orderId: sq("PO-", "STARTS_WITH") })).toEqual([lis[0]]);
    expect(await items({ ...mine, fulfilledAmount: { value: 0, searchType: "EQUALS" } })).toHaveLength(3);
    expect(await items({ ...mine, productName: sq(c.product.name, "EQUALS"), soldTo: sq(c.customer, "EQUALS") })).toHaveLength(3);
    expect(await items(mine, 2, 2)).toEqual([lis[0]]);
    // Day and instant criteria, booleans and numbers, each read by the database.
    const today = new Date().toISOString().slice(0, 10);
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    expect(await items({ ...mine, startDate: { value: today, searchType: "ON" } })).toHaveLength(3);
    expect(await items({ ...mine, startDate: { value: today, searchType: "BEFORE" } })).toEqual([]);
    expect(await items({ ...mine, createdOnDateTime: { value: hourAgo, searchType: "AFTER" } })).toHaveLength(3);
    expect(await items({ ...mine, lastModifiedDateTime: { value: hourAgo, searchType: "BEFORE" } })).toEqual([]);
    expect(await items({ ...mine, createdOnDateTime: { value: `${today}T00:00:00Z`, searchType: "ON" } })).toHaveLength(3);
    expect(await items({ ...mine, isPermanent: true, restrictToItemsWithCount: true })).toHaveLength(3);
    expect(await items({ ...mine, withNoOrderId: true })).toEqual([lis[2], lis[1]]);
    expect(await items({ ...mine, fulfilledAmount: { value: 0, searchType: "GREATER_THAN" } })).toEqual([]);
    expect(await items({ ...mine, expirationDate: { value: today, searchType: "AFTER" } })).toEqual([]);
    expect(await count(mine)).toBe(3);
    // Ready to activate: the two deployed ones.
    expect(await count(mine, true)).toBe(2);
    const web = await soap("getActivatableItemCountRequest", { queryParams: { activatableItemType: "WEBREGKEY" } });
    await expectValid(web.body, schema);
    expect(statusOf(web.body)).toBe("FAILURE");
    expect(texts(web.body, "reason")[0]).toContain("WEBREGKEY");

    const exact = await soap("getExactAvailableCountRequest", {
      activationId: { primaryKeys: { activationId: lis[1] as string } },
    });
    await expectValid(exact.body, schema);
    expect(statusOf(exact.body)).toBe("SUCCESS");
    expect(texts(exact.body, "count")).toEqual(["2"]);
    const missing = await soap("getExactAvailableCountRequest", { activationId: { primaryKeys: { activationId: "NOPE" } } });
    await expectValid(missing.body, schema);
    expect(statusOf(missing.body)).toBe("FAILURE");
    expect(texts(missing.body, "reason")).toEqual(["Line item 'NOPE' was not found."]);

    // Properties: only the fields the response config asks for.
    const props = await soap("searchEntitlementLineItemPropertiesRequest", {
      queryParams: mine,
      entitlementLineItemResponseConfig: { activationId: true, state: true, entitlementId: true, numberOfCopies: true },
      batchSize: 2,
      pageNumber: 1,
    });
    await expectValid(props.body, schema);
    expect(statusOf(props.body)).toBe("SUCCESS");
    expect(texts(props.body, "activationId")).toEqual([lis[2], lis[1]]);
    expect(texts(props.body, "entitlementId")).toEqual([ids[2], ids[1]]);
    expect(texts(props.body, "state")).toEqual(["DRAFT", "DEPLOYED"]);
    expect(texts(props.body, "numberOfCopies")).toEqual(["3", "2"]);
    expect(props.body).not.toContain("soldTo");
    expect(props.body).not.toContain("description");
    const page2 = await soap("searchEntitlementLineItemPropertiesRequest", {
      queryParams: mine,
      entitlementLineItemResponseConfig: { activationId: true, soldTo: true, numberOfRemainingCopies: true },
      batchSize: 2,
      pageNumber: 2,
    });
    await expectValid(page2.body, schema);
    expect(texts(page2.body, "activationId")).toEqual([lis[0]]);
    expect(texts(page2.body, "numberOfRemainingCopies")).toEqual(["1"]);
    // activationId is an identifier here (uniqueId and primaryKeys); soldTo is v4's account key.
    expect(texts(page2.body, "id")).toEqual([c.customer]);
  });

  it("queries see what the caller may see; a line item of another account is unknown", async () => {
    const { c, soap, schema } = await setup(env);
    const { u, ids } = await seed(soap, c);
    const mine = { entitlementId: sq(`Q${u}-`, "STARTS_WITH") };
    const asCustomer = soapClient(
      env,
      `Bearer ${(await env.makeUser({ role: "CUSTOMER_PORTAL_ADMIN", accountId: c.customer })).token}`,
    );
    const other = await env.makeAccount({ type: "CUSTOMER" });
    const asOther = soapClient(env, `Bearer ${(await env.makeUser({ role: "CUSTOMER_PORTAL_ADMIN", accountId: other })).token}`);
    const countOf = async (client: Soap) => {
      const res = await client("getEntitlementCountRequest", { queryParams: mine });
      await expectValid(res.body, schema);
      return texts(res.body, "count")[0];
    };
    expect(await countOf(asCustomer)).toBe("3");
    expect(await countOf(asOther)).toBe("0");
    const exact = { activationId: { primaryKeys: { activationId: `${ids[0]}-LI` } } };
    expect(texts((await asCustomer("getExactAvailableCountRequest", exact)).body, "count")).toEqual(["1"]);
    const hidden = await asOther("getExactAvailableCountRequest", exact);
    await expectValid(hidden.body, schema);
    expect(texts(hidden.body, "reason")).toEqual([`Line item '${ids[0]}-LI' was not found.`]);
    // A customer may read but not change state: refused by the policy, per item.
    const refused = await asCustomer("setLineItemStateRequest", {
      lineItem: [{ lineItemIdentifier: { primaryKeys: { activationId: `${ids[0]}-LI` } }, stateToSet: "INACTIVE" }],
    });
    await expectValid(refused.body, schema);
    expect(statusOf(refused.body)).toBe("FAILURE");
  });

  it("older versions: v1 and base speak organizations and lack v3+ fields, each validated against its own WSDL", async () => {
    const { admin, c, soap } = await setup(env);
    const schemaV1 = await schemaOf(env, PATH1);
    const schemaBase = await schemaOf(env, PATH_BASE);
    const id = `OLD-${uid()}`;
    const partner = {
      channelPartner: [
        {
          tierName: "bo.constants.partnertiernames.tier1",
          organizationUnit: { primaryKeys: { name: c.distributor } },
          currentOwner: false,
        },
      ],
    };
    const res = await soap(
      "createSimpleEntitlementRequest",
      {
        simpleEntitlement: [
          {
            entitlementId: { id },
            description: "v1",
            soldTo: c.customer,
            lineItems: [lineItem(c, { id: `${id}-LI` })],
            channelPartners: partner,
          },
        ],
      },
      { ns: V1, path: PATH1 },
    );
    await expectValid(res.body, schemaV1);
    expect(statusOf(res.body), res.body).toBe("SUCCESS");
    const e = await get(admin, texts(res.body, "uniqueId")[0] as string);
    expect(e.channelPartners.map((p: { accountId: string }) => p.accountId)).toContain(c.distributor);
    // v1 has no emailTemplateVariation: the schema refuses it as any client's would.
    const bad = await soap(
      "createSimpleEntitlementRequest",
      { simpleEntitlement: [{ entitlementId: { id: `${id}-2` }, emailTemplateVariation: "x" }] },
      { ns: V1, path: PATH1 },
    );
    expect(bad.statusCode).toBe(500);
    expect(bad.body).toContain("emailTemplateVariation");
    // The base version's search names organizationUnitName; its answer has organizationUnit.
    const found = await soap(
      "searchEntitlementRequest",
      {
        entitlementSearchCriteria: {
          entitlementId: { value: id, searchType: "EQUALS" },
          organizationUnitName: {
            value: "Distributor",
            searchType: "STARTS_WITH",
            partnerTier: "bo.constants.partnertiernames.tier1",
          },
        },
        batchSize: 10,
      },
      { ns: BASE, path: PATH_BASE },
    );
    await expectValid(found.body, schemaBase);
    expect(statusOf(found.body), found.body).toBe("SUCCESS");
    expect(found.body).toContain("organizationUnit>");
    expect(found.body).not.toContain("soldToName");
    expect(texts(found.body, "name")).toContain(c.distributor);
    const props = await soap(
      "searchEntitlementLineItemPropertiesRequest",
      {
        queryParams: { activationId: { value: `${id}-LI`, searchType: "EQUALS" } },
        entitlementLineItemResponseConfig: { activationId: true, soldTo: true },
        batchSize: 10,
      },
      { ns: BASE, path: PATH_BASE },
    );
    await expectValid(props.body, schemaBase);
    expect(texts(props.body, "name")).toEqual([c.customer]);
  });
});
