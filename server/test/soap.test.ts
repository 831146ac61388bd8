import * as soap from "soap";
import { expect, it, vi } from "vitest";
import { JobRunner } from "../src/jobs/runner.js";
import { type Catalog, catalog, keysOf, ok, PASSWORD, uid, userWithPassword } from "./factories.js";
import { type Caller, describeEachDb, type TestEnv } from "./helpers.js";
import {
  BASE,
  basic,
  ENV,
  envelope,
  expectValid,
  type Node,
  PATH4,
  type Soap,
  schemaOf,
  soapClient,
  statusOf,
  texts,
  V4,
} from "./soapHarness.js";

async function setup(env: TestEnv) {
  const { admin, user } = await userWithPassword(env, "PRODUCER_ADMIN");
  const c = await catalog(env, admin);
  // HTTP Basic as FNO integrations send it: user##domain, the domain ignored.
  const soap = soapClient(env, basic(`${user.email}##FLEXnet`, PASSWORD));
  const schema = await schemaOf(env);
  return { admin, user, c, soap, schema };
}

/** createBulkEntitlementDataType's sequence, which a generated client follows whatever the caller's key order. */
const BULK_ORDER =
  "entitlementId soldTo product partNumber licenseModel alternateLicenseModel1 alternateLicenseModel2 licenseModelAttributes FNPTimeZoneValue policyAttributes shipToEmail shipToAddress orderId orderLineNumber startDateOption isPermanent term expirationDate versionDate versionDateAttributes description numberOfCopies bulkEntitlementType autoDeploy entitledProducts channelPartners allowPortalLogin".split(
    " ",
  );
const bulkItem = (c: Catalog, id: string, extra: Record<string, Node> = {}): Node => {
  const all: Record<string, Node> = {
    entitlementId: { id },
    soldTo: c.distributor,
    product: { primaryKeys: { name: c.product.name, version: c.product.version } },
    licenseModel: { primaryKeys: { name: c.lm.name } },
    description: "Made over SOAP",
    numberOfCopies: 2,
    ...extra,
  };
  return Object.fromEntries(BULK_ORDER.filter((k) => all[k] !== undefined).map((k) => [k, all[k] as Node]));
};

async function createBulk(soap: Soap, c: Catalog, id: string, extra: Record<string, Node> = {}) {
  const res = await soap("createBulkEntitlementRequest", { bulkEntitlement: [bulkItem(c, id, { autoDeploy: true, ...extra })] });
  expect(res.statusCode, res.body).toBe(200);
  expect(statusOf(res.body), res.body).toBe("SUCCESS");
  return texts(res.body, "uniqueId")[0] as string;
}

async function entitlementByPk(admin: Caller, pk: string) {
  return ok(await admin.get(`/api/v1/entitlements/${pk}`), 200);
}

