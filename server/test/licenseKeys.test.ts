import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type LicenseClaims, verifyLicense } from "../../verifier/src/index.js";
import { systemContext } from "../src/actor.js";
import { licenseKeyRotator } from "../src/commands/licenseKeyRotator.js";
import { ConfigError, loadConfig } from "../src/config.js";
import { activeSigner, ensureSigningKey, listSigningKeys, signerOf, signLicense } from "../src/licensing/keyring.js";
import { currentKek, SECRET_FILE } from "../src/licensing/secret.js";
import { describeEachDb } from "./helpers.js";

const claims = (fulfillmentId: string): LicenseClaims => ({
  format: "licensor-license/1",
  issuer: "Test Producer",
  issuedAt: new Date().toISOString(),
  fulfillmentId,
  activationId: "ACT-1",
  entitlementId: "ENT-1",
  product: { name: "Designer", version: "2.0" },
  features: [{ name: "design", version: "2.0", count: null }],
  hosts: [{ type: "STRING", id: "build-box" }],
  count: 1,
  start: "2026-01-01",
  expiry: null,
  versionDate: null,
  licenseModel: { name: "NL", type: "NODE_LOCKED_UNCOUNTED" },
  attributes: {},
});

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "licensor-keys-"));

describeEachDb("license signing keys", (env) => {
  const config = () => env.app.deps.config;

  it("creates one key at first start, sealed at rest, and publishes it to anyone as a JWKS and at the well-known address", async () => {
    expect((await env.caller(null).get("/api/v1/license-keys")).json()).toEqual({ keys: [] });
    const first = await ensureSigningKey(env.db, config());
    expect(first.created?.kid).toBe(first.active.kid);
    expect(first.problem).toBeNull();
    // Several processes starting at once: still exactly one key.
    const again = await Promise.all([1, 2, 3].map(() => ensureSigningKey(env.db, config())));
    expect(again.map((r) => r.created)).toEqual([null, null, null]);
    expect(again.every((r) => r.active.kid === first.active.kid)).toBe(true);

    const res = await env.caller(null).get("/api/v1/license-keys");
    expect(res.statusCode).toBe(200);
    const row = (await listSigningKeys(env.db))[0]!;
    expect(res.json()).toEqual({
      keys: [
        {
          kty: "OKP",
          crv: "Ed25519",
          alg: "EdDSA",
          use: "sig",
          kid: row.kid,
          x: row.public_x,
          status: "active",
          createdAt: row.created_at,
          retiredAt: null,
        },
      ],
    });
    const known = await env.caller(null).get("/.well-known/licensor-keys.json");
    expect(known.statusCode).toBe(200);
    expect(known.json()).toEqual(res.json());
    expect(known.headers["cache-control"]).toBe("public, max-age=300");

    // At rest the private half is AES-256-GCM ciphertext, never the PKCS #8 key itself.
    const der = signerOf(row, currentKek(config(), false)!).privateKey.export({ format: "der", type: "pkcs8" });
    const stored = Buffer.from(row.private_enc.split(".")[1]!, "base64url");
    expect(stored.includes(der.subarray(16))).toBe(false);
    expect(row.private_enc.split(".")).toHaveLength(3);
    const secretFile = path.join(config().dataDir, SECRET_FILE);
    expect(fs.statSync(secretFile).mode & 0o777).toBe(0o600);
    const audit = await env.db.selectFrom("audit_events").selectAll().where("object_id", "=", row.kid).execute();
    expect(audit.map((a) => [a.action, a.actor_type])).toEqual([["licenseKey.created", "system"]]);
    expect(audit[0]!.changes).not.toContain(row.private_enc);
  });

  it("rotation (producer admins only, audited): new licenses name the new key; old ones verify with the retired key", async () => {
    const { active: old } = await ensureSigningKey(env.db, config());
    const before = signLicense(claims("FID_OLD"), await activeSigner(env.db, config()));

    for (const role of ["PRODUCER_OPERATIONS", "PRODUCER_VIEWER", "CUSTOMER_PORTAL_ADMIN", "PARTNER_PORTAL_ADMIN"] as const) {
      const res = await (await env.as(role)).post("/api/v1/license-keys/actions/rotate");
      expect(res.statusCode, role).toBe(403);
    }
    expect((await env.caller(null).post("/api/v1/license-keys/actions/rotate")).statusCode).toBe(401);
    expect((await listSigningKeys(env.db)).length).toBe(1);

    const admin = await env.as("PRODUCER_ADMIN");
    const res = await admin.post("/api/v1/license-keys/actions/rotate");
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.retired).toMatchObject({ kid: old.kid, status: "retired", retiredAt: expect.any(String) });
    expect(body.active).toMatchObject({ status: "active", retiredAt: null });
    expect(body.active.kid).not.toBe(old.kid);

    const after = signLicense(claims("FID_NEW"), await activeSigner(env.db, config()));
    expect(after).toContain(body.active.kid);
    const jwks = (await env.caller(null).get("/api/v1/license-keys")).json();
    expect(jwks.keys.map((k: { kid: string; status: string }) => [k.kid, k.status])).toEqual([
      [body.active.kid, "active"],
      [old.kid, "retired"],
    ]);
    for (const [file, fid] of [
      [before, "FID_OLD"],
      [after, "FID_NEW"],
    ] as const) {
      const r = verifyLicense(file, { publicKeys: jwks, host: "build-box" });
      expect(r).toMatchObject({ valid: true, code: "VALID" });
      expect(r.claims?.fulfillmentId).toBe(fid);
    }

    const audit = await env.db
      .selectFrom("audit_events")
      .select(["action", "object_id", "actor_type", "request_id"])
      .where("action", "in", ["licenseKey.retired", "licenseKey.created"])
      .where("actor_type", "=", "token")
      .execute();
    expect(audit.map((a) => [a.action, a.object_id]).sort()).toEqual(
      [
        ["licenseKey.created", body.active.kid],
        ["licenseKey.retired", old.kid],
      ].sort(),
    );
    expect(new Set(audit.map((a) => a.request_id)).size).toBe(1);
  });

  it("concurrent rotations leave exactly one active key, every old one retired", async () => {
    await ensureSigningKey(env.db, config());
    const admin = await env.as("PRODUCER_ADMIN");
    const results = await Promise.all([1, 2, 3].map(() => admin.post("/api/v1/license-keys/actions/rotate")));
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    const rows = await listSigningKeys(env.db);
    expect(rows).toHaveLength(4);
    expect(rows.filter((r) => r.status === "ACTIVE")).toHaveLength(1);
    expect(rows.filter((r) => r.status === "RETIRED" && r.retired_at !== null)).toHaveLength(3);
  });

  it("another secret cannot open the keys and says so; setting the variable moves the data folder's keys under it", async () => {
    const dataDir = tempDir();
    try {
      const embedded = { dataDir, signingKeySecret: undefined };
      const { active } = await ensureSigningKey(env.db, embedded);
      const license = signLicense(claims("FID_1"), await activeSigner(env.db, embedded));

      const other = { dataDir: tempDir(), signingKeySecret: "x".repeat(40) };
      await expect(activeSigner(env.db, other)).rejects.toThrow(/sealed under another secret.*LICENSOR_SIGNING_KEY_SECRET/);
      const refused = await env.as("PRODUCER_ADMIN");
      // The app's own config has yet another secret file; a rotation from it would strand the other processes.
      const cfg = env.app.deps.config;
      env.app.deps.config = { ...cfg, ...other };
      const res = await refused.post("/api/v1/license-keys/actions/rotate");
      env.app.deps.config = cfg;
      expect(res.statusCode).toBe(409);
      expect(res.json().detail).toContain("LICENSOR_SIGNING_KEY_SECRET");
      fs.rmSync(other.dataDir, { recursive: true, force: true });

      // The same data folder with the variable set: the key moves under the variable at the next start.
      const moved = { dataDir, signingKeySecret: crypto.randomBytes(32).toString("base64") };
      const r = await ensureSigningKey(env.db, moved);
      expect(r.rewrapped).toEqual([active.kid]);
      expect(r.problem).toBeNull();
      const signer = await activeSigner(env.db, moved);
      expect(signer.kid).toBe(active.kid);
      const jwks = {
        keys: (await listSigningKeys(env.db)).map((k) => ({ kty: "OKP", crv: "Ed25519", kid: k.kid, x: k.public_x })),
      };
      expect(verifyLicense(license, { publicKeys: jwks as never, host: "build-box" }).code).toBe("VALID");
      expect(verifyLicense(signLicense(claims("FID_2"), signer), { publicKeys: jwks as never, host: "build-box" }).code).toBe(
        "VALID",
      );
      const audit = await env.db.selectFrom("audit_events").select("action").where("object_id", "=", active.kid).execute();
      expect(audit.map((a) => a.action)).toContain("licenseKey.resealed");

      // A stored key that was altered is refused in words, not used.
      const { active: next } = await licenseKeyRotator(env.db, systemContext(), moved);
      const [iv, data, tag] = next.private_enc.split(".") as [string, string, string];
      const flipped = Buffer.from(data, "base64url");
      flipped[0] = (flipped[0] as number) ^ 1;
      await env.db
        .updateTable("signing_keys")
        .set({ private_enc: [iv, flipped.toString("base64url"), tag].join(".") })
        .where("id", "=", next.id)
        .execute();
      await expect(activeSigner(env.db, moved)).rejects.toThrow(`signing key ${next.kid} cannot be decrypted`);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("LICENSOR_SIGNING_KEY_SECRET", () => {
  it("is read as given, and a short one is refused without showing it", () => {
    const secret = "s".repeat(32);
    expect(loadConfig({ LICENSOR_SIGNING_KEY_SECRET: secret }).signingKeySecret).toBe(secret);
    expect(loadConfig({}).signingKeySecret).toBeUndefined();
    try {
      loadConfig({ LICENSOR_SIGNING_KEY_SECRET: "too-short-secret" });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([
        "LICENSOR_SIGNING_KEY_SECRET must be at least 32 characters (got a value not shown here)",
      ]);
    }
  });
});
