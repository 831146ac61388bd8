import { expect, it } from "vitest";
import type { Role } from "../../common/src/enums.js";
import { expectReadOnlyAndHidden } from "./expectations.js";
import { licenseModel, ok } from "./factories.js";
import { type Caller, describeEachDb } from "./helpers.js";

type Json = Record<string, any>;

/** A license model's ID: part numbers name them. */
const model = async (c: Caller, name: string, state: "DRAFT" | "DEPLOYED" | "OBSOLETE" = "DEPLOYED"): Promise<string> =>
  (await licenseModel(c, { name, state, technology: "ACTIVATION", modelType: "NODE_LOCKED_COUNTED" })).id;

/** A DRAFT product's ID, created with exactly `body`. */
const product = async (c: Caller, body: Json): Promise<string> => ok(await c.post("/api/v1/products", body)).id;

const part = async (c: Caller, body: Json): Promise<Json> => ok(await c.post("/api/v1/part-numbers", body));

describeEachDb("part numbers", (env) => {
  it("creates, reads, lists, updates and deletes a part number, auditing each change", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const lm = await model(admin, "Node locked 5");
    const pid = await product(admin, { name: "Acme CAD", version: "1.0", licenseModelIds: [lm] });
    const created = await admin.post("/api/v1/part-numbers", {
      partId: "ACME-CAD-5",
      description: "Five seats",
      productId: pid,
      quantity: 5,
      licenseModelId: lm,
    });
    expect(created.statusCode, created.body).toBe(201);
    const pn = created.json();
    expect(pn).toMatchObject({
      partId: "ACME-CAD-5",
      description: "Five seats",
      productId: pid,
      productName: "Acme CAD",
      productVersion: "1.0",
      quantity: 5,
      licenseModelId: lm,
      licenseModelName: "Node locked 5",
    });
    expect(typeof pn.id).toBe("string");
    expect((await admin.get(`/api/v1/part-numbers/${pn.id}`)).json()).toEqual(pn);

    const plain = await part(admin, { partId: "ACME-CAD-1", productId: pid });
    expect(plain).toMatchObject({ quantity: 1, licenseModelId: null, licenseModelName: null, description: null });

    const pid2 = await product(admin, { name: "Acme CAD", version: "2.0" });
    const upd = await admin.patch(`/api/v1/part-numbers/${pn.id}`, {
      partId: "ACME-CAD-5B",
      productId: pid2,
      quantity: 6,
      description: null,
    });
    expect(upd.statusCode, upd.body).toBe(200);
    expect(upd.json()).toMatchObject({
      partId: "ACME-CAD-5B",
      productVersion: "2.0",
      quantity: 6,
      description: null,
      licenseModelId: lm,
    });
    const noModel = await admin.patch(`/api/v1/part-numbers/${pn.id}`, { licenseModelId: null });
    expect(noModel.json()).toMatchObject({ licenseModelId: null, licenseModelName: null });

    const audit = await env.db.selectFrom("audit_events").selectAll().where("object_id", "=", pn.id).orderBy("id").execute();
    expect(audit.map((a) => [a.action, a.object_type])).toEqual([
      ["partNumber.created", "partNumber"],
      ["partNumber.updated", "partNumber"],
      ["partNumber.updated", "partNumber"],
    ]);
    expect(JSON.parse(audit[1]!.changes)).toMatchObject({
      partId: { before: "ACME-CAD-5", after: "ACME-CAD-5B" },
      quantity: { before: 5, after: 6 },
      productVersion: { before: "1.0", after: "2.0" },
    });

    expect((await admin.delete(`/api/v1/part-numbers/${pn.id}`)).statusCode).toBe(204);
    expect((await admin.get(`/api/v1/part-numbers/${pn.id}`)).statusCode).toBe(404);
    expect((await admin.delete(`/api/v1/part-numbers/${pn.id}`)).statusCode).toBe(404);
    expect((await admin.patch(`/api/v1/part-numbers/${pn.id}`, { quantity: 2 })).statusCode).toBe(404);
    const del = await env.db
      .selectFrom("audit_events")
      .select("action")
      .where("object_id", "=", pn.id)
      .where("action", "=", "partNumber.deleted")
      .execute();
    expect(del).toHaveLength(1);
  });

  it("refuses a duplicate or malformed part ID", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const pid = await product(admin, { name: "P", version: "1" });
    const first = await part(admin, { partId: "SKU-1", productId: pid });
    const dup = await admin.post("/api/v1/part-numbers", { partId: "SKU-1", productId: pid });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: "already_exists", field: "partId", detail: "Part number 'SKU-1' already exists." });
    const second = await part(admin, { partId: "SKU-2", productId: pid });
    const rename = await admin.patch(`/api/v1/part-numbers/${second.id}`, { partId: "SKU-1" });
    expect(rename.statusCode).toBe(409);
    expect(rename.json()).toMatchObject({ code: "already_exists", field: "partId" });
    for (const bad of ["a/b", "has.dot", " lead", "x,y", ""]) {
      const res = await admin.post("/api/v1/part-numbers", { partId: bad, productId: pid });
      expect(res.statusCode, bad).toBe(400);
      expect(res.json(), bad).toMatchObject({ code: "validation_failed", field: "partId" });
    }
    const badPatch = await admin.patch(`/api/v1/part-numbers/${first.id}`, { partId: "a@b" });
    expect(badPatch.json()).toMatchObject({ code: "validation_failed", field: "partId" });
    expect(badPatch.json().detail).toContain("'@'");
  });

  it("checks product, quantity and license model", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const allowed = await model(admin, "Allowed");
    const other = await model(admin, "Other");
    const pid = await product(admin, { name: "Limited", version: "1", licenseModelIds: [allowed] });
    const open = await product(admin, { name: "Open", version: "1" });
    const cases: [Json, number, string, string, string?][] = [
      [{ partId: "X", productId: "ghost" }, 400, "validation_failed", "productId", "product 'ghost' does not exist"],
      [{ partId: "X", productId: pid, licenseModelId: "ghost" }, 400, "validation_failed", "licenseModelId", "does not exist"],
      [
        { partId: "X", productId: pid, licenseModelId: other },
        400,
        "validation_failed",
        "licenseModelId",
        "license model 'Other' is not allowed for Product 'Limited 1'; it allows 'Allowed'",
      ],
      [{ partId: "X", productId: pid, quantity: 0 }, 400, "validation_failed", "quantity"],
      [{ partId: "X", productId: pid, quantity: 2.5 }, 400, "validation_failed", "quantity"],
      [{ partId: "X" }, 400, "validation_failed", "productId"],
      [{ productId: pid }, 400, "validation_failed", "partId"],
      [{ partId: "X", productId: pid, extra: 1 }, 400, "validation_failed", "extra"],
    ];
    for (const [body, status, code, field, words] of cases) {
      const res = await admin.post("/api/v1/part-numbers", body);
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      expect(res.json(), JSON.stringify(body)).toMatchObject({ code, field });
      if (words) expect(res.json().detail).toContain(words);
    }
    // A product that allows any model takes any model; a limited one its own.
    expect((await part(admin, { partId: "OPEN-OTHER", productId: open, licenseModelId: other })).licenseModelName).toBe("Other");
    const ok = await part(admin, { partId: "LIM-OK", productId: pid, licenseModelId: allowed });
    const moveToLimited = await admin.patch(`/api/v1/part-numbers/${ok.id}`, { licenseModelId: other });
    expect(moveToLimited.json()).toMatchObject({ code: "validation_failed", field: "licenseModelId" });
    const openPart = (await admin.get("/api/v1/part-numbers?partId=OPEN-OTHER")).json().items[0];
    const moveProduct = await admin.patch(`/api/v1/part-numbers/${openPart.id}`, { productId: pid });
    expect(moveProduct.json()).toMatchObject({ code: "validation_failed", field: "licenseModelId" });

    // Nothing new may point at OBSOLETE things; existing part numbers keep working.
    const old = await model(admin, "Old");
    const oldProduct = await product(admin, { name: "Old", version: "1" });
    await admin.post(`/api/v1/license-models/${old}/actions/change-state`, { state: "OBSOLETE" });
    await admin.post(`/api/v1/products/${oldProduct}/actions/change-state`, { state: "OBSOLETE" });
    const r1 = await admin.post("/api/v1/part-numbers", { partId: "Y", productId: open, licenseModelId: old });
    expect(r1.statusCode).toBe(409);
    expect(r1.json()).toMatchObject({ code: "invalid_state", field: "licenseModelId" });
    const r2 = await admin.post("/api/v1/part-numbers", { partId: "Y", productId: oldProduct });
    expect(r2.statusCode).toBe(409);
    expect(r2.json()).toMatchObject({ code: "invalid_state", field: "productId" });
    expect(r2.json().detail).toContain("Product 'Old 1' is OBSOLETE");
    expect((await admin.patch(`/api/v1/part-numbers/${ok.id}`, { description: "still fine" })).statusCode).toBe(200);
  });

  it("pages by part ID and filters by partId, productId, licenseModelId and q", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const lm = await model(admin, "LM");
    const a = await product(admin, { name: "A", version: "1" });
    const b = await product(admin, { name: "B", version: "1" });
    for (const [partId, productId, extra] of [
      ["SKU-D", a, {}],
      ["SKU-B", b, { licenseModelId: lm }],
      ["SKU-A", a, {}],
      ["SKU-C", b, { description: "bundle" }],
      ["OTHER-1", a, { description: "not a sku" }],
    ] as [string, string, Json][]) {
      await part(admin, { partId, productId, ...extra });
    }
    const p1 = (await admin.get("/api/v1/part-numbers?partId=STARTS_WITH:SKU-&limit=3")).json();
    expect(p1.items.map((p: Json) => p.partId)).toEqual(["SKU-A", "SKU-B", "SKU-C"]);
    const p2 = (await admin.get(`/api/v1/part-numbers?partId=STARTS_WITH:SKU-&limit=3&cursor=${p1.nextCursor}`)).json();
    expect(p2.items.map((p: Json) => p.partId)).toEqual(["SKU-D"]);
    expect(p2.nextCursor).toBeNull();

    const ids = async (qs: string) =>
      ((await admin.get(`/api/v1/part-numbers?${qs}`)).json().items as Json[]).map((p) => p.partId);
    expect(await ids(`productId=${b}`)).toEqual(["SKU-B", "SKU-C"]);
    expect(await ids(`licenseModelId=${lm}`)).toEqual(["SKU-B"]);
    expect(await ids("partId=sku-a")).toEqual(["SKU-A"]);
    expect(await ids("partId=SKU")).toEqual([]);
    expect(await ids("partId=CONTAINS:-1")).toEqual(["OTHER-1"]);
    expect(await ids("q=sku")).toEqual(["OTHER-1", "SKU-A", "SKU-B", "SKU-C", "SKU-D"]);
    expect(await ids("q=bundle")).toEqual(["SKU-C"]);
  });

  it("lets producer admins and operations write, support and viewers read, portal users nothing", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const pid = await product(admin, { name: "P", version: "1" });
    const pn = await part(admin, { partId: "AUTHZ", productId: pid });
    for (const role of ["PRODUCER_ADMIN", "PRODUCER_OPERATIONS"] as Role[]) {
      const c = await env.as(role);
      const made = await c.post("/api/v1/part-numbers", { partId: `BY-${role}`, productId: pid });
      expect(made.statusCode).toBe(201);
      expect((await c.patch(`/api/v1/part-numbers/${made.json().id}`, { quantity: 3 })).statusCode).toBe(200);
      expect((await c.delete(`/api/v1/part-numbers/${made.json().id}`)).statusCode).toBe(204);
    }
    await expectReadOnlyAndHidden(env, ["PRODUCER_SUPPORT", "PRODUCER_VIEWER"], {
      reads: [(c) => c.get("/api/v1/part-numbers"), (c) => c.get(`/api/v1/part-numbers/${pn.id}`)],
      writes: [
        (c) => c.post("/api/v1/part-numbers", { partId: "NO", productId: pid }),
        (c) => c.patch(`/api/v1/part-numbers/${pn.id}`, { quantity: 3 }),
        (c) => c.delete(`/api/v1/part-numbers/${pn.id}`),
      ],
    });
    expect((await admin.get(`/api/v1/part-numbers/${pn.id}`)).json().quantity).toBe(1);
  });
});
