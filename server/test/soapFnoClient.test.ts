import { readFileSync } from "node:fs";
import * as soap from "soap";
import { describe, expect, it } from "vitest";
import { BUILTINS, ENUMS, type Field, OPERATION_TYPES, OPERATIONS, TYPES_BY_VERSION } from "../src/soap/schema.js";
import { catalog, ok, PASSWORD, uid, userWithPassword } from "./factories.js";
import { describeEachDb } from "./helpers.js";
import { PATH4 } from "./soapHarness.js";

/**
 * Issue 16's "done when", tried as an FNO customer would. An integration generated from FNO's
 * published v4 WSDL sends exactly the element names, namespace, order and cardinalities of that
 * WSDL: fixtures/fno-v4-shapes.json records them (read from FNO's WSDL by hand, interface facts
 * only), and every operation Licensor supports is checked against it, deep. Then a client built at
 * run time (the `soap` package, from our ?wsdl, Basic auth `user##domain`) runs the integration's
 * flow on both databases, and a key it added is redeemed through the end-user portal's REST call.
 */

interface Shapes {
  namespace: string;
  operations: Record<string, { request: string; response: string; requestType: string; responseType: string }>;
  types: Record<string, string>;
  enums: Record<string, string>;
}
const FNO: Shapes = JSON.parse(readFileSync(new URL("./fixtures/fno-v4-shapes.json", import.meta.url), "utf8"));
const V4 = TYPES_BY_VERSION.v4 as NonNullable<(typeof TYPES_BY_VERSION)["v4"]>;

const card = (f: Pick<Field, "min" | "max">) =>
  f.min === 1 && f.max === 1 ? "" : f.min === 0 && f.max === 1 ? "?" : f.min === 0 ? "*" : "+";
const fnoFields = (line: string) =>
  line
    .split(/\s+/)
    .filter(Boolean)
    .map((f) => {
      const [name, rest] = f.split(":") as [string, string];
      return { name, type: rest.replace(/[?*+]$/, ""), card: rest.slice(-1).replace(/[^?*+]/, "") };
    });

/**
 * Where our type `ours` differs on the wire from FNO's `fno`, reached at `at`: the child elements
 * (names, order, cardinality), then each child's type the same way; builtins by name, enumerations
 * by their values. Type names themselves never reach the wire and are not compared.
 */
function differences(fno: string, ours: string, at: string, seen = new Set<string>()): string[] {
  const key = `${fno}=${ours}`;
  if (seen.has(key)) return [];
  seen.add(key);
  const fnoEnum = FNO.enums[fno];
  if (fnoEnum !== undefined) {
    const values = ENUMS[ours];
    return values && values.join(" ") === fnoEnum
      ? []
      : [`${at}: enumeration ${fno} (${fnoEnum}) is ${ours} (${values?.join(" ")})`];
  }
  const fnoLine = FNO.types[fno];
  if (fnoLine === undefined) return BUILTINS.has(ours) && ours === fno ? [] : [`${at}: simple type ${fno}, ours ${ours}`];
  const t = V4[ours];
  if (!t) return [`${at}: FNO's ${fno} is our ${ours}, which is not a complex type`];
  const theirs = fnoFields(fnoLine);
  const mine = t.fields.map((f) => ({ name: f.name, type: f.type, card: card(f) }));
  const seq = (l: { name: string; card: string }[]) => l.map((f) => f.name + f.card).join(" ");
  if (seq(theirs) !== seq(mine)) return [`${at}:\n  FNO  ${seq(theirs)}\n  ours ${seq(mine)}`];
  return theirs.flatMap((f, i) => differences(f.type, (mine[i] as { type: string }).type, `${at}/${f.name}`, seen));
}

describe("FNO v4 conformance: what a client generated from FNO's WSDL sends and reads", () => {
  it("names every operation's request and response element as FNO's v4 WSDL does", () => {
    expect(Object.keys(FNO.operations).sort()).toEqual(OPERATIONS.map((o) => o[0]).sort());
    for (const [op, request, response] of OPERATIONS)
      expect([op, request, response]).toEqual([op, FNO.operations[op]?.request, FNO.operations[op]?.response]);
  });

  it("gives every supported operation FNO's shapes, deep: element names, order, cardinalities, enumerations", () => {
    // The bulk/key subset of the done-when flow is among them, whatever else is supported.
    for (const op of ["createBulkEntitlement", "createWebRegKey", "getWebRegKeyCount", "getWebRegKeysQuery"])
      expect(Object.keys(OPERATION_TYPES)).toContain(op);
    for (const [op, t] of Object.entries(OPERATION_TYPES)) {
      const f = FNO.operations[op];
      expect(f, op).toBeDefined();
      const found = [
        ...differences(f?.requestType as string, t.request, f?.request as string),
        ...differences(f?.responseType as string, t.response, f?.response as string),
      ];
      expect(found, `${op}\n${found.join("\n")}`).toEqual([]);
    }
  });

  it("would see a difference: a reordered or renamed child is reported", () => {
    const saved = FNO.types.StatusInfoType as string;
    FNO.types.StatusInfoType = "reason:string? status:StatusType";
    try {
      expect(differences("StatusInfoType", "StatusInfoType", "x")).toHaveLength(1);
    } finally {
      FNO.types.StatusInfoType = saved;
    }
    expect(differences("StateType", "StatusType", "x")).toHaveLength(1);
  });
});

