import { Migrator, sql } from "kysely";
import { expect, it } from "vitest";
import { CROCKFORD } from "../../common/src/keyCheck.js";
import { migrateToLatest } from "../src/db/connect.js";
import { migrationProvider } from "../src/db/migrations/index.js";
import { canonicalKeySql } from "../src/db/repos/keys.js";
import { canonicalKey, generateKey } from "../src/domain/keyFormat.js";
import { bulkEntitlement } from "./factories.js";
import { type Caller, describeEachDb } from "./helpers.js";

/** The same key with its check symbol replaced by another one: what redemption calls a typo. */
function wrongCheck(key: string): string {
  const last = key.at(-1) as string;
  return key.slice(0, -1) + (CROCKFORD[(CROCKFORD.indexOf(last) + 1) % 32] as string);
}

const counts = async (admin: Caller, id: string) => (await admin.get(`/api/v1/entitlements/${id}/keys/counts`)).json();

describeEachDb("web register key identity", (env) => {
  it("gives the same canonical form in SQL (indexes, migration) as in the server", async () => {
    const samples = ["acme-retail-hand-0001", "7kttg 4h535-d7tvp", "Solo-IL-oil", "Émile-ça-1", "ß-straße", "  A - B  ", "ǅ-x"];
    for (const v of samples) {
      const r = await sql<{
        c: string;
      }>`SELECT ${sql.raw(canonicalKeySql(env.dialect === "postgres", "v"))} AS c FROM (SELECT CAST(${v} AS text) AS v) t`.execute(
        env.db,
      );
      expect(r.rows[0]?.c, v).toBe(canonicalKey(v));
    }
    expect(canonicalKey("acme-retail-hand-0001")).toBe("ACMERETA11HAND0001");
  });

  it("treats a key in another case or without dashes as the same key at load, redemption, list and delete", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await bulkEntitlement(env, admin);
    const b = await bulkEntitlement(env, admin);
    const generated = generateKey();
    const sloppy = generated.toLowerCase().replace(/-/g, "");
    expect(
      (await admin.post(`/api/v1/entitlements/${a.bulk.id}/keys/batch`, { keys: [generated, "ACME-RETAIL-HAND-0001"] })).json(),
    ).toMatchObject({ status: "SUCCESS", loaded: 2 });
    // Bulk B may not hold the same keys in another spelling (nor O for 0).
    const refused = (
      await admin.post(`/api/v1/entitlements/${b.bulk.id}/keys/batch`, {
        keys: [sloppy, "acme retail hand 0001", "acme-retail-hand-OOO1", "OTHER-1"],
        mode: "partial",
      })
    ).json();
    expect(refused).toMatchObject({ status: "PARTIAL_FAILURE", loaded: 1, rejected: 3 });
    expect(refused.badLines.map((l: { line: number; reason: string }) => [l.line, l.reason])).toEqual([
      [1, "already exists"],
      [2, "already exists"],
      [3, "already exists"],
    ]);
    const byHand = await admin.post(`/api/v1/entitlements/${b.bulk.id}/keys`, { key: "Acme-Retail-Hand-0001" });
    expect(byHand.json()).toMatchObject({ status: 409, field: "key" });
    expect((await counts(admin, b.bulk.id)).total).toBe(1);

    // A search finds the key whatever the spelling; the key is shown as loaded.
    const found = (await admin.get(`/api/v1/entitlements/${a.bulk.id}/keys?prefix=acme%20retail`)).json();
    expect(found.items.map((k: { key: string }) => k.key)).toEqual(["ACME-RETAIL-HAND-0001"]);

    // Redeemed in lower case: the loaded key, kept as loaded for the activation and entitlement IDs.
    const user = await env.as("CUSTOMER_PORTAL_USER", a.customer);
    const r = await user.post("/api/v1/redemptions", { key: "acme-retail-hand-0001" });
    expect(r.statusCode).toBe(201);
    expect(r.json().entitlement).toMatchObject({ entitlementId: "ACME-RETAIL-HAND-0001ENT" });
    expect(r.json().entitlement.lineItems[0].activationId).toBe("ACME-RETAIL-HAND-0001");
    const again = await user.post("/api/v1/redemptions", { key: "ACMERETAILHAND0001" });
    expect(again.statusCode).toBe(200);
    expect((await counts(admin, a.bulk.id)).redeemed).toBe(1);

    // Delete by another spelling: the generated key goes, the redeemed one is refused.
    const del = await admin.post(`/api/v1/entitlements/${a.bulk.id}/keys/delete`, { keys: [sloppy] });
    expect(del.json()).toEqual({ deleted: 1 });
    const delRedeemed = await admin.post(`/api/v1/entitlements/${a.bulk.id}/keys/delete`, { keys: ["acme-retail-hand-0001"] });
    expect(delRedeemed.statusCode).toBe(400);
    expect(delRedeemed.json().errors[0].message).toContain("is redeemed");
    expect(await counts(admin, a.bulk.id)).toEqual({ total: 1, redeemed: 1, unredeemed: 0 });
  });

  it("refuses a key that is an activation ID in another spelling, and an activation ID that is a key", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk: e, lm, product, customer } = await bulkEntitlement(env, admin);
    await admin.post("/api/v1/entitlements", {
      kind: "SIMPLE",
      soldTo: customer,
      lineItems: [{ products: [{ productId: product.id }], licenseModelId: lm.id, activationId: "act-taken-1" }],
    });
    const r = (await admin.post(`/api/v1/entitlements/${e.id}/keys/batch`, { keys: ["FREE-1", "ACT TAKEN 1"] })).json();
    expect(r).toMatchObject({ status: "FAILURE", rejected: 1 });
    expect(r.badLines).toEqual([{ line: 2, key: "ACT TAKEN 1", reason: "is already an activation ID" }]);
    await admin.post(`/api/v1/entitlements/${e.id}/keys`, { key: "KEY-AS-ID-1" });
    const clash = await admin.post("/api/v1/entitlements", {
      kind: "SIMPLE",
      soldTo: customer,
      lineItems: [{ products: [{ productId: product.id }], licenseModelId: lm.id, activationId: "key as id 1" }],
    });
    expect(clash.statusCode).toBe(400);
    expect(clash.json().errors[0]).toMatchObject({ field: "lineItems[0].activationId" });
    expect(clash.json().errors[0].message).toContain("already in use");
  });

  it("refuses at load, naming the line, a key in the generated shape whose check symbol is wrong", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk: e } = await bulkEntitlement(env, admin);
    const good = generateKey();
    const typo = wrongCheck(generateKey());
    const r = (await admin.post(`/api/v1/entitlements/${e.id}/keys/batch`, { keys: [good, typo, "LEGACY-0001"] })).json();
    expect(r).toMatchObject({ status: "FAILURE", loaded: 0, rejected: 1 });
    expect(r.badLines[0]).toMatchObject({ line: 2, key: typo });
    expect(r.badLines[0].reason).toContain("check symbol is wrong");
    expect(r.badLines[0].reason).toContain("Settings");
    // The same in lower case without dashes, and added by hand.
    const byHand = await admin.post(`/api/v1/entitlements/${e.id}/keys`, { key: typo.toLowerCase().replace(/-/g, "") });
    expect(byHand.statusCode).toBe(400);
    expect(byHand.json()).toMatchObject({ field: "key" });
    expect((await counts(admin, e.id)).total).toBe(0);
    // Another key format in Settings: the same 25 symbols are no longer the generated shape.
    expect((await admin.patch("/api/v1/settings", { keyFormat: { groups: 6, groupLength: 5, separator: "-" } })).statusCode).toBe(
      200,
    );
    expect((await admin.post(`/api/v1/entitlements/${e.id}/keys/batch`, { keys: [typo] })).json()).toMatchObject({
      status: "SUCCESS",
      loaded: 1,
    });
  });

  it("migrates existing keys to one identity: keeps the redeemed or older key, deletes unredeemable duplicates", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await bulkEntitlement(env, admin);
    const b = await bulkEntitlement(env, admin);
    await admin.post(`/api/v1/entitlements/${a.bulk.id}/keys/batch`, { keys: ["MIG-KEY-1", "MIG-KEY-2", "MIG-KEY-3"] });
    const user = await env.as("CUSTOMER_PORTAL_USER", a.customer);
    expect((await user.post("/api/v1/redemptions", { key: "MIG-KEY-3" })).statusCode).toBe(201);
    const migrator = new Migrator({ db: env.db, provider: migrationProvider });
    expect((await migrator.migrateTo("0005_redemption_hot_rows")).error).toBeUndefined();
    // What the old code let in: the same keys in other spellings, in bulk B.
    const now = new Date().toISOString();
    for (const key of ["mig-key-1", "MIGKEY2", "mig key 3", "UNIQUE-1"])
      await sql`INSERT INTO web_register_keys (bulk_id, key, status, created_at) VALUES (${b.bulk.id}, ${key}, 'UNREDEEMED', ${now})`.execute(
        env.db,
      );
    await sql`UPDATE entitlements SET key_count = key_count + 4 WHERE id = ${b.bulk.id}`.execute(env.db);
    await migrateToLatest(env.db);
    const keysOf = async (id: string) =>
      (await admin.get(`/api/v1/entitlements/${id}/keys`)).json().items.map((k: { key: string }) => k.key);
    expect(await keysOf(a.bulk.id)).toEqual(["MIG-KEY-1", "MIG-KEY-2", "MIG-KEY-3"]);
    expect(await keysOf(b.bulk.id)).toEqual(["UNIQUE-1"]);
    expect((await counts(admin, b.bulk.id)).total).toBe(1);
    const audit = await env.db
      .selectFrom("audit_events")
      .selectAll()
      .where("object_id", "=", b.bulk.id)
      .where("action", "=", "keys.deleted")
      .execute();
    expect(audit).toHaveLength(3);
    for (const row of audit) expect(row.changes).not.toMatch(/mig.?key.?\d/i);
  });

  it("refuses to migrate two redeemed keys that become one, changing nothing and listing them", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const a = await bulkEntitlement(env, admin);
    await admin.post(`/api/v1/entitlements/${a.bulk.id}/keys/batch`, { keys: ["TWICE-REDEEMED-1"] });
    const migrator = new Migrator({ db: env.db, provider: migrationProvider });
    expect((await migrator.migrateTo("0005_redemption_hot_rows")).error).toBeUndefined();
    const now = new Date().toISOString();
    await sql`INSERT INTO web_register_keys (bulk_id, key, status, created_at) VALUES (${a.bulk.id}, 'twice-redeemed-1', 'REDEEMED', ${now})`.execute(
      env.db,
    );
    await sql`UPDATE web_register_keys SET status = 'REDEEMED'`.execute(env.db);
    await expect(migrateToLatest(env.db)).rejects.toThrow(
      /0006_key_identity.*1 pair.*TWICE…-1 \(row \d+, bulk entitlement .+\) and twice…-1/,
    );
    const cols = await sql<{ n: number }>`SELECT count(*) AS n FROM web_register_keys`.execute(env.db);
    expect(Number(cols.rows[0]?.n)).toBe(2);
    // Still at 0005: the column was not added.
    await expect(sql`SELECT key_canon FROM web_register_keys`.execute(env.db)).rejects.toThrow();
  });
});
