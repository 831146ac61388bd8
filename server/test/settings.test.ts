import { expect, it } from "vitest";
import type { Role } from "../../common/src/enums.js";
import { bulkEntitlement } from "./factories.js";
import { describeEachDb } from "./helpers.js";

type Json = Record<string, any>;

const GOOD = { prefix: "ENT-{year}-", groups: 4, groupLength: 5, separator: "-", alphabet: "ABCDEFGHJKMNPQRSTUVWXYZ23456789" };

describeEachDb("settings", (env) => {
  const auditActions = async () =>
    (await env.db.selectFrom("audit_events").select("action").where("object_type", "=", "settings").execute()).map(
      (a) => a.action,
    );

  it("answers the defaults: FNO-like hex IDs and both state settings off", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const res = await admin.get("/api/v1/settings");
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.idTemplates.entitlement).toMatchObject({
      prefix: "",
      groups: 5,
      groupLength: 4,
      separator: "-",
      alphabet: "0123456789abcdef",
      randomBits: 80,
    });
    expect(body.idTemplates.entitlement.example).toMatch(/^[0-9a-f]{4}(-[0-9a-f]{4}){4}$/);
    expect(body.idTemplates.activation).toMatchObject({ prefix: "", groups: 6, groupLength: 4, randomBits: 96 });
    expect(body.idTemplates.activation.example).toMatch(/^[0-9a-f]{4}(-[0-9a-f]{4}){5}$/);
    expect(body.allowEditDeployed).toBe(false);
    expect(body.allowUsedItemsInactiveObsolete).toBe(false);
    expect(await auditActions()).toEqual([]);
  });

  it("changes an ID template and keeps it, auditing the change", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const res = await admin.patch("/api/v1/settings", { idTemplates: { entitlement: GOOD } });
    expect(res.statusCode, res.body).toBe(200);
    const year = new Date().getUTCFullYear();
    const check = (s: Json) => {
      expect(s.idTemplates.entitlement).toMatchObject({ ...GOOD, randomBits: Math.floor(20 * Math.log2(31)) });
      expect(s.idTemplates.entitlement.example).toMatch(
        new RegExp(`^ENT-${year}-[${GOOD.alphabet}]{5}(-[${GOOD.alphabet}]{5}){3}$`),
      );
      // The other template is untouched.
      expect(s.idTemplates.activation).toMatchObject({ prefix: "", groups: 6, groupLength: 4, alphabet: "0123456789abcdef" });
    };
    check(res.json());
    check((await admin.get("/api/v1/settings")).json());
    expect(await auditActions()).toEqual(["settings.updated"]);
    const event = await env.db
      .selectFrom("audit_events")
      .selectAll()
      .where("object_type", "=", "settings")
      .executeTakeFirstOrThrow();
    expect(event.object_id).toBe("instance");
  });

  it("turns the two entitlement state settings on and off, one audit event per change", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const on = await admin.patch("/api/v1/settings", { allowEditDeployed: true });
    expect(on.statusCode, on.body).toBe(200);
    expect(on.json()).toMatchObject({ allowEditDeployed: true, allowUsedItemsInactiveObsolete: false });
    const both = await admin.patch("/api/v1/settings", { allowUsedItemsInactiveObsolete: true });
    expect(both.json()).toMatchObject({ allowEditDeployed: true, allowUsedItemsInactiveObsolete: true });
    expect((await admin.get("/api/v1/settings")).json()).toMatchObject({
      allowEditDeployed: true,
      allowUsedItemsInactiveObsolete: true,
    });
    const off = await admin.patch("/api/v1/settings", { allowEditDeployed: false });
    expect(off.json()).toMatchObject({ allowEditDeployed: false, allowUsedItemsInactiveObsolete: true });
    expect((await admin.get("/api/v1/settings")).json()).toMatchObject({
      allowEditDeployed: false,
      allowUsedItemsInactiveObsolete: true,
    });
    // Templates stay at their defaults.
    expect((await admin.get("/api/v1/settings")).json().idTemplates.entitlement).toMatchObject({ groups: 5, randomBits: 80 });
    expect(await auditActions()).toEqual(["settings.updated", "settings.updated", "settings.updated"]);
  });

  it("refuses weak or malformed templates with the offending field and changes nothing", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const before = (await admin.get("/api/v1/settings")).json();
    const cases: [Json, string][] = [
      [{ alphabet: "AABC" }, "idTemplates.entitlement.alphabet"],
      [{ alphabet: "ABC#DEF" }, "idTemplates.entitlement.alphabet"],
      [{ groups: 1, groupLength: 4, alphabet: "0123456789abcdef" }, "idTemplates.entitlement.groups"],
      [{ prefix: "{customer}-" }, "idTemplates.entitlement.prefix"],
    ];
    for (const [change, field] of cases) {
      const res = await admin.patch("/api/v1/settings", { idTemplates: { entitlement: { ...GOOD, ...change } } });
      expect(res.statusCode, JSON.stringify(change)).toBe(400);
      const problem = res.json();
      expect(problem).toMatchObject({ status: 400, code: "validation_failed", field });
      expect(problem.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const act = await admin.patch("/api/v1/settings", {
      idTemplates: { activation: { ...GOOD, groups: 1, groupLength: 2 } },
      allowEditDeployed: true,
    });
    expect(act.statusCode).toBe(400);
    expect(act.json().field).toBe("idTemplates.activation.groups");

    const after = (await admin.get("/api/v1/settings")).json();
    const strip = (s: Json) => ({
      ...s,
      keyFormat: { ...s.keyFormat, example: undefined },
      idTemplates: {
        entitlement: { ...s.idTemplates.entitlement, example: undefined },
        activation: { ...s.idTemplates.activation, example: undefined },
      },
    });
    expect(strip(after)).toEqual(strip(before));
    expect(after.allowEditDeployed).toBe(false);
    expect(await auditActions()).toEqual([]);
  });

  it("lets producer admins change settings, other producer staff read them, and nobody else", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    expect((await admin.patch("/api/v1/settings", { allowEditDeployed: true })).statusCode).toBe(200);
    for (const role of ["PRODUCER_OPERATIONS", "PRODUCER_SUPPORT", "PRODUCER_VIEWER"] as Role[]) {
      const staff = await env.as(role);
      const read = await staff.get("/api/v1/settings");
      expect(read.statusCode, role).toBe(200);
      expect(read.json().allowEditDeployed).toBe(true);
      const write = await staff.patch("/api/v1/settings", { allowEditDeployed: false });
      expect(write.statusCode, role).toBe(403);
      const tmpl = await staff.patch("/api/v1/settings", { idTemplates: { entitlement: GOOD } });
      expect(tmpl.statusCode, role).toBe(403);
    }
    const customer = await env.as("CUSTOMER_PORTAL_ADMIN");
    expect((await customer.get("/api/v1/settings")).statusCode).toBe(403);
    expect((await customer.patch("/api/v1/settings", { allowEditDeployed: false })).statusCode).toBe(403);
    expect((await env.caller(null).get("/api/v1/settings")).statusCode).toBe(401);
    expect((await admin.get("/api/v1/settings")).json().allowEditDeployed).toBe(true);
    expect(await auditActions()).toEqual(["settings.updated"]);
  });

  it("configures the generated key format: validated, used by generation and by the typo check", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const before = (await admin.get("/api/v1/settings")).json().keyFormat;
    expect(before).toMatchObject({ groups: 5, groupLength: 5, separator: "-", randomBits: 120 });
    expect(before.example).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$/);
    const weak = await admin.patch("/api/v1/settings", { keyFormat: { groups: 4, groupLength: 5, separator: "-" } });
    expect(weak.json()).toMatchObject({ status: 400, field: "keyFormat.groups" });
    const ok = await admin.patch("/api/v1/settings", { keyFormat: { groups: 4, groupLength: 7, separator: " " } });
    expect(ok.json().keyFormat).toMatchObject({ groups: 4, groupLength: 7, separator: " ", randomBits: 135 });
    const key = (await bulkEntitlement(env, admin, { keys: 3 })).keys[0] as string;
    expect(key).toMatch(/^[0-9A-HJKMNP-TV-Z]{7}( [0-9A-HJKMNP-TV-Z]{7}){3}$/);
    const customer = await env.as("CUSTOMER_PORTAL_USER", await env.makeAccount());
    expect((await customer.post("/api/v1/redemptions", { key: key.replace(/ /g, "-").toLowerCase() })).statusCode).toBe(201);
    const typo = key[0] === "A" ? `B${key.slice(1)}` : `A${key.slice(1)}`;
    expect((await customer.post("/api/v1/redemptions", { key: typo })).json()).toMatchObject({ status: 400, field: "key" });
  });
});