describeEachDb("FNO integration against Licensor (the soap client library, v4, Basic user##domain)", (env) => {
  it("creates a bulk entitlement, adds, counts and pages its keys, deploys and reads it back; a key is redeemable in the portal", async () => {
    const { admin, user } = await userWithPassword(env, "PRODUCER_ADMIN");
    const c = await catalog(env, admin);
    const address = await env.app.listen({ port: 0, host: "127.0.0.1" });
    // As an FNO integration is configured: the service URL + ?wsdl, Basic auth with user##domain.
    const client = await soap.createClientAsync(`${address}${PATH4}?wsdl`);
    client.setSecurity(new soap.BasicAuthSecurity(`${user.email}##FLEXnet`, PASSWORD));
    const id = `FNO-${uid()}`;
    const ident = { primaryKeys: { entitlementId: id } };

    const [created] = await client.createBulkEntitlementAsync({
      bulkEntitlement: [
        {
          entitlementId: { id },
          soldTo: c.distributor,
          product: { primaryKeys: { name: c.product.name, version: c.product.version } },
          licenseModel: { primaryKeys: { name: c.lm.name } },
          description: "ERP order 4711",
          numberOfCopies: 1,
          autoDeploy: false,
        },
      ],
    });
    expect(created.statusInfo.status).toBe("SUCCESS");
    const pk = created.responseData.createdBulkEntitlement[0].uniqueId as string;
    expect(created.responseData.createdBulkEntitlement[0].bulkEntitlementId).toBe(id);

    const keys = Array.from({ length: 7 }, (_, i) => `FNOKEY-${uid()}-${i}`.toUpperCase());
    const [added] = await client.createWebRegKeyAsync({
      webRegKeyData: [{ bulkEntitlement: ident, webRegKeys: { webRegKey: keys } }],
      processSync: true,
    });
    expect(added.statusInfo.status).toBe("SUCCESS");
    const [count] = await client.getWebRegKeyCountAsync({ bulkEntitlementIdentifier: ident });
    expect(count.statusInfo.status).toBe("SUCCESS");
    expect([Number(count.responseData.totalCount), Number(count.responseData.redeemedCount)]).toEqual([7, 0]);
    const paged: string[] = [];
    for (let page = 1; ; page++) {
      const [r] = await client.getWebRegKeysQueryAsync({ bulkEntitlementIdentifier: ident, batchSize: 3, pageNumber: page });
      expect(r.statusInfo.status).toBe("SUCCESS");
      const got = r.responseData?.webRegKeys?.webRegKey;
      if (!got) break;
      paged.push(...[got].flat());
    }
    expect(paged).toEqual(keys);

    // Deploy it (it was made DRAFT), then read it back as the integration does.
    const [deployed] = await client.setEntitlementStateAsync({
      entitlement: [{ entitlementIdentifier: ident, stateToSet: "DEPLOYED" }],
    });
    expect(deployed.statusInfo.status).toBe("SUCCESS");
    const [props] = await client.getBulkEntitlementPropertiesQueryAsync({
      bulkEntitlementSearchCriteria: { entitlementId: { value: id, searchType: "EQUALS" } },
      bulkEntitlementResponseConfig: { entitlementId: true, state: true, description: true, soldTo: true, numberOfCopies: true },
      batchSize: 10,
      pageNumber: 1,
    });
    expect(props.statusInfo.status).toBe("SUCCESS");
    const read = [props.bulkEntitlement].flat()[0];
    expect(read.entitlementId.primaryKeys.entitlementId).toBe(id);
    expect(read.entitlementId.uniqueId).toBe(pk);
    expect(read.state).toBe("DEPLOYED");
    expect(read.description).toBe("ERP order 4711");
    expect(read.soldTo.primaryKeys.id).toBe(c.distributor);
    expect(Number(read.numberOfCopies)).toBe(1);

    // A key the integration added is redeemed in the end-user portal: a customer's user logs in and
    // registers it over HTTP (session cookie and CSRF token, as the portal's page sends them).
    const customer = await userWithPassword(env, "CUSTOMER_PORTAL_USER", { admin });
    const login = await fetch(`${address}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: customer.user.email, password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get("set-cookie") as string).split(";")[0] as string;
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const redeemed = await fetch(`${address}/api/v1/redemptions`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie, "x-csrf-token": csrfToken },
      body: JSON.stringify({ key: keys[2] }),
    });
    const body = (await redeemed.json()) as { created: boolean; entitlement: { kind: string; soldTo: string } };
    expect(redeemed.status, JSON.stringify(body)).toBe(201);
    expect(body.entitlement).toMatchObject({ kind: "SIMPLE", soldTo: customer.accountId });
    const [after] = await client.getWebRegKeyCountAsync({ bulkEntitlementIdentifier: ident });
    expect([Number(after.responseData.totalCount), Number(after.responseData.redeemedCount)]).toEqual([7, 1]);
    expect(ok(await admin.get(`/api/v1/entitlements/${pk}/keys/counts`), 200)).toEqual({ total: 7, redeemed: 1, unredeemed: 6 });
  });

  it("an operation Licensor does not support yet answers FAILURE with the reason through the same client, never a crash", async () => {
    const { user } = await userWithPassword(env, "PRODUCER_ADMIN");
    const address = await env.app.listen({ port: 0, host: "127.0.0.1" });
    const client = await soap.createClientAsync(`${address}${PATH4}?wsdl`);
    client.setSecurity(new soap.BasicAuthSecurity(`${user.email}##FLEXnet`, PASSWORD));
    const unsupported = OPERATIONS.map((o) => o[0]).filter((op) => !OPERATION_TYPES[op]);
    expect(unsupported.length).toBeGreaterThan(0);
    const op = unsupported[0] as string;
    const [r] = await client[`${op}Async`]({});
    expect(r.statusInfo.status).toBe("FAILURE");
    expect(r.statusInfo.reason).toContain(`${op} is not supported yet by Licensor`);
  });
});
