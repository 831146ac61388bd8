import { expect, it } from "vitest";
import type { Role } from "../../common/src/enums.js";
import { expectReadOnlyAndHidden } from "./expectations.js";
import { ok } from "./factories.js";
import { type Caller, describeEachDb } from "./helpers.js";

type Json = Record<string, any>;

const base = { technology: "ACTIVATION", modelType: "FLOATING" };

/** A DRAFT license model created with exactly `body` (the subject here, so no defaults but `base`). */
const model = async (c: Caller, body: Json): Promise<Json> => ok(await c.post("/api/v1/license-models", { ...base, ...body }));

const changeState = (c: Caller, id: string, state: string) =>
  c.post(`/api/v1/license-models/${id}/actions/change-state`, { state });

describeEachDb("license models", (env) => {
  it("creates, reads, lists, updates and deletes a license model, auditing each change", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const created = await admin.post("/api/v1/license-models", {
      name: "Floating 10",
      description: "Served licenses",
      technology: "CERTIFICATE",
      modelType: "FLOATING",
      attributes: [
        { name: "SEATS", valueType: "NUMBER", time: "ENTITLEMENT", required: true, defaultValue: "10" },
        {
          name: "EDITION",
          valueType: "ENUM",
          time: "FULFILLMENT",
          required: false,
          allowedValues: ["std", "pro"],
          defaultValue: "std",
        },
        { name: "HOSTNAME", valueType: "STRING", time: "FULFILLMENT", required: false },
      ],
      policies: { allowedReturns: 2 },
    });
    expect(created.statusCode, created.body).toBe(201);
    const m = created.json();
    expect(m).toMatchObject({
      name: "Floating 10",
      description: "Served licenses",
      technology: "CERTIFICATE",
      modelType: "FLOATING",
      state: "DRAFT",
      policies: { allowedReturns: 2, allowedRehosts: null, allowedRepairs: null },
    });
    expect(m.attributes).toEqual([
      { name: "SEATS", valueType: "NUMBER", time: "ENTITLEMENT", required: true, defaultValue: "10", allowedValues: [] },
      {
        name: "EDITION",
        valueType: "ENUM",
        time: "FULFILLMENT",
        required: false,
        defaultValue: "std",
        allowedValues: ["std", "pro"],
      },
      { name: "HOSTNAME", valueType: "STRING", time: "FULFILLMENT", required: false, defaultValue: null, allowedValues: [] },
    ]);
    expect((await admin.get(`/api/v1/license-models/${m.id}`)).json()).toEqual(m);

    const bare = await model(admin, { name: "Bare" });
    expect(bare).toMatchObject({
      attributes: [],
      policies: { allowedReturns: null, allowedRehosts: null, allowedRepairs: null },
    });

    const upd = await admin.patch(`/api/v1/license-models/${m.id}`, {
      name: "Floating 20",
      modelType: "NODE_LOCKED_COUNTED",
      attributes: [],
      policies: { allowedRehosts: 0 },
    });
    expect(upd.statusCode, upd.body).toBe(200);
    expect(upd.json()).toMatchObject({
      name: "Floating 20",
      modelType: "NODE_LOCKED_COUNTED",
      attributes: [],
      policies: { allowedReturns: 2, allowedRehosts: 0, allowedRepairs: null },
    });

    const audit = await env.db.selectFrom("audit_events").selectAll().where("object_id", "=", m.id).orderBy("id").execute();
    expect(audit.map((a) => [a.action, a.object_type])).toEqual([
      ["licenseModel.created", "licenseModel"],
      ["licenseModel.updated", "licenseModel"],
    ]);
    const changes = JSON.parse(audit[1]!.changes);
    expect(changes.name).toEqual({ before: "Floating 10", after: "Floating 20" });
    expect(changes.policies.after).toEqual({
      allowedReturns: 2,
      allowedRehosts: 0,
      allowedRepairs: null,
      allowedExtraActivations: 0,
      window: null,
    });

    expect((await admin.delete(`/api/v1/license-models/${m.id}`)).statusCode).toBe(204);
    expect((await admin.get(`/api/v1/license-models/${m.id}`)).statusCode).toBe(404);
    const del = await env.db
      .selectFrom("audit_events")
      .select("action")
      .where("object_id", "=", m.id)
      .where("action", "=", "licenseModel.deleted")
      .execute();
    expect(del).toHaveLength(1);
  });

  it("refuses a duplicate name", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    await model(admin, { name: "Same" });
    const dup = await admin.post("/api/v1/license-models", { ...base, name: "Same" });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: "already_exists", field: "name" });
    expect(dup.json().detail).toContain("'Same'");
    const other = await model(admin, { name: "Other" });
    const rename = await admin.patch(`/api/v1/license-models/${other.id}`, { name: "Same" });
    expect(rename.statusCode).toBe(409);
    expect(rename.json()).toMatchObject({ code: "already_exists", field: "name" });
  });

  it("validates attribute definitions and policies, naming each field", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const attr = (a: Json) => ({ name: "A", valueType: "STRING", time: "ENTITLEMENT", required: false, ...a });
    const cases: [Json, string, string?][] = [
      [
        { attributes: [attr({ valueType: "NUMBER", defaultValue: "ten" })] },
        "attributes[0].defaultValue",
        "'ten' is not a number",
      ],
      [{ attributes: [attr({ valueType: "DATE", defaultValue: "2026-13-01" })] }, "attributes[0].defaultValue", "YYYY-MM-DD"],
      [{ attributes: [attr({ valueType: "BOOLEAN", defaultValue: "yes" })] }, "attributes[0].defaultValue", "true or false"],
      [
        { attributes: [attr({ valueType: "ENUM", allowedValues: ["a", "b"], defaultValue: "c" })] },
        "attributes[0].defaultValue",
        "not one of the allowed values",
      ],
      [{ attributes: [attr({ valueType: "ENUM" })] }, "attributes[0].allowedValues", "at least one allowed value"],
      [{ attributes: [attr({ valueType: "ENUM", allowedValues: [] })] }, "attributes[0].allowedValues"],
      [{ attributes: [attr({ valueType: "STRING", allowedValues: ["x"] })] }, "attributes[0].allowedValues", "only ENUM"],
      [{ attributes: [attr({}), attr({ name: "a", valueType: "NUMBER" })] }, "attributes[1].name", "already defined"],
      [{ attributes: [attr({ name: "" })] }, "attributes[0].name"],
      [{ attributes: [attr({ valueType: "TEXT" })] }, "attributes[0].valueType"],
      [{ attributes: [attr({ time: "LATER" })] }, "attributes[0].time"],
      [{ attributes: [{ name: "A", valueType: "STRING", time: "ENTITLEMENT" }] }, "attributes[0].required"],
      [{ policies: { allowedReturns: -1 } }, "policies.allowedReturns"],
      [{ policies: { allowedRehosts: 1.5 } }, "policies.allowedRehosts"],
      [{ policies: { somethingElse: 1 } }, "policies.somethingElse"],
      [{ technology: "DONGLE" }, "technology"],
      [{ modelType: "METERED" }, "modelType"],
      [{ name: "" }, "name"],
    ];
    for (const [body, field, words] of cases) {
      const res = await admin.post("/api/v1/license-models", { ...base, name: "V", ...body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json(), JSON.stringify(body)).toMatchObject({ code: "validation_failed", field });
      if (words) expect(res.json().detail).toContain(words);
    }
    const missing = await admin.post("/api/v1/license-models", { name: "V" });
    expect(
      missing
        .json()
        .errors.map((e: Json) => e.field)
        .sort(),
    ).toEqual(["modelType", "technology"]);
    expect((await admin.get("/api/v1/license-models")).json().items).toEqual([]);

    // Valid values of each type pass.
    const ok = await model(admin, {
      name: "Typed",
      attributes: [
        attr({ name: "N", valueType: "NUMBER", defaultValue: "-1.25" }),
        attr({ name: "D", valueType: "DATE", defaultValue: "2024-02-29" }),
        attr({ name: "B", valueType: "BOOLEAN", defaultValue: "false" }),
        attr({ name: "E", valueType: "ENUM", allowedValues: ["x"], defaultValue: null }),
      ],
      policies: { allowedReturns: 0, allowedRehosts: null, allowedRepairs: 3, window: { count: 1, unit: "YEARS" } },
    });
    expect(ok.attributes).toHaveLength(4);
    // Explicit nulls stay null (unlimited / no default), they are not coerced to 0 or "".
    expect(ok.policies).toEqual({
      allowedReturns: 0,
      allowedRehosts: null,
      allowedRepairs: 3,
      allowedExtraActivations: 0,
      window: { count: 1, unit: "YEARS" },
    });
    expect(ok.attributes[3]).toMatchObject({ name: "E", defaultValue: null });
    const nulls = await admin.patch(`/api/v1/license-models/${ok.id}`, { description: null, policies: { allowedRepairs: null } });
    expect(nulls.json()).toMatchObject({
      description: null,
      policies: { allowedReturns: 0, allowedRehosts: null, allowedRepairs: null },
    });
    const badPatch = await admin.patch(`/api/v1/license-models/${ok.id}`, {
      attributes: [attr({ valueType: "BOOLEAN", defaultValue: "1" })],
    });
    expect(badPatch.json()).toMatchObject({ code: "validation_failed", field: "attributes[0].defaultValue" });
  });

  it("moves through DRAFT → DEPLOYED → OBSOLETE and refuses every other move in words", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const m = await model(admin, { name: "LM" });
    expect((await changeState(admin, m.id, "DRAFT")).json()).toMatchObject({
      code: "invalid_state",
      detail: "License model 'LM' is already DRAFT.",
    });
    expect((await changeState(admin, m.id, "DEPLOYED")).json().state).toBe("DEPLOYED");
    const back = await changeState(admin, m.id, "DRAFT");
    expect(back.statusCode).toBe(409);
    expect(back.json()).toMatchObject({ code: "invalid_state", field: "state" });
    expect(back.json().detail).toContain("License model 'LM' cannot be moved from DEPLOYED to DRAFT");
    expect((await changeState(admin, m.id, "OBSOLETE")).json().state).toBe("OBSOLETE");
    for (const to of ["DRAFT", "DEPLOYED"]) {
      const res = await changeState(admin, m.id, to);
      expect(res.statusCode).toBe(409);
      expect(res.json().detail).toContain(`cannot be moved from OBSOLETE to ${to}`);
    }
    const d = await model(admin, { name: "Straight to obsolete" });
    expect((await changeState(admin, d.id, "OBSOLETE")).json().state).toBe("OBSOLETE");
    expect((await changeState(admin, "nope", "DEPLOYED")).statusCode).toBe(404);
    expect((await changeState(admin, m.id, "INACTIVE")).json()).toMatchObject({ code: "validation_failed", field: "state" });

    const audit = await env.db.selectFrom("audit_events").selectAll().where("object_id", "=", m.id).orderBy("id").execute();
    expect(audit.map((a) => a.action)).toEqual([
      "licenseModel.created",
      "licenseModel.state_changed",
      "licenseModel.state_changed",
    ]);
    expect(JSON.parse(audit[2]!.changes)).toEqual({ state: { before: "DEPLOYED", after: "OBSOLETE" } });
  });

  it("allows only description and policies to change once DEPLOYED, and nothing once OBSOLETE", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const m = await model(admin, {
      name: "LM",
      attributes: [{ name: "A", valueType: "STRING", time: "ENTITLEMENT", required: false }],
    });
    await changeState(admin, m.id, "DEPLOYED");
    const ok = await admin.patch(`/api/v1/license-models/${m.id}`, {
      description: "deployed",
      policies: { allowedRepairs: 1 },
      // unchanged values may be sent back
      name: "LM",
      technology: "ACTIVATION",
      attributes: m.attributes,
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ description: "deployed", policies: { allowedRepairs: 1 } });
    for (const [body, field] of [
      [{ name: "LM2" }, "name"],
      [{ technology: "CERTIFICATE" }, "technology"],
      [{ modelType: "NODE_LOCKED_UNCOUNTED" }, "modelType"],
      [{ attributes: [] }, "attributes"],
    ] as [Json, string][]) {
      const res = await admin.patch(`/api/v1/license-models/${m.id}`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(409);
      expect(res.json()).toMatchObject({ code: "invalid_state", field });
      expect(res.json().detail).toContain("License model 'LM' is DEPLOYED: only description and policies can be changed");
    }
    await changeState(admin, m.id, "OBSOLETE");
    const frozen = await admin.patch(`/api/v1/license-models/${m.id}`, { policies: { allowedRepairs: 2 } });
    expect(frozen.statusCode).toBe(409);
    expect(frozen.json()).toMatchObject({
      code: "invalid_state",
      field: "policies",
      detail: "License model 'LM' is OBSOLETE and cannot be changed.",
    });
    expect((await admin.patch("/api/v1/license-models/nope", { description: "x" })).statusCode).toBe(404);
  });

  it("deletes only unused DRAFT license models", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const m = await model(admin, { name: "Used" });
    const p = await admin.post("/api/v1/products", { name: "Prod", version: "1", licenseModelIds: [m.id] });
    expect(p.statusCode).toBe(201);
    const used = await admin.delete(`/api/v1/license-models/${m.id}`);
    expect(used.statusCode).toBe(409);
    expect(used.json()).toMatchObject({ code: "in_use" });
    expect(used.json().detail).toContain("product 'Prod 1'");

    const other = await admin.post("/api/v1/products", { name: "Prod", version: "2" });
    const pn = await admin.post("/api/v1/part-numbers", { partId: "SKU-LM", productId: other.json().id, licenseModelId: m.id });
    expect(pn.statusCode, pn.body).toBe(201);
    await admin.patch(`/api/v1/products/${p.json().id}`, { licenseModelIds: [] });
    const byPart = await admin.delete(`/api/v1/license-models/${m.id}`);
    expect(byPart.statusCode).toBe(409);
    expect(byPart.json()).toMatchObject({ code: "in_use" });
    expect(byPart.json().detail).toContain("part number 'SKU-LM'");
    await admin.delete(`/api/v1/part-numbers/${pn.json().id}`);
    expect((await admin.delete(`/api/v1/license-models/${m.id}`)).statusCode).toBe(204);

    const d = await model(admin, { name: "Deployed" });
    await changeState(admin, d.id, "DEPLOYED");
    const deployed = await admin.delete(`/api/v1/license-models/${d.id}`);
    expect(deployed.statusCode).toBe(409);
    expect(deployed.json()).toMatchObject({ code: "invalid_state" });
    expect(deployed.json().detail).toContain("License model 'Deployed' is DEPLOYED; only DRAFT items can be deleted.");
    expect((await admin.delete("/api/v1/license-models/nope")).statusCode).toBe(404);
  });

  it("refuses OBSOLETE license models on products", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const m = await model(admin, { name: "Old" });
    await changeState(admin, m.id, "OBSOLETE");
    const res = await admin.post("/api/v1/products", { name: "P", version: "1", licenseModelIds: [m.id] });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: "invalid_state", field: "licenseModelIds[0]" });
    expect(res.json().detail).toContain("License model 'Old' is OBSOLETE");
  });

  it("pages by name and filters by name, state, technology, modelType and q", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    for (const [name, technology, modelType] of [
      ["lm c", "CERTIFICATE", "FLOATING"],
      ["lm a", "ACTIVATION", "NODE_LOCKED_COUNTED"],
      ["lm b", "CERTIFICATE", "NODE_LOCKED_UNCOUNTED"],
      ["lm d", "ACTIVATION", "FLOATING"],
      ["zz", "ACTIVATION", "FLOATING"],
    ]) {
      await model(admin, { name, technology, modelType, description: name === "zz" ? "not an lm" : null });
    }
    const p1 = (await admin.get("/api/v1/license-models?name=STARTS_WITH:lm&limit=3")).json();
    expect(p1.items.map((m: Json) => m.name)).toEqual(["lm a", "lm b", "lm c"]);
    const p2 = (await admin.get(`/api/v1/license-models?name=STARTS_WITH:lm&limit=3&cursor=${p1.nextCursor}`)).json();
    expect(p2.items.map((m: Json) => m.name)).toEqual(["lm d"]);
    expect(p2.nextCursor).toBeNull();

    const names = async (qs: string) =>
      ((await admin.get(`/api/v1/license-models?${qs}`)).json().items as Json[]).map((m) => m.name);
    expect(await names("technology=CERTIFICATE")).toEqual(["lm b", "lm c"]);
    expect(await names("modelType=FLOATING")).toEqual(["lm c", "lm d", "zz"]);
    expect(await names("modelType=FLOATING&technology=ACTIVATION")).toEqual(["lm d", "zz"]);
    expect(await names("name=LM%20A")).toEqual(["lm a"]);
    expect(await names("name=EQUALS:lm")).toEqual([]);
    expect(await names("q=lm")).toEqual(["lm a", "lm b", "lm c", "lm d", "zz"]);
    const lmA = (await admin.get("/api/v1/license-models?name=EQUALS:lm%20a")).json().items[0];
    await changeState(admin, lmA.id, "DEPLOYED");
    expect(await names("state=DEPLOYED")).toEqual(["lm a"]);
    expect(await names("state=DRAFT").then((x) => x.length)).toBe(4);
    expect((await admin.get("/api/v1/license-models?technology=DONGLE")).json()).toMatchObject({ field: "technology" });
  });

  it("lets producer admins and operations write, support and viewers read, portal users nothing", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const m = await model(admin, { name: "Authz" });
    for (const role of ["PRODUCER_ADMIN", "PRODUCER_OPERATIONS"] as Role[]) {
      const c = await env.as(role);
      const made = await c.post("/api/v1/license-models", { ...base, name: `By ${role}` });
      expect(made.statusCode).toBe(201);
      expect((await c.patch(`/api/v1/license-models/${made.json().id}`, { description: "x" })).statusCode).toBe(200);
      expect((await changeState(c, made.json().id, "DEPLOYED")).statusCode).toBe(200);
      const tmp = await c.post("/api/v1/license-models", { ...base, name: `Tmp ${role}` });
      expect((await c.delete(`/api/v1/license-models/${tmp.json().id}`)).statusCode).toBe(204);
    }
    await expectReadOnlyAndHidden(env, ["PRODUCER_SUPPORT", "PRODUCER_VIEWER"], {
      reads: [(c) => c.get("/api/v1/license-models"), (c) => c.get(`/api/v1/license-models/${m.id}`)],
      writes: [
        (c) => c.post("/api/v1/license-models", { ...base, name: "No" }),
        (c) => c.patch(`/api/v1/license-models/${m.id}`, { description: "x" }),
        (c) => changeState(c, m.id, "DEPLOYED"),
        (c) => c.delete(`/api/v1/license-models/${m.id}`),
      ],
    });
    expect((await admin.get(`/api/v1/license-models/${m.id}`)).json()).toMatchObject({ state: "DRAFT", description: null });
  });
});
