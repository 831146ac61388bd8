import { expect, it } from "vitest";
import type { Role } from "../../common/src/enums.js";
import { expectReadOnlyAndHidden } from "./expectations.js";
import { licenseModel, ok } from "./factories.js";
import { type Caller, describeEachDb } from "./helpers.js";

type Json = Record<string, any>;

/** A license model's ID: products name them. */
const model = async (c: Caller, name: string, state: "DRAFT" | "DEPLOYED" | "OBSOLETE" = "DEPLOYED"): Promise<string> =>
  (await licenseModel(c, { name, state })).id;

/** A product created with exactly `body` (the subject here, so no defaults added), DRAFT. */
const product = async (c: Caller, body: Json): Promise<Json> => ok(await c.post("/api/v1/products", body));

const changeState = (c: Caller, id: string, state: string) => c.post(`/api/v1/products/${id}/actions/change-state`, { state });

describeEachDb("products", (env) => {
  it("creates, reads, lists, updates and deletes a product, auditing each change", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const lm = await model(admin, "Node locked");
    const created = await admin.post("/api/v1/products", {
      name: "Acme CAD",
      version: "1.0",
      description: "The CAD",
      features: [
        { name: "cad_core", version: "1.0", count: null },
        { name: "cad_render", version: "1.0", count: 5 },
        { name: "cad_alpha", version: "1.0", count: 1 },
      ],
      licenseModelIds: [lm],
    });
    expect(created.statusCode).toBe(201);
    const p = created.json();
    expect(p).toMatchObject({
      name: "Acme CAD",
      version: "1.0",
      description: "The CAD",
      type: "PRODUCT",
      state: "DRAFT",
      licenseModelIds: [lm],
      upgradeToIds: [],
      upsellToIds: [],
    });
    expect(p.features.map((f: Json) => f.name)).toEqual(["cad_core", "cad_render", "cad_alpha"]);
    expect(p.features[0]).toEqual({ name: "cad_core", version: "1.0", count: null });
    expect(typeof p.id).toBe("string");
    expect(p.createdAt).toBe(p.updatedAt);

    const got = await admin.get(`/api/v1/products/${p.id}`);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(p);

    const list = (await admin.get("/api/v1/products?name=acme")).json();
    expect(list.items.map((x: Json) => x.id)).toEqual([p.id]);
    expect(list.nextCursor).toBeNull();

    const v2 = await product(admin, { name: "Acme CAD", version: "2.0", type: "SUITE", description: null });
    expect(v2.description).toBeNull();
    const upd = await admin.patch(`/api/v1/products/${p.id}`, {
      description: "Computer-aided design",
      features: [{ name: "cad_render", version: "1.0", count: 10 }],
      upgradeToIds: [v2.id],
      upsellToIds: [v2.id],
    });
    expect(upd.statusCode, upd.body).toBe(200);
    expect(upd.json()).toMatchObject({
      description: "Computer-aided design",
      features: [{ name: "cad_render", version: "1.0", count: 10 }],
      upgradeToIds: [v2.id],
      upsellToIds: [v2.id],
      licenseModelIds: [lm],
    });

    const audit = await env.db.selectFrom("audit_events").selectAll().where("object_id", "=", p.id).orderBy("id").execute();
    expect(audit.map((a) => [a.action, a.object_type])).toEqual([
      ["product.created", "product"],
      ["product.updated", "product"],
    ]);
    const changes = JSON.parse(audit[1]!.changes);
    expect(changes.description).toEqual({ before: "The CAD", after: "Computer-aided design" });
    expect(changes.upgradeToIds).toEqual({ before: [], after: [v2.id] });
    expect(Object.keys(changes)).not.toContain("name");

    // The upgrade target cannot go while p points at it; p itself can.
    const blocked = await admin.delete(`/api/v1/products/${v2.id}`);
    expect(blocked.statusCode).toBe(409);
    expect(blocked.json()).toMatchObject({ code: "in_use" });
    expect(blocked.json().detail).toContain("Acme CAD 1.0");
    expect((await admin.delete(`/api/v1/products/${p.id}`)).statusCode).toBe(204);
    expect((await admin.get(`/api/v1/products/${p.id}`)).statusCode).toBe(404);
    const del = await env.db
      .selectFrom("audit_events")
      .selectAll()
      .where("object_id", "=", p.id)
      .where("action", "=", "product.deleted")
      .execute();
    expect(del).toHaveLength(1);
    expect(JSON.parse(del[0]!.changes).name).toEqual({ before: "Acme CAD", after: null });
    expect((await admin.delete(`/api/v1/products/${v2.id}`)).statusCode).toBe(204);
  });

  it("refuses a duplicate name and version with 409 naming the version", async () => {
    const admin = await env.as("PRODUCER_OPERATIONS");
    await product(admin, { name: "Dup", version: "1.0" });
    const dup = await admin.post("/api/v1/products", { name: "Dup", version: "1.0" });
    expect(dup.statusCode).toBe(409);
    expect(dup.headers["content-type"]).toContain("application/problem+json");
    expect(dup.json()).toMatchObject({
      code: "already_exists",
      field: "version",
      detail: "Product 'Dup' version '1.0' already exists.",
    });
    // Another version of the same name is fine; renaming onto an existing pair is not.
    const other = await product(admin, { name: "Dup", version: "2.0" });
    const clash = await admin.patch(`/api/v1/products/${other.id}`, { version: "1.0" });
    expect(clash.statusCode).toBe(409);
    expect(clash.json()).toMatchObject({ code: "already_exists", field: "version" });
    expect(await env.db.selectFrom("audit_events").select("id").where("action", "=", "product.created").execute()).toHaveLength(
      2,
    );
  });

  it("validates features, references and fields, naming each field", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const lm = await model(admin, "M1");
    const cases: [Json, number, string, string?][] = [
      [
        {
          name: "P",
          version: "1",
          features: [
            { name: "f", version: "1", count: 1 },
            { name: "f", version: "1", count: 2 },
          ],
        },
        400,
        "features[1].name",
        "already listed at features[0]",
      ],
      [{ name: "P", version: "1", features: [{ name: "f", version: "1", count: 0 }] }, 400, "features[0].count"],
      [{ name: "P", version: "1", features: [{ name: "f", version: "1", count: 1.5 }] }, 400, "features[0].count"],
      [{ name: "P", version: "1", features: [{ name: "f", version: "1" }] }, 400, "features[0].count"],
      [{ name: "P", version: "1", features: [{ name: "", version: "1", count: null }] }, 400, "features[0].name"],
      [
        { name: "P", version: "1", licenseModelIds: [lm, "nope"] },
        400,
        "licenseModelIds[1]",
        "license model 'nope' does not exist",
      ],
      [{ name: "P", version: "1", licenseModelIds: [lm, lm] }, 400, "licenseModelIds[1]", "already listed"],
      [{ name: "P", version: "1", upgradeToIds: ["ghost"] }, 400, "upgradeToIds[0]", "product 'ghost' does not exist"],
      [{ name: "P", version: "1", upsellToIds: ["ghost"] }, 400, "upsellToIds[0]"],
      [{ name: "P", version: "1", type: "SERVICE" }, 400, "type"],
      [{ name: "P", version: "1", colour: "red" }, 400, "colour"],
      [{ version: "1" }, 400, "name"],
      [{ name: "P" }, 400, "version"],
      [{ name: "   ", version: "1" }, 400, "name"],
    ];
    for (const [body, status, field, words] of cases) {
      const res = await admin.post("/api/v1/products", body);
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      expect(res.json(), JSON.stringify(body)).toMatchObject({ code: "validation_failed", field });
      if (words) expect(res.json().detail).toContain(words);
    }
    expect((await admin.get("/api/v1/products")).json().items).toEqual([]);

    const p = await product(admin, { name: "Self", version: "1" });
    const self = await admin.patch(`/api/v1/products/${p.id}`, { upgradeToIds: [p.id] });
    expect(self.statusCode).toBe(400);
    expect(self.json()).toMatchObject({ code: "validation_failed", field: "upgradeToIds[0]" });
    expect(self.json().detail).toContain("cannot be related to itself");
    const selfUpsell = await admin.patch(`/api/v1/products/${p.id}`, { upsellToIds: [p.id] });
    expect(selfUpsell.json()).toMatchObject({ code: "validation_failed", field: "upsellToIds[0]" });

    const obsolete = await product(admin, { name: "Old", version: "1" });
    expect((await changeState(admin, obsolete.id, "OBSOLETE")).statusCode).toBe(200);
    const toObsolete = await admin.patch(`/api/v1/products/${p.id}`, { upgradeToIds: [obsolete.id] });
    expect(toObsolete.statusCode).toBe(409);
    expect(toObsolete.json()).toMatchObject({ code: "invalid_state", field: "upgradeToIds[0]" });
  });

  it("moves through DRAFT → DEPLOYED → OBSOLETE and refuses every other move in words", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const draftModel = await model(admin, "Floating 10", "DRAFT");
    const p = await product(admin, { name: "X", version: "1.0", licenseModelIds: [draftModel] });

    const same = await changeState(admin, p.id, "DRAFT");
    expect(same.statusCode).toBe(409);
    expect(same.json()).toMatchObject({ code: "invalid_state", field: "state", detail: "Product 'X 1.0' is already DRAFT." });

    const early = await changeState(admin, p.id, "DEPLOYED");
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ code: "invalid_state", field: "licenseModelIds" });
    expect(early.json().detail).toContain("Product 'X 1.0' cannot be deployed");
    expect(early.json().detail).toContain("'Floating 10' is DRAFT");

    expect(
      (await admin.post(`/api/v1/license-models/${draftModel}/actions/change-state`, { state: "DEPLOYED" })).statusCode,
    ).toBe(200);
    const deployed = await changeState(admin, p.id, "DEPLOYED");
    expect(deployed.statusCode).toBe(200);
    expect(deployed.json()).toMatchObject({ id: p.id, state: "DEPLOYED" });

    const back = await changeState(admin, p.id, "DRAFT");
    expect(back.statusCode).toBe(409);
    expect(back.json()).toMatchObject({ code: "invalid_state", field: "state" });
    expect(back.json().detail).toContain("Product 'X 1.0' cannot be moved from DEPLOYED to DRAFT");

    expect((await changeState(admin, p.id, "OBSOLETE")).json().state).toBe("OBSOLETE");
    for (const to of ["DRAFT", "DEPLOYED"]) {
      const res = await changeState(admin, p.id, to);
      expect(res.statusCode).toBe(409);
      expect(res.json().detail).toContain(`Product 'X 1.0' cannot be moved from OBSOLETE to ${to}; OBSOLETE is final.`);
    }
    expect((await changeState(admin, p.id, "OBSOLETE")).json().detail).toBe("Product 'X 1.0' is already OBSOLETE.");

    const q = await product(admin, { name: "Y", version: "1.0" });
    expect((await changeState(admin, q.id, "OBSOLETE")).json().state).toBe("OBSOLETE");

    const bad = await changeState(admin, p.id, "ACTIVE");
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: "validation_failed", field: "state" });
    expect((await changeState(admin, "nope", "DEPLOYED")).statusCode).toBe(404);

    const audit = await env.db.selectFrom("audit_events").selectAll().where("object_id", "=", p.id).orderBy("id").execute();
    expect(audit.map((a) => a.action)).toEqual(["product.created", "product.state_changed", "product.state_changed"]);
    expect(JSON.parse(audit[1]!.changes)).toEqual({ state: { before: "DRAFT", after: "DEPLOYED" } });
    expect(JSON.parse(audit[2]!.changes)).toEqual({ state: { before: "DEPLOYED", after: "OBSOLETE" } });
  });

  it("limits edits by state: DEPLOYED keeps its identity and features, OBSOLETE nothing", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const m1 = await model(admin, "M1");
    const m2 = await model(admin, "M2");
    const mDraft = await model(admin, "M3", "DRAFT");
    const target = await product(admin, { name: "Target", version: "1" });
    const p = await product(admin, {
      name: "X",
      version: "1.0",
      features: [{ name: "f", version: "1", count: 1 }],
      licenseModelIds: [m1],
    });
    expect((await changeState(admin, p.id, "DEPLOYED")).statusCode).toBe(200);

    const ok = await admin.patch(`/api/v1/products/${p.id}`, {
      description: "now deployed",
      licenseModelIds: [m1, m2],
      upgradeToIds: [target.id],
      upsellToIds: [target.id],
      // Unchanged fields may be sent back as they are.
      name: "X",
      version: "1.0",
      type: "PRODUCT",
      features: [{ name: "f", version: "1", count: 1 }],
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ description: "now deployed", upgradeToIds: [target.id] });
    expect([...ok.json().licenseModelIds].sort()).toEqual([m1, m2].sort());

    for (const [body, field] of [
      [{ name: "Renamed" }, "name"],
      [{ version: "1.1" }, "version"],
      [{ type: "SUITE" }, "type"],
      [{ features: [{ name: "f", version: "1", count: 2 }] }, "features"],
      [{ description: "d", features: [] }, "features"],
    ] as [Json, string][]) {
      const res = await admin.patch(`/api/v1/products/${p.id}`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(409);
      expect(res.json()).toMatchObject({ code: "invalid_state", field });
      expect(res.json().detail).toContain(
        "Product 'X 1.0' is DEPLOYED: only description, licenseModelIds, upgradeToIds and upsellToIds can be changed",
      );
    }
    // Nothing of a refused edit sticks.
    expect((await admin.get(`/api/v1/products/${p.id}`)).json().description).toBe("now deployed");

    const draftModel = await admin.patch(`/api/v1/products/${p.id}`, { licenseModelIds: [m1, mDraft] });
    expect(draftModel.statusCode).toBe(409);
    expect(draftModel.json()).toMatchObject({ code: "invalid_state", field: "licenseModelIds[1]" });
    expect(draftModel.json().detail).toContain("'M3' is DRAFT");

    expect((await changeState(admin, p.id, "OBSOLETE")).statusCode).toBe(200);
    const frozen = await admin.patch(`/api/v1/products/${p.id}`, { description: "too late" });
    expect(frozen.statusCode).toBe(409);
    expect(frozen.json()).toMatchObject({
      code: "invalid_state",
      field: "description",
      detail: "Product 'X 1.0' is OBSOLETE and cannot be changed.",
    });
    expect((await admin.patch(`/api/v1/products/${p.id}`, { description: "now deployed" })).statusCode).toBe(200);

    const updates = await env.db
      .selectFrom("audit_events")
      .select("action")
      .where("object_id", "=", p.id)
      .where("action", "=", "product.updated")
      .execute();
    expect(updates).toHaveLength(1);
  });

  it("deletes only unused DRAFT products", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const lm = await model(admin, "M");
    const p = await product(admin, { name: "Sold", version: "1", licenseModelIds: [lm] });
    const pn = await admin.post("/api/v1/part-numbers", { partId: "SKU-1", productId: p.id });
    expect(pn.statusCode).toBe(201);
    const used = await admin.delete(`/api/v1/products/${p.id}`);
    expect(used.statusCode).toBe(409);
    expect(used.json()).toMatchObject({ code: "in_use" });
    expect(used.json().detail).toContain("'SKU-1'");

    // Dropping the allowed model a part number uses is refused too.
    const pn2 = await admin.post("/api/v1/part-numbers", { partId: "SKU-2", productId: p.id, licenseModelId: lm });
    expect(pn2.statusCode).toBe(201);
    const lm2 = await model(admin, "M2");
    const drop = await admin.patch(`/api/v1/products/${p.id}`, { licenseModelIds: [lm2] });
    expect(drop.statusCode).toBe(409);
    expect(drop.json()).toMatchObject({ code: "in_use", field: "licenseModelIds" });
    expect(drop.json().detail).toContain("'SKU-2'");
    expect((await admin.patch(`/api/v1/products/${p.id}`, { licenseModelIds: [] })).statusCode).toBe(200);

    expect((await admin.delete(`/api/v1/part-numbers/${pn.json().id}`)).statusCode).toBe(204);
    expect((await admin.delete(`/api/v1/part-numbers/${pn2.json().id}`)).statusCode).toBe(204);

    expect((await changeState(admin, p.id, "DEPLOYED")).statusCode).toBe(200);
    const deployed = await admin.delete(`/api/v1/products/${p.id}`);
    expect(deployed.statusCode).toBe(409);
    expect(deployed.json()).toMatchObject({ code: "invalid_state" });
    expect(deployed.json().detail).toContain("Product 'Sold 1' is DEPLOYED; only DRAFT items can be deleted.");
    expect((await admin.delete("/api/v1/products/nope")).statusCode).toBe(404);
    expect((await admin.patch("/api/v1/products/nope", { description: "x" })).statusCode).toBe(404);
  });

  it("pages by name, version and id and filters by name, version, state, type and q", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const made: Json[] = [];
    for (const [name, version, type] of [
      ["paging b", "2.0", "PRODUCT"],
      ["paging a", "2.0", "SUITE"],
      ["paging c", "1.0", "MAINTENANCE"],
      ["paging a", "1.0", "PRODUCT"],
      ["other", "1.0", "PRODUCT"],
    ]) {
      made.push(await product(admin, { name, version, type, description: name === "other" ? "mentions paging" : null }));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/products?name=STARTS_WITH:paging&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page = (await admin.get(url)).json();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((p: Json) => `${p.name} ${p.version}`));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(["paging a 1.0", "paging a 2.0", "paging b 2.0", "paging c 1.0"]);

    const names = async (qs: string) =>
      ((await admin.get(`/api/v1/products?${qs}`)).json().items as Json[]).map((p) => `${p.name} ${p.version}`);
    expect(await names("version=1.0&name=paging")).toEqual(["paging a 1.0", "paging c 1.0"]);
    expect(await names("version=1")).toEqual([]);
    expect(await names("version=STARTS_WITH:1")).toEqual(["other 1.0", "paging a 1.0", "paging c 1.0"]);
    expect(await names("name=ENDS_WITH:G%20A")).toEqual(["paging a 1.0", "paging a 2.0"]);
    expect(await names("name=EQUALS:paging")).toEqual([]);
    expect(await names("type=SUITE")).toEqual(["paging a 2.0"]);
    expect(await names("q=paging").then((x) => x.length)).toBe(5);
    await changeState(admin, made[0]!.id, "OBSOLETE");
    expect(await names("state=OBSOLETE")).toEqual(["paging b 2.0"]);
    expect(await names("state=DRAFT&name=paging").then((x) => x.length)).toBe(3);

    const badCursor = await admin.get("/api/v1/products?cursor=garbage");
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.json()).toMatchObject({ code: "validation_failed", field: "cursor" });
    const badState = await admin.get("/api/v1/products?state=ACTIVE");
    expect(badState.json()).toMatchObject({ code: "validation_failed", field: "state" });
    const badOp = await admin.get("/api/v1/products?name=BEFORE:x");
    expect(badOp.json()).toMatchObject({ code: "validation_failed", field: "name" });
  });

  it("honours Idempotency-Key on create", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const body = { name: "Idem", version: "1" };
    const a = await admin.post("/api/v1/products", body, { "idempotency-key": "k-1" });
    const b = await admin.post("/api/v1/products", body, { "idempotency-key": "k-1" });
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.headers["idempotent-replayed"]).toBe("true");
    expect(b.json().id).toBe(a.json().id);
    expect((await admin.get("/api/v1/products")).json().items).toHaveLength(1);
  });

  it("lets producer admins and operations write, support and viewers read, portal users nothing", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const p = await product(admin, { name: "Authz", version: "1" });
    for (const role of ["PRODUCER_ADMIN", "PRODUCER_OPERATIONS"] as Role[]) {
      const c = await env.as(role);
      expect((await c.get("/api/v1/products")).statusCode).toBe(200);
      const made = await c.post("/api/v1/products", { name: `By ${role}`, version: "1" });
      expect(made.statusCode).toBe(201);
      expect((await c.patch(`/api/v1/products/${made.json().id}`, { description: "x" })).statusCode).toBe(200);
      expect((await changeState(c, made.json().id, "OBSOLETE")).statusCode).toBe(200);
    }
    const ops = await env.as("PRODUCER_OPERATIONS");
    const gone = await product(ops, { name: "Gone", version: "1" });
    expect((await ops.delete(`/api/v1/products/${gone.id}`)).statusCode).toBe(204);

    await expectReadOnlyAndHidden(env, ["PRODUCER_SUPPORT", "PRODUCER_VIEWER"], {
      reads: [(c) => c.get("/api/v1/products"), (c) => c.get(`/api/v1/products/${p.id}`)],
      writes: [
        (c) => c.post("/api/v1/products", { name: "No", version: "1" }),
        (c) => c.patch(`/api/v1/products/${p.id}`, { description: "x" }),
        (c) => changeState(c, p.id, "OBSOLETE"),
        (c) => c.delete(`/api/v1/products/${p.id}`),
      ],
    });
    expect((await env.caller(null).get("/api/v1/products")).statusCode).toBe(401);
    expect((await admin.get(`/api/v1/products/${p.id}`)).json()).toMatchObject({ state: "DRAFT", description: null });
  });

  it("documents every catalog route in OpenAPI with tags and a summary", async () => {
    const doc = (await env.app.inject({ method: "GET", url: "/api/openapi.json" })).json();
    const expected: Record<string, string[]> = {
      "/api/v1/products": ["get", "post"],
      "/api/v1/products/{id}": ["get", "patch", "delete"],
      "/api/v1/products/{id}/actions/change-state": ["post"],
      "/api/v1/license-models": ["get", "post"],
      "/api/v1/license-models/{id}": ["get", "patch", "delete"],
      "/api/v1/license-models/{id}/actions/change-state": ["post"],
      "/api/v1/part-numbers": ["get", "post"],
      "/api/v1/part-numbers/{id}": ["get", "patch", "delete"],
      "/api/v1/partner-tiers": ["get", "post"],
      "/api/v1/partner-tiers/{name}": ["get", "patch", "delete"],
    };
    for (const [path, methods] of Object.entries(expected)) {
      for (const m of methods) {
        const op = doc.paths[path]?.[m];
        expect(op, `${m} ${path}`).toBeDefined();
        expect(op.tags?.length, `${m} ${path}`).toBeGreaterThan(0);
        expect(op.summary, `${m} ${path}`).toBeTruthy();
      }
    }
  });
});
