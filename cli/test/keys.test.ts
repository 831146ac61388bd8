import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { account, deployedBulk, deployedLicenseModel, deployedProduct } from "../../e2e/factories.js";
import { type ApiSession, login, okJson, type RunningServer, runCli, startServer, tempDir } from "../../e2e/harness.js";

/**
 * `licensor keys …` as a user runs it: the built CLI as a child process on the SQLite file of a
 * running built server (SQLite in WAL mode lets both work on it). The catalog and the bulk
 * entitlements are created through the API; the keys through the CLI, checked by the CLI, the API
 * and the file itself.
 */
describe("licensor keys", { timeout: 120_000 }, () => {
  const ADMIN = "keys-cli-admin@example.test";
  const PASSWORD = `cli-${crypto.randomBytes(9).toString("base64url")}`;
  let dir: string;
  let server: RunningServer;
  let admin: ApiSession;
  let catalog: { lmId: string; productId: string; distributor: string; customer: string };

  const cli = (args: string[]) => runCli(["keys", ...args], { LICENSOR_DATA_DIR: dir }, 60_000);

  /** A fresh DEPLOYED bulk entitlement. */
  async function newBulk(): Promise<{ id: string; entitlementId: string }> {
    const { distributor: soldTo, productId, lmId: licenseModelId } = catalog;
    return (await deployedBulk(admin, { soldTo, productId, licenseModelId })).bulk;
  }

  async function count(bulk: string): Promise<{ total: number; redeemed: number; unredeemed: number }> {
    const r = await cli(["count", "--bulk", bulk]);
    expect(r.code, r.stderr).toBe(0);
    const n = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(r.stdout)?.[1]);
    return { total: n("total"), redeemed: n("redeemed"), unredeemed: n("unredeemed") };
  }

  function writeFile(name: string, lines: string[]): string {
    const f = path.join(dir, name);
    fs.writeFileSync(f, `${lines.join("\n")}\n`);
    return f;
  }

  beforeAll(async () => {
    dir = tempDir("licensor-cli-keys-");
    // The admin first, through the CLI: the server creates its first admin only after it answers health checks.
    const created = await runCli(["admin", "create", "--email", ADMIN], {
      LICENSOR_DATA_DIR: dir,
      LICENSOR_NEW_PASSWORD: PASSWORD,
    });
    expect(created.code, created.stderr).toBe(0);
    server = await startServer({ dataDir: dir });
    admin = await login(server.url, ADMIN, PASSWORD);
    const tag = crypto.randomBytes(3).toString("hex");
    const lm = await deployedLicenseModel(admin, `CLI keys ${tag}`);
    const product = await deployedProduct(admin, { name: `CLI Box ${tag}`, licenseModelIds: [lm.id] });
    const distributor = (await account(admin, `CLI-DIST-${tag}`, `Distributor ${tag}`, "CHANNEL_PARTNER")).id as string;
    const customer = (await account(admin, `CLI-CUST-${tag}`, `Customer ${tag}`)).id as string;
    catalog = { lmId: lm.id, productId: product.id, distributor, customer };
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("--help lists keys, and keys --help lists its verbs", async () => {
    const top = await runCli(["--help"], { LICENSOR_DATA_DIR: dir });
    expect(top.stdout).toMatch(/^\s+keys\b/m);
    const r = await cli(["--help"]);
    expect(r.code).toBe(0);
    for (const verb of ["generate", "import", "export", "delete", "count", "redeem"])
      expect(r.stdout).toMatch(new RegExp(`^\\s+${verb}\\b`, "m"));
  });

  it("generate 1000: counted by the CLI and the API, audited as the system, progress lines on stderr", async () => {
    const bulk = await newBulk();
    const r = await cli(["generate", "--bulk", bulk.entitlementId, "--count", "1000"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^loaded 1000 keys into ${bulk.entitlementId} in \\d+\\.\\d s$`, "m"));
    // Not a terminal: plain lines, no bar drawing.
    expect(r.stderr).toMatch(/^generated 1000 of 1000 keys \(100%, \d+ keys\/s\)$/m);
    expect(r.stderr).not.toMatch(/\u001b\[|█|░/);

    expect(await count(bulk.entitlementId)).toEqual({ total: 1000, redeemed: 0, unredeemed: 1000 });
    expect(await count(bulk.id)).toEqual({ total: 1000, redeemed: 0, unredeemed: 1000 });
    expect(await okJson(await admin.get(`/api/v1/entitlements/${bulk.id}/keys/counts`), 200)).toEqual({
      total: 1000,
      redeemed: 0,
      unredeemed: 1000,
    });

    const db = new SQLite(path.join(dir, "licensor.sqlite"), { readonly: true });
    const audit = db
      .prepare("SELECT actor_type, actor_label FROM audit_events WHERE action = 'keys.generated' AND object_id = ?")
      .all(bulk.id);
    const keys = db.prepare("SELECT key FROM web_register_keys WHERE bulk_id = ?").pluck().all(bulk.id) as string[];
    db.close();
    expect(audit).toEqual([{ actor_type: "system", actor_label: "system" }]);
    expect(new Set(keys).size).toBe(1000);
    for (const k of keys) expect(k).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$/);
  });

  it("refuses unknown, non-bulk and inactive entitlements and a bad --count", async () => {
    const unknown = await cli(["count", "--bulk", "NO-SUCH-BULK"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("licensor: Bulk entitlement 'NO-SUCH-BULK' was not found.");

    const simple = await okJson(
      await admin.post("/api/v1/entitlements", {
        kind: "SIMPLE",
        soldTo: catalog.customer,
        lineItems: [{ products: [{ productId: catalog.productId }], licenseModelId: catalog.lmId }],
      }),
    );
    const notBulk = await cli(["generate", "--bulk", simple.entitlementId, "--count", "5"]);
    expect(notBulk.code).toBe(1);
    expect(notBulk.stderr).toContain(`Entitlement ${simple.entitlementId} is not a bulk entitlement`);

    const inactive = await newBulk();
    await okJson(await admin.post(`/api/v1/entitlements/${inactive.id}/actions/change-state`, { state: "INACTIVE" }), 200);
    const refused = await cli(["generate", "--bulk", inactive.entitlementId, "--count", "5"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("keys load only into DRAFT, TEST or DEPLOYED");
    expect(await count(inactive.entitlementId)).toMatchObject({ total: 0 });

    const bad = await cli(["generate", "--bulk", inactive.entitlementId, "--count", "0"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--count.*whole number/);
  });

  it("import is all-or-nothing with a report of the bad lines; --partial loads the good ones", async () => {
    const bulk = await newBulk();
    const tag = crypto.randomBytes(3).toString("hex").toUpperCase();
    const good = Array.from({ length: 10 }, (_, i) => `IMP-${tag}-${i}`);
    // Line 4: a forbidden character; line 9: a duplicate of line 2.
    const lines = [...good.slice(0, 3), "BAD/KEY", ...good.slice(3, 7), good[1] as string, ...good.slice(7)];
    const file = writeFile("keys.txt", lines);

    const refused = await cli(["import", "--bulk", bulk.entitlementId, file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^line 4: 'BAD\/KEY': key .+$/m);
    expect(refused.stderr).toMatch(new RegExp(`^line 9: '${good[1]}': duplicate of a key earlier in this load$`, "m"));
    expect(refused.stderr).toContain("licensor: 2 bad lines of 12; nothing was loaded.");
    expect(refused.stdout).not.toMatch(/loaded/);
    expect(await count(bulk.entitlementId)).toMatchObject({ total: 0 });

    const partial = await cli(["import", "--bulk", bulk.entitlementId, "--partial", file]);
    expect(partial.code, partial.stderr).toBe(0);
    expect(partial.stdout).toMatch(
      new RegExp(`^loaded 10 keys into ${bulk.entitlementId} in \\d+\\.\\d s \\(2 bad lines skipped`, "m"),
    );
    expect(partial.stderr).toMatch(/^line 4: /m);
    expect(partial.stderr).toMatch(/^line 9: /m);
    expect(partial.stderr).toMatch(/^imported 12 keys \(100% of the file, \d+ keys\/s\)$/m);
    expect(await count(bulk.entitlementId)).toEqual({ total: 10, redeemed: 0, unredeemed: 10 });

    // Loaded again, every key already exists: refused whole, even with --partial.
    const again = await cli(["import", "--bulk", bulk.entitlementId, "--partial", "--format", "text", file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(new RegExp(`^line 1: '${good[0]}': already exists$`, "m"));
    expect(await count(bulk.entitlementId)).toMatchObject({ total: 10 });
  });

  it("import prints the first 50 bad lines then how many more, reads XML and CSV, and names an unreadable line", async () => {
    const bulk = await newBulk();
    const many = writeFile(
      "many.txt",
      Array.from({ length: 60 }, (_, i) => `BAD(${i})`),
    );
    const r = await cli(["import", "--bulk", bulk.entitlementId, many]);
    expect(r.code).toBe(1);
    expect(r.stderr.match(/^line \d+: /gm)).toHaveLength(50);
    expect(r.stderr).toMatch(/^line 50: 'BAD\(49\)': /m);
    expect(r.stderr).toContain("… and 10 more");

    const tag = crypto.randomBytes(3).toString("hex").toUpperCase();
    const xml = path.join(dir, "keys.xml");
    fs.writeFileSync(
      xml,
      `<?xml version="1.0" encoding="UTF-8"?>\n<webregkeys>\n<webregkey>X-${tag}-1</webregkey>\n<webregkey>X-${tag}-2</webregkey>\n</webregkeys>\n`,
    );
    const x = await cli(["import", "--bulk", bulk.entitlementId, xml]);
    expect(x.code, x.stderr).toBe(0);
    expect(x.stdout).toMatch(/^loaded 2 keys into/m);
    const csv = writeFile("keys.csv", ["note,key", `a,C-${tag}-1`, `b,C-${tag}-2`, `c,C-${tag}-3`]);
    const c = await cli(["import", "--bulk", bulk.entitlementId, csv]);
    expect(c.code, c.stderr).toBe(0);
    expect(await count(bulk.entitlementId)).toMatchObject({ total: 5 });

    const broken = writeFile("broken.xml", ["<webregkeys>", "<webregkey>A</webregkey>", "<other/>", "</webregkeys>"]);
    const b = await cli(["import", "--bulk", bulk.entitlementId, broken]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/broken\.xml: line 3: unexpected element <other>.*nothing was loaded/);
    const missing = await cli(["import", "--bulk", bulk.entitlementId, path.join(dir, "nope.txt")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.txt: no such file/);
    expect(await count(bulk.entitlementId)).toMatchObject({ total: 5 });
  });

  it("export writes CSV with a header and one row per key, to a file or stdout", async () => {
    const bulk = await newBulk();
    expect((await cli(["generate", "--bulk", bulk.entitlementId, "--count", "1000"])).code).toBe(0);
    const out = path.join(dir, "export.csv");
    const r = await cli(["export", "--bulk", bulk.entitlementId, "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^exported 1000 keys of ${bulk.entitlementId} to .*export\\.csv in \\d+\\.\\d s$`, "m"));
    expect(r.stderr).toMatch(/^exported 1000 of 1000 keys \(100%, \d+ keys\/s\)$/m);
    const lines = fs.readFileSync(out, "utf8").trimEnd().split("\n");
    expect(lines[0]).toBe("key,status,created_at,redeemed_at,redeemed_by,sold_to,owner,entitlement_id");
    expect(lines).toHaveLength(1001);
    expect(new Set(lines.slice(1).map((l) => l.split(",")[0])).size).toBe(1000);
    for (const l of lines.slice(1)) expect(l).toMatch(/^[0-9A-Z-]{29},UNREDEEMED,\d{4}-\d\d-\d\dT/);
    if (process.platform !== "win32") expect(fs.statSync(out).mode & 0o077).toBe(0);

    const stdout = await cli(["export", "--bulk", bulk.entitlementId, "--status", "UNREDEEMED"]);
    expect(stdout.code, stdout.stderr).toBe(0);
    expect(stdout.stdout.trimEnd().split("\n")).toHaveLength(1001);
    expect(stdout.stderr).toMatch(/^exported 1000 keys of /m);
    const redeemed = await cli(["export", "--bulk", bulk.entitlementId, "--status", "REDEEMED"]);
    expect(redeemed.stdout.trimEnd().split("\n")).toEqual([lines[0]]);
    const badStatus = await cli(["export", "--bulk", bulk.entitlementId, "--status", "USED"]);
    expect(badStatus.code).toBe(1);

    const db = new SQLite(path.join(dir, "licensor.sqlite"), { readonly: true });
    const audits = db
      .prepare("SELECT actor_label FROM audit_events WHERE action = 'keys.exported' AND object_id = ?")
      .pluck()
      .all(bulk.id);
    db.close();
    expect(audits).toEqual(["system", "system", "system"]);
  });

  it("delete removes listed keys or --all unredeemed ones, and refuses unknown keys whole", async () => {
    const bulk = await newBulk();
    const tag = crypto.randomBytes(3).toString("hex").toUpperCase();
    const keys = Array.from({ length: 6 }, (_, i) => `DEL-${tag}-${i}`);
    expect((await cli(["import", "--bulk", bulk.entitlementId, writeFile("del.txt", keys)])).code).toBe(0);

    const two = await cli(["delete", "--bulk", bulk.entitlementId, keys[0] as string, keys[1] as string]);
    expect(two.code, two.stderr).toBe(0);
    expect(two.stdout).toMatch(new RegExp(`^deleted 2 unredeemed keys from ${bulk.entitlementId}`, "m"));
    expect(await count(bulk.entitlementId)).toEqual({ total: 4, redeemed: 0, unredeemed: 4 });

    const unknown = await cli(["delete", "--bulk", bulk.entitlementId, keys[2] as string, "NOT-A-KEY"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("nothing was deleted");
    expect(unknown.stderr).toContain("'NOT-A-KEY' is not a key of this bulk entitlement");
    expect(await count(bulk.entitlementId)).toMatchObject({ total: 4 });

    const neither = await cli(["delete", "--bulk", bulk.entitlementId]);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toMatch(/--all/);
    const both = await cli(["delete", "--bulk", bulk.entitlementId, "--all", keys[2] as string]);
    expect(both.code).toBe(1);
    expect(await count(bulk.entitlementId)).toMatchObject({ total: 4 });

    const all = await cli(["delete", "--bulk", bulk.entitlementId, "--all"]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^deleted 4 unredeemed keys from /m);
    expect(await count(bulk.entitlementId)).toEqual({ total: 0, redeemed: 0, unredeemed: 0 });
  });

  it("redeem registers a key for an account once, answers the same account the same, and refuses others", async () => {
    const bulk = await newBulk();
    expect((await cli(["generate", "--bulk", bulk.entitlementId, "--count", "2"])).code).toBe(0);
    const db = new SQLite(path.join(dir, "licensor.sqlite"), { readonly: true });
    const [key, other] = db
      .prepare("SELECT key FROM web_register_keys WHERE bulk_id = ? ORDER BY id")
      .pluck()
      .all(bulk.id) as string[];
    db.close();
    const customer = catalog.customer;

    // Typed as a customer might: lower case, no dashes.
    const typed = (key as string).toLowerCase().replace(/-/g, " ");
    const first = await cli(["redeem", typed, "--sold-to", customer, "--owner", "Ada"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`redeemed into entitlement ${key}ENT (DEPLOYED) for ${customer}`);
    expect(first.stdout).toMatch(new RegExp(`^activation ID: ${key}$`, "m"));

    const again = await cli(["redeem", key as string, "--sold-to", customer, "--json"]);
    expect(again.code, again.stderr).toBe(0);
    const answer = JSON.parse(again.stdout);
    expect(answer).toMatchObject({ created: false, entitlement: { entitlementId: `${key}ENT`, soldTo: customer } });
    // The API sees the same entitlement, under the bulk it came from.
    const viaApi = await okJson(await admin.get(`/api/v1/entitlements/${answer.entitlement.id}`), 200);
    expect(viaApi).toMatchObject({ parentBulkId: bulk.id, lineItems: [{ activationId: key, state: "DEPLOYED" }] });

    // Someone else learns nothing; a typo is caught before any lookup; the account must exist.
    const stranger = await cli(["redeem", key as string, "--sold-to", catalog.distributor]);
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toContain("licensor: This key is not valid, or it has already been registered by someone else.");
    const typo = await cli([
      "redeem",
      `${(other as string).slice(0, -1)}${(other as string).endsWith("0") ? "1" : "0"}`,
      "--sold-to",
      customer,
    ]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/^licensor: key: /m);
    const nobody = await cli(["redeem", other as string, "--sold-to", "NO-SUCH-ACCOUNT"]);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain("soldTo: account 'NO-SUCH-ACCOUNT' does not exist");
    expect(await count(bulk.entitlementId)).toEqual({ total: 2, redeemed: 1, unredeemed: 1 });

    const check = new SQLite(path.join(dir, "licensor.sqlite"), { readonly: true });
    const audit = check
      .prepare("SELECT actor_type FROM audit_events WHERE action = 'key.redeemed' AND object_id = ?")
      .pluck()
      .all(bulk.id);
    const owner = check.prepare("SELECT owner FROM web_register_keys WHERE key = ?").pluck().get(key);
    check.close();
    expect(audit).toEqual(["system"]);
    expect(owner).toBe("Ada");
  });
});