describeEachDb("SOAP EntitlementOrderService", (env) => {
  it("serves a WSDL of its own per version, with every operation and the service's address", async () => {
    for (const [path, ns] of [
      [PATH4, V4],
      ["/flexnet/services/EntitlementOrderService", BASE],
      ["/flexnet/services/v1/EntitlementOrderService", "urn:v1.webservices.operations.flexnet.com"],
    ] as const) {
      const res = await env.app.inject({ method: "GET", url: `${path}?wsdl` });
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^text\/xml/);
      expect(res.body).toContain(`targetNamespace="${ns}"`);
      expect(res.body).toContain(`location="http://localhost:80${path}"`);
      expect(res.body.match(/<wsdl:operation name="/g)?.length).toBe(43 * 2);
      expect(res.body).toContain('<xsd:element name="addWebRegKeyRequest" type="tns:addWebRegKeyRequestType"/>');
    }
  });

  it("creates bulk entitlements per item (SUCCESS / PARTIAL_FAILURE / FAILURE), audited as via SOAP", async () => {
    const { admin, c, soap, schema } = await setup(env);
    const id = `BULK-${uid()}`;
    const res = await soap("createBulkEntitlementRequest", {
      bulkEntitlement: [
        bulkItem(c, id, { autoDeploy: true }),
        bulkItem(c, id), // the same ID again: refused on its own
        bulkItem(c, "", { entitlementId: { autoGenerate: true } }),
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    await expectValid(res.body, schema);
    expect(statusOf(res.body)).toBe("PARTIAL_FAILURE");
    // failedData comes before responseData in this response.
    expect(res.body.indexOf("failedData")).toBeLessThan(res.body.indexOf("responseData"));
    expect(texts(res.body, "recordRefNo")).toEqual(["1", "3"]);
    expect(texts(res.body, "reason").join(" ")).toContain(`'${id}' already exists`);
    const [pk, generatedPk] = texts(res.body, "uniqueId");
    const e = await entitlementByPk(admin, pk as string);
    expect(e).toMatchObject({
      entitlementId: id,
      kind: "BULK",
      state: "DEPLOYED",
      soldTo: c.distributor,
      description: "Made over SOAP",
      product: { licenseModelId: c.lm.id, numberOfCopies: 2, products: [{ productId: c.product.id }] },
    });
    const generated = await entitlementByPk(admin, generatedPk as string);
    expect(texts(res.body, "bulkEntitlementId")[1]).toBe(generated.entitlementId);
    expect(generated.state).toBe("DRAFT");
    const audit = await env.db
      .selectFrom("audit_events")
      .selectAll()
      .where("object_id", "=", pk as string)
      .where("action", "=", "entitlement.created")
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.interface).toBe("SOAP");
    // The audit API says so and filters by it; a change through REST says REST.
    const viaSoap = ok(await admin.get(`/api/v1/audit-events?interface=SOAP&objectId=${pk}`), 200);
    const soapEvents = viaSoap.items.map((e: { action: string; interface: string }) => [e.action, e.interface]);
    expect(soapEvents).toContainEqual(["entitlement.created", "SOAP"]);
    expect(soapEvents.every(([, via]: string[]) => via === "SOAP")).toBe(true);
    expect(ok(await admin.get(`/api/v1/audit-events?interface=REST&objectId=${pk}`), 200).items).toEqual([]);
    ok(await admin.patch(`/api/v1/entitlements/${generatedPk}`, { orderId: "PO-REST" }), 200);
    const viaRest = ok(await admin.get(`/api/v1/audit-events?interface=REST&objectId=${generatedPk}`), 200);
    expect(viaRest.items.map((e: { interface: string }) => e.interface)).toEqual(["REST"]);

    const none = await soap("createBulkEntitlementRequest", {
      bulkEntitlement: [bulkItem(c, id), bulkItem(c, `X-${uid()}`, { product: { primaryKeys: { name: "nope", version: "1" } } })],
    });
    await expectValid(none.body, schema);
    expect(statusOf(none.body)).toBe("FAILURE");
    expect(none.body).not.toContain("responseData");
    expect(texts(none.body, "reason").join(" ")).toContain("product 'nope' version '1' does not exist");
    // The refused item is echoed back in failedData, as sent.
    expect(texts(none.body, "id")).toContain(id);
    expect(
      await env.db.selectFrom("entitlements").select("id").where("description", "=", "Made over SOAP").execute(),
    ).toHaveLength(2);
  });

  it("adds, counts, pages and deletes web register keys; a key added over SOAP is redeemable", async () => {
    const { admin, c, soap, schema } = await setup(env);
    const id = `BULK-${uid()}`;
    const pk = await createBulk(soap, c, id);
    const listed = [`SOAPKEY-${uid()}-A`, `SOAPKEY-${uid()}-B`];
    const ident = { primaryKeys: { entitlementId: id } };
    const add = await soap("addWebRegKeyRequest", {
      webRegKeyData: [
        { bulkEntitlement: ident, webRegKeys: { webRegKey: listed } },
        { bulkEntitlement: { uniqueId: pk }, webRegKeys: { autoGenerate: true, numAutoGenerate: 5 } },
        { bulkEntitlement: { primaryKeys: { entitlementId: "NO-SUCH" } }, webRegKeys: { webRegKey: ["ZZZ"] } },
      ],
      processSync: true,
    });
    expect(add.statusCode, add.body).toBe(200);
    await expectValid(add.body, schema);
    expect(statusOf(add.body)).toBe("PARTIAL_FAILURE");
    // responseData before failedData here (the reverse of createBulkEntitlement).
    expect(add.body.indexOf("responseData")).toBeLessThan(add.body.indexOf("failedData"));
    expect(texts(add.body, "reason").join(" ")).toContain("Entitlement 'NO-SUCH' was not found.");
    const keys = await keysOf(admin, pk);
    expect(keys).toHaveLength(7);
    expect(keys.slice(0, 2)).toEqual(listed);

    const dup = await soap("addWebRegKeyRequest", {
      webRegKeyData: [{ bulkEntitlement: ident, webRegKeys: { webRegKey: [listed[0] as string, "NEW-ONE-1"] } }],
    });
    await expectValid(dup.body, schema);
    expect(statusOf(dup.body)).toBe("FAILURE");
    expect(texts(dup.body, "reason").join(" ")).toContain("No key of this item was added");
    expect(await keysOf(admin, pk)).toHaveLength(7);

    const count = await soap("getWebRegKeyCountRequest", { bulkEntitlementIdentifier: ident });
    await expectValid(count.body, schema);
    expect(texts(count.body, "totalCount")).toEqual(["7"]);
    expect(texts(count.body, "redeemedCount")).toEqual(["0"]);

    const pages: string[][] = [];
    for (const pageNumber of [1, 2, 3]) {
      const page = await soap("getWebRegKeysQueryRequest", { bulkEntitlementIdentifier: ident, batchSize: 3, pageNumber });
      await expectValid(page.body, schema);
      expect(statusOf(page.body)).toBe("SUCCESS");
      pages.push(texts(page.body, "webRegKey"));
    }
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(keys);
    const past = await soap("getWebRegKeysQueryRequest", { bulkEntitlementIdentifier: ident, batchSize: 3, pageNumber: 4 });
    await expectValid(past.body, schema);
    expect(past.body).not.toContain("webRegKeys");

    // The key loaded over SOAP is redeemed through the REST API like any other.
    const customer = await env.makeAccount({ name: "Redeemer" });
    const endUser = await env.as("CUSTOMER_PORTAL_USER", customer);
    const r = await endUser.post("/api/v1/redemptions", { key: listed[0] });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().entitlement).toMatchObject({ entitlementId: `${listed[0]}ENT`, state: "DEPLOYED", parentBulkId: pk });
    const after = await soap("getWebRegKeyCountRequest", { bulkEntitlementIdentifier: ident });
    expect(texts(after.body, "redeemedCount")).toEqual(["1"]);

    // Delete: an unredeemed key goes, a redeemed one and an unknown one are refused per key.
    const del = await soap("deleteWebRegKeyRequest", {
      webRegKeyList: { webRegKey: [listed[1] as string, listed[0] as string, "NOT-A-KEY"] },
    });
    await expectValid(del.body, schema);
    expect(statusOf(del.body)).toBe("PARTIAL_FAILURE");
    expect(texts(del.body, "webRegKey")).toEqual([listed[0], "NOT-A-KEY"]);
    expect(texts(del.body, "reason").join(" ")).toContain("redeemed keys cannot be deleted");
    expect(await keysOf(admin, pk)).toHaveLength(6);
    const audit = await env.db.selectFrom("audit_events").select(["action", "interface"]).where("object_id", "=", pk).execute();
    expect(audit.filter((a) => a.interface === "SOAP").map((a) => a.action)).toEqual(
      expect.arrayContaining(["entitlement.created", "keys.imported", "keys.generated", "keys.deleted"]),
    );
  });

  it("loads listed keys asynchronously by default with the existing keys.import job when jobs run", async () => {
    const { admin, c, soap, schema } = await setup(env);
    const id = `A-${uid()}`;
    const pk = await createBulk(soap, c, id);
    const runner = new JobRunner({ db: env.db, dialect: env.dialect, config: env.app.deps.config, bulk: env.app.deps.bulk });
    (env.app.deps as { jobs?: unknown }).jobs = runner;
    const keys = [`ASYNC-${uid()}-1`, `ASYNC-${uid()}-2`, `ASYNC-${uid()}-3`];
    const res = await soap("addWebRegKeyRequest", {
      webRegKeyData: [{ bulkEntitlement: { uniqueId: pk }, webRegKeys: { webRegKey: keys } }],
    });
    await expectValid(res.body, schema);
    // SUCCESS means scheduled: nothing is loaded until the job runs.
    expect(statusOf(res.body)).toBe("SUCCESS");
    expect(await keysOf(admin, pk)).toEqual([]);
    const job = await env.db.selectFrom("jobs").select(["id", "type"]).where("bulk_id", "=", pk).executeTakeFirstOrThrow();
    expect(job.type).toBe("keys.import");
    await runner.start();
    try {
      for (let i = 0; i < 200 && (await keysOf(admin, pk)).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await runner.stop();
    }
    expect(await keysOf(admin, pk)).toEqual(keys);
  });

  it("counts and queries bulk entitlements with criteria and the responseConfig projection, in pages", async () => {
    const { c, soap, schema } = await setup(env);
    const stem = `Q-${uid()}`;
    for (const n of [1, 2, 3]) await createBulk(soap, c, `${stem}-${n}`, { orderId: `PO-${n}` });
    const criteria = { entitlementId: { value: stem, searchType: "STARTS_WITH" } };
    const count = await soap("getBulkEntitlementCountRequest", { bulkEntitlementSearchCriteria: criteria });
    await expectValid(count.body, schema);
    expect(texts(count.body, "count")).toEqual(["3"]);
    const deployed = await soap("getBulkEntitlementCountRequest", {
      bulkEntitlementSearchCriteria: { ...criteria, state: { value: "DRAFT", searchType: "EQUALS" } },
    });
    expect(texts(deployed.body, "count")).toEqual(["0"]);

    const query = (pageNumber: number) =>
      soap("getBulkEntitlementPropertiesRequest", {
        bulkEntitlementSearchCriteria: criteria,
        bulkEntitlementResponseConfig: { entitlementId: true, state: true, orderId: false, product: true },
        batchSize: 2,
        pageNumber,
      });
    const first = await query(1);
    await expectValid(first.body, schema);
    expect(statusOf(first.body)).toBe("SUCCESS");
    expect(texts(first.body, "state")).toEqual(["DEPLOYED", "DEPLOYED"]);
    expect(texts(first.body, "name")).toEqual([c.product.name, c.product.name]);
    // Only what the configuration asked for.
    expect(first.body).not.toContain("orderId");
    expect(first.body).not.toContain("description");
    const second = await query(2);
    await expectValid(second.body, schema);
    const ids = [...texts(first.body, "entitlementId"), ...texts(second.body, "entitlementId")];
    expect(ids.sort()).toEqual([`${stem}-1`, `${stem}-2`, `${stem}-3`]);
    const third = await query(3);
    expect(third.body).not.toContain("bulkEntitlement>");

    const unsupported = await soap("getBulkEntitlementCountRequest", {
      bulkEntitlementSearchCriteria: { productType: "SUITE" },
    });
    await expectValid(unsupported.body, schema);
    expect(statusOf(unsupported.body)).toBe("FAILURE");
    expect(texts(unsupported.body, "reason")[0]).toContain("productType is not supported yet by Licensor");
  });

  it("changes states and deletes entitlements per item", async () => {
    const { admin, c, soap, schema } = await setup(env);
    const draft = `D-${uid()}`;
    const res = await soap("createBulkEntitlementRequest", { bulkEntitlement: [bulkItem(c, draft)] });
    const pk = texts(res.body, "uniqueId")[0] as string;
    const set = await soap("setEntitlementStateRequest", {
      entitlement: [
        { entitlementIdentifier: { primaryKeys: { entitlementId: draft } }, stateToSet: "DEPLOYED" },
        { entitlementIdentifier: { primaryKeys: { entitlementId: "NO-SUCH" } }, stateToSet: "DEPLOYED" },
      ],
    });
    await expectValid(set.body, schema);
    expect(statusOf(set.body)).toBe("PARTIAL_FAILURE");
    expect(texts(set.body, "stateToSet")).toEqual(["DEPLOYED"]);
    expect((await entitlementByPk(admin, pk)).state).toBe("DEPLOYED");
    const bad = await soap("setEntitlementStateRequest", {
      entitlement: [{ entitlementIdentifier: { uniqueId: pk }, stateToSet: "DRAFT" }],
    });
    await expectValid(bad.body, schema);
    expect(statusOf(bad.body)).toBe("FAILURE");
    expect((await entitlementByPk(admin, pk)).state).toBe("DEPLOYED");

    const other = `DEL-${uid()}`;
    const made = await soap("createBulkEntitlementRequest", { bulkEntitlement: [bulkItem(c, other)] });
    const otherPk = texts(made.body, "uniqueId")[0] as string;
    const del = await soap("deleteEntitlementRequest", {
      entitlement: [
        { entitlementIdentifier: { uniqueId: otherPk } },
        { entitlementIdentifier: { primaryKeys: { entitlementId: "NO-SUCH" } } },
      ],
    });
    await expectValid(del.body, schema);
    expect(statusOf(del.body)).toBe("PARTIAL_FAILURE");
    expect(texts(del.body, "entitlementId")).toEqual(["NO-SUCH"]);
    expect((await admin.get(`/api/v1/entitlements/${otherPk}`)).statusCode).toBe(404);
  });

  it("updates bulk entitlements per item: header fields, product fields with autoDeploy, refusals", async () => {
    const { admin, c, soap, schema } = await setup(env);
    const id = `U-${uid()}`;
    const made = await soap("createBulkEntitlementRequest", { bulkEntitlement: [bulkItem(c, id)] });
    const pk = texts(made.body, "uniqueId")[0] as string;
    const ident = { primaryKeys: { entitlementId: id } };
    const res = await soap("updateBulkEntitlementRequest", {
      bulkEntitlement: [
        // Elements in updateBulkEntitlementDataType's order (description comes after numberOfCopies here).
        { entitlementIdentifier: ident, orderId: "PO-U1", description: "Updated over SOAP" },
        { entitlementIdentifier: ident, isPermanent: true, numberOfCopies: 5, autoDeploy: true },
        { entitlementIdentifier: { primaryKeys: { entitlementId: "NO-SUCH" } }, description: "x" },
        { entitlementIdentifier: ident, numberOfCopies: 6, description: "both" },
        { entitlementIdentifier: ident, FNPTimeZoneValue: "UTC" },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    await expectValid(res.body, schema);
    expect(statusOf(res.body)).toBe("PARTIAL_FAILURE");
    const reasons = texts(res.body, "reason").join(" | ");
    expect(reasons).toContain("Entitlement 'NO-SUCH' was not found.");
    expect(reasons).toContain("Changing header fields and product fields in one item is not supported yet");
    expect(reasons).toContain("FNPTimeZoneValue is not supported yet by Licensor");
    const e = await entitlementByPk(admin, pk);
    expect(e).toMatchObject({
      description: "Updated over SOAP",
      orderId: "PO-U1",
      state: "DEPLOYED",
      product: { numberOfCopies: 5 },
    });
  });

  it("answers an operation it does not support yet with FAILURE and a clear reason", async () => {
    const { soap, schema } = await setup(env);
    const res = await soap("mapEntitlementsToUserRequest", { entitlement: { entitlementId: { id: "S-1" } } });
    expect(res.statusCode).toBe(200);
    await expectValid(res.body, schema);
    expect(statusOf(res.body)).toBe("FAILURE");
    expect(texts(res.body, "reason")[0]).toContain("mapEntitlementsToUser is not supported yet by Licensor");
  });

  it("accepts every FNO credential form and refuses the wrong ones with a Fault", async () => {
    const { user, c, schema } = await setup(env);
    const count = { bulkEntitlementSearchCriteria: { entitlementId: { value: "none", searchType: "EQUALS" } } };
    const token = (await env.makeUser({ role: "PRODUCER_ADMIN", accountId: "PUBLISHER" })).token;
    const bearer = await soapClient(env, `Bearer ${token}`)("getBulkEntitlementCountRequest", count);
    expect(bearer.statusCode, bearer.body).toBe(200);
    await expectValid(bearer.body, schema);
    const plainBasic = await soapClient(env, basic(user.email, PASSWORD))("getBulkEntitlementCountRequest", count);
    expect(plainBasic.statusCode).toBe(200);
    const header = `<flex:UserId xmlns:flex="urn:com.macrovision:flexnet/platform">${user.email}</flex:UserId><flex:UserPassword xmlns:flex="urn:com.macrovision:flexnet/platform">${Buffer.from(PASSWORD).toString("base64")}</flex:UserPassword>`;
    const inHeader = await soapClient(env, null)("getBulkEntitlementCountRequest", count, { header });
    expect(inHeader.statusCode, inHeader.body).toBe(200);
    // Through the header, a create is audited as that user, via SOAP.
    const made = await soapClient(env, null)(
      "createBulkEntitlementRequest",
      { bulkEntitlement: [bulkItem(c, `H-${uid()}`)] },
      { header },
    );
    const pk = texts(made.body, "uniqueId")[0] as string;
    const audit = await env.db.selectFrom("audit_events").selectAll().where("object_id", "=", pk).executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor_id: user.id, interface: "SOAP", request_id: expect.any(String) });

    for (const [auth, hdr] of [
      [null, ""],
      [basic(user.email, "wrong password"), ""],
      ["Bearer not-a-token", ""],
      [null, header.replace(Buffer.from(PASSWORD).toString("base64"), Buffer.from("nope").toString("base64"))],
    ] as const) {
      const res = await soapClient(env, auth)("getBulkEntitlementCountRequest", count, { header: hdr });
      expect(res.statusCode, res.body).toBe(401);
      expect(res.body).toContain("<faultcode>soapenv:Client</faultcode>");
      expect(res.headers["www-authenticate"]).toBe('Basic realm="Licensor"');
    }
    // The login's lockout holds for SOAP too: the failures above and these lock the email.
    let last = 0;
    for (let i = 0; i < 6; i++)
      last = (await soapClient(env, basic(user.email, "wrong"))("getBulkEntitlementCountRequest", count)).statusCode;
    expect(last).toBe(429);
    const locked = await soapClient(env, basic(user.email, PASSWORD))("getBulkEntitlementCountRequest", count);
    expect(locked.statusCode).toBe(429);
    expect(locked.body).toContain("Too many failed logins");
  });

  it("limits failed password attempts per client address, as the login route does", async () => {
    const { user } = await setup(env);
    const count = { bulkEntitlementSearchCriteria: { entitlementId: { value: "none", searchType: "EQUALS" } } };
    const send = (auth: string, remoteAddress: string) =>
      env.app.inject({
        method: "POST",
        url: PATH4,
        remoteAddress,
        headers: { "content-type": "text/xml; charset=utf-8", authorization: auth },
        payload: envelope("getBulkEntitlementCountRequest", count),
      });
    // The limit counts per minute: the clock stands still at the start of one, so the attempts
    // below cannot straddle two minutes on a slow machine (only Date is faked; timers run).
    vi.useFakeTimers({ toFake: ["Date"], now: Math.floor(Date.now() / 60_000 + 1) * 60_000 + 1000 });
    try {
      // Successes do not use up the minute.
      for (let i = 0; i < 3; i++) expect((await send(basic(user.email, PASSWORD), "10.0.0.1")).statusCode).toBe(200);
      // 30 failures with different (unknown) emails: no email lockout, the address's limit.
      for (let i = 0; i < 30; i++)
        expect((await send(basic(`nobody-${i}@example.com`, "guess"), "10.0.0.1")).statusCode).toBe(401);
      const refused = await send(basic(user.email, PASSWORD), "10.0.0.1");
      expect(refused.statusCode).toBe(429);
      expect(refused.headers["retry-after"]).toBeDefined();
      expect(refused.body).toContain("Too many failed password attempts from this address");
      // Another address is not concerned.
      expect((await send(basic(user.email, PASSWORD), "10.0.0.2")).statusCode).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });

  it("answers malformed XML, unknown operations, schema violations, XML bombs and external entities with Faults", async () => {
    const { soap, user } = await setup(env);
    const auth = basic(user.email, PASSWORD);
    const post = (payload: string) =>
      env.app.inject({ method: "POST", url: PATH4, headers: { "content-type": "text/xml", authorization: auth }, payload });
    const expectFault = (res: { statusCode: number; body: string; headers?: Record<string, unknown> }, text: string) => {
      expect(res.statusCode, res.body).toBe(500);
      expect(String(res.headers?.["content-type"] ?? "text/xml")).toMatch(/xml/);
      expect(res.body).toMatch(/<soapenv:Fault><faultcode>soapenv:(Client|VersionMismatch)<\/faultcode><faultstring>/);
      expect(res.body).toContain(text);
    };
    expectFault(await post("<soap:Envelope xmlns:soap='http://schemas.xmlsoap.org/soap/envelope/'><soap:Body>"), "Malformed XML");
    expectFault(await soap("fooRequest", { a: 1 }), "Unknown operation");
    expectFault(await soap("getWebRegKeyCountRequest", {}), "the required element &lt;bulkEntitlementIdentifier&gt; is missing");
    expectFault(
      await soap("getWebRegKeysQueryRequest", { pageNumber: 1, batchSize: 3, bulkEntitlementIdentifier: { uniqueId: "x" } }),
      "Schema violation",
    );
    expectFault(
      await soap("setEntitlementStateRequest", { entitlement: { entitlementIdentifier: { uniqueId: "x" }, stateToSet: "GONE" } }),
      "'GONE' is not one of",
    );
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]><soap:Envelope xmlns:soap="${ENV}"><soap:Body><ns0:getWebRegKeyCountRequest xmlns:ns0="${V4}"><ns0:bulkEntitlementIdentifier><ns0:uniqueId>&lol9;</ns0:uniqueId></ns0:bulkEntitlementIdentifier></ns0:getWebRegKeyCountRequest></soap:Body></soap:Envelope>`;
    const before = process.memoryUsage().heapUsed;
    expectFault(await post(bomb), "DOCTYPE");
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
    const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><soap:Envelope xmlns:soap="${ENV}"><soap:Body><ns0:getWebRegKeyCountRequest xmlns:ns0="${V4}"><ns0:bulkEntitlementIdentifier><ns0:uniqueId>&xxe;</ns0:uniqueId></ns0:bulkEntitlementIdentifier></ns0:getWebRegKeyCountRequest></soap:Body></soap:Envelope>`;
    const x = await post(xxe);
    expectFault(x, "DOCTYPE");
    expect(x.body).not.toContain("root:");
    // Without a DOCTYPE an undeclared entity is simply an error, never a lookup.
    const undeclared = await post(xxe.replace(/<!DOCTYPE[^\]]*\]>/, ""));
    expectFault(undeclared, "Malformed XML");
    expect(undeclared.body).not.toContain("root:");
    expectFault(
      await post(
        `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><ns0:getWebRegKeyCountRequest xmlns:ns0="${V4}"/></soap:Body></soap:Envelope>`,
      ),
      "SOAP 1.2",
    );
    const deep = `<soap:Envelope xmlns:soap="${ENV}"><soap:Body>${"<a>".repeat(100)}${"</a>".repeat(100)}</soap:Body></soap:Envelope>`;
    expectFault(await post(deep), "nests deeper");
    const big = await env.app.inject({
      method: "POST",
      url: PATH4,
      headers: { "content-type": "text/xml", authorization: auth },
      payload: `<a>${"x".repeat(5 * 1024 * 1024)}</a>`,
    });
    expect(big.statusCode).toBe(413);
    expect(big.body).toContain("<faultcode>soapenv:Client</faultcode>");
  });

  it("reads and writes accounts as each version names them (organizationUnit before v3, name in v3, id in v4)", async () => {
    const { admin, c, user } = await setup(env);
    const soap = soapClient(env, basic(user.email, PASSWORD));
    const V2 = "urn:v2.webservices.operations.flexnet.com";
    const id = `V2-${uid()}`;
    const made = await soap(
      "createBulkEntitlementRequest",
      {
        bulkEntitlement: [
          {
            entitlementId: { id },
            channelPartners: {
              channelPartner: [
                {
                  tierName: "bo.constants.partnertiernames.tier1",
                  organizationUnit: { primaryKeys: { name: c.distributor } },
                  currentOwner: true,
                },
              ],
            },
          },
        ],
      },
      { ns: V2, path: "/flexnet/services/v2/EntitlementOrderService" },
    );
    expect(statusOf(made.body), made.body).toBe("SUCCESS");
    await expectValid(made.body, await schemaOf(env, "/flexnet/services/v2/EntitlementOrderService"));
    const pk = texts(made.body, "uniqueId")[0] as string;
    const e = await entitlementByPk(admin, pk);
    expect(e.soldTo).toBe(c.distributor);
    expect(e.channelPartners).toEqual([expect.objectContaining({ accountId: c.distributor, currentOwner: true })]);
    // v4's accountUnit is refused in v2's namespace: the schema of the version asked applies.
    const wrong = await soap(
      "createBulkEntitlementRequest",
      {
        bulkEntitlement: [
          {
            entitlementId: { id: `${id}-2` },
            channelPartners: { channelPartner: [{ tierName: "t", accountUnit: { primaryKeys: { id: c.distributor } } }] },
          },
        ],
      },
      { ns: V2, path: "/flexnet/services/v2/EntitlementOrderService" },
    );
    expect(wrong.statusCode).toBe(500);
    expect(wrong.body).toContain("the required element &lt;organizationUnit&gt; is missing");
    for (const [v, key] of [
      ["v2", "name"],
      ["v3", "name"],
      ["v4", "id"],
    ] as const) {
      const ns = `urn:${v}.webservices.operations.flexnet.com`;
      const path = `/flexnet/services/${v}/EntitlementOrderService`;
      const res = await soap(
        "getBulkEntitlementPropertiesRequest",
        {
          bulkEntitlementSearchCriteria: { entitlementId: { value: id, searchType: "EQUALS" } },
          bulkEntitlementResponseConfig: { soldTo: true },
          batchSize: 10,
        },
        { ns, path },
      );
      await expectValid(res.body, await schemaOf(env, path));
      expect(texts(res.body, key)).toEqual([c.distributor]);
    }
  });

  it("answers in the namespace of the version asked, at the base path too", async () => {
    const { c, user } = await setup(env);
    const soap = soapClient(env, basic(user.email, PASSWORD));
    const id = `BASE-${uid()}`;
    const res = await soap(
      "createBulkEntitlementRequest",
      { bulkEntitlement: [bulkItem(c, id)] },
      { ns: BASE, path: "/flexnet/services/EntitlementOrderService" },
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain(`<ns1:createBulkEntitlementResponse xmlns:ns1="${BASE}">`);
    await expectValid(res.body, await schemaOf(env, "/flexnet/services/EntitlementOrderService"));
    expect(texts(res.body, "bulkEntitlementId")).toEqual([id]);
  });
});

describeEachDb("SOAP EntitlementOrderService with the soap client library", (env) => {
  it("a client built at run time from our ?wsdl creates a bulk entitlement, adds keys and pages them", async () => {
    const { admin, user } = await userWithPassword(env, "PRODUCER_ADMIN");
    const c = await catalog(env, admin);
    const address = await env.app.listen({ port: 0, host: "127.0.0.1" });
    const client = await soap.createClientAsync(`${address}${PATH4}?wsdl`);
    client.setSecurity(new soap.BasicAuthSecurity(`${user.email}##FLEXnet`, PASSWORD));
    const id = `LIB-${uid()}`;
    const [created] = await client.createBulkEntitlementAsync({
      bulkEntitlement: [
        {
          entitlementId: { id },
          soldTo: c.distributor,
          product: { primaryKeys: { name: c.product.name, version: c.product.version } },
          licenseModel: { primaryKeys: { name: c.lm.name } },
          autoDeploy: true,
        },
      ],
    });
    expect(created.statusInfo.status).toBe("SUCCESS");
    const pk = created.responseData.createdBulkEntitlement[0].uniqueId;
    expect((await entitlementByPk(admin, pk)).state).toBe("DEPLOYED");
    const ident = { primaryKeys: { entitlementId: id } };
    const [added] = await client.createWebRegKeyAsync({
      webRegKeyData: [{ bulkEntitlement: ident, webRegKeys: { webRegKey: ["LIBKEY-0001", "LIBKEY-0002", "LIBKEY-0003"] } }],
      processSync: true,
    });
    expect(added.statusInfo.status).toBe("SUCCESS");
    const [page] = await client.getWebRegKeysQueryAsync({ bulkEntitlementIdentifier: ident, batchSize: 2, pageNumber: 2 });
    expect(page.statusInfo.status).toBe("SUCCESS");
    expect([page.responseData.webRegKeys.webRegKey].flat()).toEqual(["LIBKEY-0003"]);
    const [count] = await client.getWebRegKeyCountAsync({ bulkEntitlementIdentifier: ident });
    expect(Number(count.responseData.totalCount)).toBe(3);
    expect(await keysOf(admin, pk)).toEqual(["LIBKEY-0001", "LIBKEY-0002", "LIBKEY-0003"]);
  });
});
