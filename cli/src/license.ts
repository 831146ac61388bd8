import fs from "node:fs";
import type { Command } from "commander";
import { systemContext } from "../../server/src/actor.js";
import { licenseKeyRotator } from "../../server/src/commands/licenseKeyRotator.js";
import { loadConfig } from "../../server/src/config.js";
import { migrateToLatest, openDatabase } from "../../server/src/db/connect.js";
import { listSigningKeys } from "../../server/src/licensing/keyring.js";
import { presentLicenseKey } from "../../server/src/presenters/licenseKeys.js";
import {
  HOST_TYPES,
  type HostId,
  type HostType,
  type Jwks,
  VERIFY_CODES,
  verifyLicense,
  writeActivationRequest,
} from "../../verifier/src/index.js";

/** Exit code of `license verify` when the license does not verify (1 stays for errors: unreadable file, bad option). */
export const NOT_VALID_EXIT = 2;

/**
 * `licensor license …`: the signing keys (list, rotate) against the database named by the
 * environment, run as the system actor; and `verify`, which checks a license file as the
 * producer's application would (@licensor/verifier), against a key set from a file, a server or
 * the local database.
 */
export function registerLicenseCommands(program: Command): void {
  const license = program
    .command("license")
    .description("Signed licenses: verify a license file; write an offline activation request; list and rotate the signing keys");

  license
    .command("request")
    .description(
      "Write an offline activation request file for an air-gapped machine: carry it to a machine that reaches the portal and upload it there (docs/LICENSE-FORMAT.md §8)",
    )
    .argument("<activation-id>", "the line item to activate")
    .requiredOption(
      "--host <id>",
      "a host ID of this machine, TYPE:id or a bare id of --host-type (repeat for several hosts)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option("--host-type <type>", `the type of bare host IDs: ${HOST_TYPES.join(", ")}`, "STRING")
    .option("--out <file>", "write the request to this file (default: print it)")
    .action((activationId: string, opts: { host: string[]; hostType: string; out?: string }) => {
      const text = activationRequestText(activationId, opts.host, opts.hostType);
      if (!opts.out) {
        process.stdout.write(text);
        return;
      }
      try {
        fs.writeFileSync(opts.out, text, { flag: "wx" });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new Error(
          `--out ${opts.out}: ${code === "EEXIST" ? "the file exists; choose another name" : (err as Error).message}`,
        );
      }
      console.error(`activation request written to ${opts.out}: upload it in the portal (Licenses > Upload request)`);
    });

  license
    .command("verify")
    .description(
      `Verify a license file for a host: exit 0 when valid, ${NOT_VALID_EXIT} with the code and why when not (${VERIFY_CODES.filter((c) => c !== "VALID").join(", ")})`,
    )
    .argument("<file>", "the license file")
    .requiredOption("--host <id>", "this machine's host ID: TYPE:id (e.g. ETHERNET:00:1A:2B:3C:4D:5E) or a bare id")
    .option("--public-keys <file>", "the public keys: the JWKS of GET /api/v1/license-keys")
    .option("--server <url>", "fetch the public keys from this Licensor server (when --public-keys is not given)")
    .option("--product <name>", "the license must be for this product (name, or name@version)")
    .option("--feature <name>", "the license must hold this feature (name, or name@minimum-version)")
    .option("--now <time>", "check at this time instead of now (ISO date or timestamp)")
    .option("--clock-skew <seconds>", "allowance for a wrong clock (default 300)")
    .option("--json", "print the whole result as JSON")
    .action(
      async (
        file: string,
        opts: {
          host: string;
          publicKeys?: string;
          server?: string;
          product?: string;
          feature?: string;
          now?: string;
          clockSkew?: string;
          json?: boolean;
        },
      ) => {
        let text: string;
        try {
          text = fs.readFileSync(file, "utf8");
        } catch (err) {
          throw new Error(
            `${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`,
          );
        }
        if (opts.now !== undefined && Number.isNaN(Date.parse(opts.now)))
          throw new Error("--now must be an ISO date or timestamp");
        if (opts.clockSkew !== undefined && !/^\d+(\.\d+)?$/.test(opts.clockSkew))
          throw new Error("--clock-skew must be a number of seconds ≥ 0");
        const publicKeys = await keySet(opts);
        const result = verifyLicense(text, {
          publicKeys,
          host: opts.host,
          ...(opts.now !== undefined ? { now: opts.now } : {}),
          ...(opts.clockSkew !== undefined ? { clockSkewSeconds: Number(opts.clockSkew) } : {}),
          ...(opts.product ? { product: nameAt(opts.product) } : {}),
          ...(opts.feature ? { feature: nameAt(opts.feature) } : {}),
        });
        if (opts.json) console.log(JSON.stringify(result, null, 2));
        if (result.valid) {
          if (!opts.json) console.log(`VALID: ${result.detail}`);
          return;
        }
        if (!opts.json) console.error(`licensor: ${result.code}: ${result.detail}`);
        process.exitCode = NOT_VALID_EXIT;
      },
    );

  const keys = license.command("keys").description("The license signing keys");
  keys
    .command("list")
    .description("List the signing keys (the active one first); --json prints the public key set to give verifiers")
    .option("--json", "print the JWKS, as GET /api/v1/license-keys answers it")
    .action(async (opts: { json?: boolean }) => {
      await withDb(async (db) => {
        const rows = (await listSigningKeys(db)).map(presentLicenseKey);
        if (opts.json) {
          console.log(JSON.stringify({ keys: rows }, null, 2));
          return;
        }
        if (rows.length === 0) {
          console.log("no signing key yet: one is created at the first `licensor serve`, or by `licensor license keys rotate`");
          return;
        }
        for (const k of rows)
          console.log(`${k.kid}  ${k.status.padEnd(7)}  created ${k.createdAt}${k.retiredAt ? `  retired ${k.retiredAt}` : ""}`);
      });
    });
  keys
    .command("rotate")
    .description("Make a new signing key the active one; the old one is retired and keeps verifying what it signed")
    .action(async () => {
      const config = loadConfig();
      await withDb(async (db) => {
        const r = await licenseKeyRotator(db, systemContext(), config);
        console.log(`active key: ${r.active.kid}`);
        console.log(
          r.retired ? `retired key: ${r.retired.kid} (still verifies the licenses it signed)` : "no key was active before",
        );
        console.log("give verifiers the new key set: licensor license keys list --json");
      });
    });
}

/**
 * The text of an offline activation request: hosts given as `TYPE:id` (a known type) or a bare id
 * of `hostType`; a bad one is refused naming the option.
 */
export function activationRequestText(activationId: string, hosts: string[], hostType = "STRING"): string {
  if (!(HOST_TYPES as readonly string[]).includes(hostType))
    throw new Error(`--host-type must be one of ${HOST_TYPES.join(", ")} (got '${hostType}')`);
  const parsed: HostId[] = hosts.map((h) => {
    const colon = h.indexOf(":");
    const prefix = colon > 0 ? h.slice(0, colon) : "";
    if ((HOST_TYPES as readonly string[]).includes(prefix)) return { type: prefix as HostType, id: h.slice(colon + 1) };
    return { type: hostType as HostType, id: h };
  });
  try {
    return writeActivationRequest({ activationId, hosts: parsed });
  } catch (err) {
    const e = err as { field?: string; message: string };
    const m = e.message.replace(/^[^:]*: /, "");
    if (e.field?.startsWith("hosts")) throw new Error(`--host: ${e.field} ${m}`);
    if (e.field === "activationId") throw new Error(`activation ID ${m}`);
    throw err;
  }
}

/** `name` or `name@version`. */
function nameAt(v: string): { name: string; version?: string } {
  const at = v.lastIndexOf("@");
  return at > 0 ? { name: v.slice(0, at), version: v.slice(at + 1) } : { name: v };
}

/** The key set to verify with: the file, else the server's, else the local database's. */
async function keySet(opts: { publicKeys?: string; server?: string }): Promise<Jwks> {
  if (opts.publicKeys) {
    let text: string;
    try {
      text = fs.readFileSync(opts.publicKeys, "utf8");
    } catch (err) {
      throw new Error(`--public-keys ${opts.publicKeys}: ${(err as Error).message}`);
    }
    try {
      const set = JSON.parse(text);
      if (!Array.isArray(set?.keys)) throw new Error("no keys");
      return set as Jwks;
    } catch {
      throw new Error(`--public-keys ${opts.publicKeys}: not a key set (the JSON of GET /api/v1/license-keys)`);
    }
  }
  if (opts.server) {
    let url: URL;
    try {
      url = new URL("/api/v1/license-keys", opts.server);
    } catch {
      throw new Error(`--server must be a URL such as https://licensor.example.com (got '${opts.server}')`);
    }
    let res: Response;
    try {
      res = await fetch(url, { headers: { accept: "application/json" } });
    } catch (err) {
      throw new Error(`--server: cannot reach ${url.origin}: ${(err as Error).message}`);
    }
    if (!res.ok) throw new Error(`--server: ${url} answered ${res.status}`);
    return (await res.json()) as Jwks;
  }
  return withDb(async (db) => ({ keys: (await listSigningKeys(db)).map(presentLicenseKey) }));
}

async function withDb<T>(fn: (db: ReturnType<typeof openDatabase>["db"]) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const h = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize });
  try {
    await migrateToLatest(h.db);
    return await fn(h.db);
  } finally {
    await h.close();
  }
}
