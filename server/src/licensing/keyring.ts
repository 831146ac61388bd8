import crypto from "node:crypto";
import type { Selectable } from "kysely";
import { encodeLicense, keyIdOf, type LicenseClaims, publicX, signClaims } from "../../../verifier/src/index.js";
import { type RequestContext, systemContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isUniqueViolation } from "../db/constraints.js";
import type { Db, SigningKeysTable, Trx } from "../db/schema.js";
import { newId, nowIso } from "../util.js";
import { currentKek, fileKek, type Kek, type SecretConfig, seal, unseal } from "./secret.js";

export type SigningKeyRow = Selectable<SigningKeysTable>;

/** A decrypted signing key, ready to sign. */
export interface Signer {
  kid: string;
  privateKey: crypto.KeyObject;
}

/** A fresh Ed25519 key pair as a row, its private half sealed under `kek`. */
export function newSigningKeyRow(kek: Kek, now = nowIso()): SigningKeyRow {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ed25519");
  const x = publicX(publicKey);
  const kid = keyIdOf(x);
  return {
    id: newId(),
    kid,
    algorithm: "Ed25519",
    public_x: x,
    private_enc: seal(kek, kid, privateKey.export({ format: "der", type: "pkcs8" })),
    kek_id: kek.id,
    status: "ACTIVE",
    created_at: now,
    retired_at: null,
  };
}

/** What the audit log keeps of a key: its public facts, never the sealed private half. */
export const auditedKey = (r: SigningKeyRow) => ({
  kid: r.kid,
  algorithm: r.algorithm,
  status: r.status,
  createdAt: r.created_at,
  retiredAt: r.retired_at,
});

/** Every signing key, the newest first (the active one, then the retired ones). */
export async function listSigningKeys(db: Db | Trx): Promise<SigningKeyRow[]> {
  return db.selectFrom("signing_keys").selectAll().orderBy("created_at", "desc").orderBy("id", "desc").execute();
}

export async function activeSigningKey(db: Db | Trx): Promise<SigningKeyRow | undefined> {
  return db.selectFrom("signing_keys").selectAll().where("status", "=", "ACTIVE").executeTakeFirst();
}

export interface EnsureResult {
  active: SigningKeyRow;
  /** The key created by this call (first start), or null when one was there. */
  created: SigningKeyRow | null;
  /** Keys moved from the data folder's secret to LICENSOR_SIGNING_KEY_SECRET. */
  rewrapped: string[];
  /** Why this process cannot sign with the active key (another secret), or null when it can. */
  problem: string | null;
}

/**
 * Run at every start (server and CLI verbs that sign): creates the first signing key when there
 * is none (audited as the system), moves keys sealed under the data folder's generated secret
 * under LICENSOR_SIGNING_KEY_SECRET once that is set, and checks this process can open the active
 * key. Several processes may run it at once: the one-active-key index lets one create it.
 */
export async function ensureSigningKey(
  db: Db,
  config: SecretConfig,
  ctx: RequestContext = systemContext(),
): Promise<EnsureResult> {
  const kek = currentKek(config, true) as Kek;
  const rewrapped = await rewrapFromFile(db, config, kek, ctx);
  let created: SigningKeyRow | null = null;
  let active = await activeSigningKey(db);
  if (!active) {
    const row = newSigningKeyRow(kek);
    try {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto("signing_keys").values(row).execute();
        await recordAudit(trx, ctx, {
          action: "licenseKey.created",
          objectType: "licenseKey",
          objectId: row.kid,
          after: auditedKey(row),
        });
      });
      created = row;
    } catch (err) {
      // Another process created the first key at the same moment: use it.
      if (!isUniqueViolation(err)) throw err;
    }
    active = (await activeSigningKey(db)) as SigningKeyRow;
  }
  let problem: string | null = null;
  try {
    signerOf(active, kek);
  } catch (err) {
    problem = (err as Error).message;
  }
  return { active, created, rewrapped, problem };
}

