import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startServer, tempDir } from "../../e2e/harness.js";
import { openDatabase } from "../../server/src/db/connect.js";
import { activeSigner, signLicense } from "../../server/src/licensing/keyring.js";
import type { LicenseClaims } from "../../verifier/src/index.js";

/**
 * `licensor license …` as a user runs it (the built CLI): the keys are made by the CLI, a license is
 * signed with the signing module (activation is not built yet), and `verify` checks it with the keys
 * from the local database, a key file and a running server.
 */
describe("licensor license", () => {
  const dir = tempDir("licensor-license-");
  const env = { LICENSOR_DATA_DIR: dir };
  const at = (name: string) => path.join(dir, name);
  let licenseFile: string;
  let oldLicense: string;

  const claims = (fulfillmentId: string): LicenseClaims => ({
    format: "licensor-license/1",
    issuer: "Producer",
    issuedAt: new Date().toISOString(),
    fulfillmentId,
    activationId: "ACT-CLI",
    entitlementId: "ENT-CLI",
    product: { name: "Designer", version: "2.0" },
    features: [{ name: "render", version: "2.1", count: 3 }],
    hosts: [{ type: "ETHERNET", id: "00:1A:2B:3C:4D:5E" }],
    count: 1,
    start: "2026-01-01",
    expiry: "2030-01-01",
    versionDate: null,
    licenseModel: { name: "NL", type: "NODE_LOCKED_UNCOUNTED" },
    attributes: {},
  });

  /** Signs with the data folder's active key, as the server's activation will. */
  async function sign(fid: string): Promise<string> {
    const h = openDatabase({ dataDir: dir });
    try {
      return signLicense(claims(fid), await activeSigner(h.db, { dataDir: dir, signingKeySecret: undefined }));
    } finally {
      await h.close();
    }
  }

  beforeAll(async () => {
    const first = await runCli(["license", "keys", "rotate"], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("no key was active before");
    oldLicense = at("old.lic");
    fs.writeFileSync(oldLicense, await sign("FID_OLD"));
    const second = await runCli(["license", "keys", "rotate"], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/retired key: \S+/);
    licenseFile = at("new.lic");
    fs.writeFileSync(licenseFile, await sign("FID_NEW"));
  }, 120_000);
  const empty = tempDir("licensor-empty-");
  afterAll(() => {
    for (const d of [dir, empty]) fs.rmSync(d, { recursive: true, force: true });
  });

  it("keys list shows the active key first; --json is the key set verifiers need", async () => {
    const list = await runCli(["license", "keys", "list"], env);
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\S{43} {2}active /);
    expect(lines[1]).toMatch(/^\S{43} {2}retired .* retired /);
    const json = await runCli(["license", "keys", "list", "--json"], env);
    const set = JSON.parse(json.stdout);
    expect(set.keys.map((k: { status: string }) => k.status)).toEqual(["active", "retired"]);
    expect(json.stdout).not.toMatch(/private|enc/i);
    fs.writeFileSync(at("keys.json"), json.stdout);
  });

  it("verify: exit 0 for the licensed host (local keys or a key file), 2 with the code for another host or a changed file", async () => {
    for (const keys of [[], ["--public-keys", at("keys.json")]]) {
      for (const host of ["00:1a:2b:3c:4d:5e", "ETHERNET:001A2B3C4D5E"]) {
        const ok = await runCli(["license", "verify", licenseFile, "--host", host, ...keys], env);
        expect(ok.code, ok.stderr).toBe(0);
        expect(ok.stdout).toMatch(/^VALID: /);
      }
      // A license of the retired key still verifies.
      expect((await runCli(["license", "verify", oldLicense, "--host", "001a2b3c4d5e", ...keys], env)).code).toBe(0);
      const other = await runCli(["license", "verify", licenseFile, "--host", "00:1A:2B:3C:4D:5F", ...keys], env);
      expect(other.code).toBe(2);
      expect(other.stderr).toMatch(/^licensor: WRONG_HOST: the license is for ETHERNET 00:1A:2B:3C:4D:5E/);
    }
    const text = fs.readFileSync(licenseFile, "utf8");
    const block = text.slice(text.indexOf("-----BEGIN"));
    const sig = block.lastIndexOf(".") + 5;
    const tampered = at("tampered.lic");
    fs.writeFileSync(
      tampered,
      text.replace(block, block.slice(0, sig) + (block[sig] === "A" ? "B" : "A") + block.slice(sig + 1)),
    );
    const bad = await runCli(["license", "verify", tampered, "--host", "001a2b3c4d5e"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/BAD_SIGNATURE|MALFORMED/);

    const checks: [string[], number, RegExp][] = [
      [["--product", "Designer@2.0", "--feature", "render@2.0"], 0, /VALID/],
      [["--product", "Viewer"], 2, /WRONG_PRODUCT/],
      [["--feature", "render@3"], 2, /FEATURE_MISSING/],
      [["--now", "2030-01-02"], 2, /EXPIRED/],
      [["--now", "2025-12-31"], 2, /NOT_YET_VALID/],
    ];
    for (const [args, code, out] of checks) {
      const r = await runCli(["license", "verify", licenseFile, "--host", "001a2b3c4d5e", ...args], env);
      expect(r.code, args.join(" ")).toBe(code);
      expect(r.stdout + r.stderr).toMatch(out);
    }
    const json = await runCli(["license", "verify", licenseFile, "--host", "elsewhere", "--json"], env);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, code: "WRONG_HOST", claims: { fulfillmentId: "FID_NEW" } });
  }, 120_000);

  it("verify refuses a missing file or key file with exit 1, in words", async () => {
    const r = await runCli(["license", "verify", at("nope.lic"), "--host", "x"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no such file");
    const k = await runCli(["license", "verify", licenseFile, "--host", "x", "--public-keys", licenseFile], env);
    expect(k.code).toBe(1);
    expect(k.stderr).toContain("--public-keys");
    const noHost = await runCli(["license", "verify", licenseFile], env);
    expect(noHost.code).not.toBe(0);
    expect(noHost.stderr).toContain("--host");
  });

  it("verify --server fetches the key set from a running server, which publishes the same keys", async () => {
    const server = await startServer({ dataDir: dir });
    try {
      // Another data folder: the keys can only come from the server.
      const r = await runCli(["license", "verify", licenseFile, "--host", "001a2b3c4d5e", "--server", server.url], {
        LICENSOR_DATA_DIR: empty,
      });
      expect(r.code, r.stderr).toBe(0);
      const published = await (await fetch(`${server.url}/.well-known/licensor-keys.json`)).json();
      expect(published).toEqual(JSON.parse(fs.readFileSync(at("keys.json"), "utf8")));
    } finally {
      await server.stop();
    }
  }, 120_000);

  it("the first start of a server creates the signing key, its secret file owner-only", async () => {
    const fresh = tempDir("licensor-first-");
    try {
      const server = await startServer({ dataDir: fresh });
      try {
        const set = await (await fetch(`${server.url}/api/v1/license-keys`)).json();
        expect(set.keys).toHaveLength(1);
        expect(set.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", status: "active", retiredAt: null });
        expect(fs.statSync(path.join(fresh, "signing-key-secret")).mode & 0o777).toBe(0o600);
      } finally {
        await server.stop();
      }
      // A restart keeps the same key.
      const again = await startServer({ dataDir: fresh });
      try {
        const set = await (await fetch(`${again.url}/.well-known/licensor-keys.json`)).json();
        expect(set.keys).toHaveLength(1);
      } finally {
        await again.stop();
      }
    } finally {
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  }, 120_000);
});
