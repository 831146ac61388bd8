import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** The generated secret of the embedded default, in the data folder beside the SQLite database. */
export const SECRET_FILE = "signing-key-secret";

/**
 * A key-encryption key: the AES-256-GCM key the signing keys' private halves are sealed under,
 * and its ID (a one-way value that names it in `signing_keys.kek_id` without revealing it).
 */
export interface Kek {
  id: string;
  key: Buffer;
  /** Where it comes from, for error messages: the variable or the file. */
  source: string;
}

/**
 * Both keys are derived from the secret with HKDF-SHA256 (RFC 5869) under different labels, so the
 * stored ID reveals nothing about the encryption key; the secret itself is high-entropy (32
 * characters at least, or 32 random bytes in the file), which is what HKDF needs.
 */
export function kekFrom(secret: string, source: string): Kek {
  // Every activation opens the signer through here: derive once per secret, not twice per license.
  const cacheKey = `${source}\u0000${secret}`;
  const hit = keks.get(cacheKey);
  if (hit) return hit;
  const kek = deriveKek(secret, source);
  keks.set(cacheKey, kek);
  return kek;
}
const keks = new Map<string, Kek>();

function deriveKek(secret: string, source: string): Kek {
  const ikm = Buffer.from(secret, "utf8");
  const derive = (info: string) => Buffer.from(crypto.hkdfSync("sha256", ikm, "licensor", info, 32));
  return {
    key: derive("signing-key-encryption/v1"),
    id: derive("signing-key-encryption-id/v1").subarray(0, 12).toString("base64url"),
    source,
  };
}

export interface SecretConfig {
  dataDir: string;
  signingKeySecret: string | undefined;
}

/**
 * The key-encryption key of this process: from LICENSOR_SIGNING_KEY_SECRET when set, else from
 * the data folder's secret file, created (0600, in a 0700 folder) when `create` and it is missing.
 * Returns null when there is neither and `create` is false.
 */
export function currentKek(config: SecretConfig, create: boolean): Kek | null {
  if (config.signingKeySecret) return kekFrom(config.signingKeySecret, "LICENSOR_SIGNING_KEY_SECRET");
  return fileKek(config.dataDir, create);
}

/** The data folder's key-encryption key, or null when its file is absent (and not to be created). */
export function fileKek(dataDir: string, create: boolean): Kek | null {
  const file = path.join(dataDir, SECRET_FILE);
  const source = `the data folder's ${file}`;
  const read = () => kekFrom(fs.readFileSync(file, "utf8").trim(), source);
  if (fs.existsSync(file)) return read();
  if (!create) return null;
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    // 'wx': another process creating it at the same moment wins, and this one reads its secret.
    const fd = fs.openSync(file, "wx", 0o600);
    try {
      fs.writeSync(fd, `${crypto.randomBytes(32).toString("base64url")}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return read();
}

/** Seals a private key (PKCS #8 DER) for the key `kid`: `iv.ciphertext.tag`, base64url, the kid as associated data. */
export function seal(kek: Kek, kid: string, plaintext: Buffer): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", kek.key, iv);
  cipher.setAAD(Buffer.from(`licensor-signing-key:${kid}`, "utf8"));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [iv, data, cipher.getAuthTag()].map((b) => b.toString("base64url")).join(".");
}

/** Opens what {@link seal} sealed; throws when the key, the kid or the bytes differ. */
export function unseal(kek: Kek, kid: string, sealed: string): Buffer {
  const [iv, data, tag] = sealed.split(".").map((p) => Buffer.from(p, "base64url"));
  if (!iv || !data || !tag) throw new Error("the sealed signing key is not iv.ciphertext.tag");
  const decipher = crypto.createDecipheriv("aes-256-gcm", kek.key, iv);
  decipher.setAAD(Buffer.from(`licensor-signing-key:${kid}`, "utf8"));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(data), decipher.final()]);
}