/**
 * With LICENSOR_SIGNING_KEY_SECRET set, keys still sealed under the data folder's generated secret
 * (an embedded install moving to PostgreSQL and several processes) are opened with that file and
 * sealed again under the variable's key, each in its own audited transaction.
 */
async function rewrapFromFile(db: Db, config: SecretConfig, kek: Kek, ctx: RequestContext): Promise<string[]> {
  if (!config.signingKeySecret) return [];
  const stale = await db.selectFrom("signing_keys").selectAll().where("kek_id", "!=", kek.id).execute();
  if (stale.length === 0) return [];
  const file = fileKek(config.dataDir, false);
  const moved: string[] = [];
  for (const row of stale) {
    if (!file || row.kek_id !== file.id) continue;
    let sealed: string;
    try {
      sealed = seal(kek, row.kid, unseal(file, row.kid, row.private_enc));
    } catch {
      // Left as it is: opening it later says what is wrong; the start goes on.
      continue;
    }
    await db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable("signing_keys")
        .set({ private_enc: sealed, kek_id: kek.id })
        .where("id", "=", row.id)
        .where("kek_id", "=", file.id)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return;
      await recordAudit(trx, ctx, {
        action: "licenseKey.resealed",
        objectType: "licenseKey",
        objectId: row.kid,
        before: { sealedUnder: file.source },
        after: { sealedUnder: kek.source },
      });
      moved.push(row.kid);
    });
  }
  return moved;
}

/** Opened keys, by kid and key-encryption key: an AES-GCM decryption and a key import for every license signed would cost more than the signature. */
const signers = new Map<string, Signer>();

/** The signer of `row`, opened with `kek`; throws in words when `kek` is not the one it was sealed under. */
export function signerOf(row: SigningKeyRow, kek: Kek): Signer {
  const cacheKey = `${row.kid}/${kek.id}`;
  const hit = signers.get(cacheKey);
  if (hit) return hit;
  if (row.kek_id !== kek.id) {
    throw new Error(
      `signing key ${row.kid} is sealed under another secret (key-encryption key ${row.kek_id}; this process has ${kek.id} from ${kek.source}): set LICENSOR_SIGNING_KEY_SECRET to the same value on every server process sharing this database`,
    );
  }
  let der: Buffer;
  try {
    der = unseal(kek, row.kid, row.private_enc);
  } catch {
    throw new Error(`signing key ${row.kid} cannot be decrypted with ${kek.source}: the stored key was altered`);
  }
  const privateKey = crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  // The sealed bytes are authenticated, but a key that does not match its published half would sign licenses nobody can verify.
  if (publicX(crypto.createPublicKey(privateKey)) !== row.public_x) {
    throw new Error(`signing key ${row.kid}: its private half does not match its public key`);
  }
  const signer = { kid: row.kid, privateKey };
  signers.set(cacheKey, signer);
  return signer;
}

/**
 * The signer of the active key, read inside the caller's transaction (so a license signed in an
 * activation's transaction names the key active at that moment).
 */
export async function activeSigner(db: Db | Trx, config: SecretConfig): Promise<Signer> {
  const row = await activeSigningKey(db);
  if (!row) throw new Error("there is no active signing key: start the server once, or run `licensor license keys rotate`");
  const kek = currentKek(config, false);
  if (!kek)
    throw new Error(
      `signing key ${row.kid} cannot be opened: neither LICENSOR_SIGNING_KEY_SECRET nor the data folder's secret is there`,
    );
  return signerOf(row, kek);
}

/** Signs claims into a license file (docs/LICENSE-FORMAT.md): pure, no I/O. */
export function signLicense(claims: LicenseClaims, signer: Signer): string {
  return encodeLicense(claims, signer.kid, (input) => crypto.sign(null, input, signer.privateKey));
}

/**
 * Signs claims into the bare JWS (the signed artifact a fulfillment can keep); the verifier's
 * `licenseFile(jws)` writes the file from it when it is downloaded or mailed.
 */
export function signLicenseJws(claims: LicenseClaims, signer: Signer): string {
  return signClaims(claims, signer.kid, (input) => crypto.sign(null, input, signer.privateKey));
}
