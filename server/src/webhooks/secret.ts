import crypto from "node:crypto";
import type { Config } from "../config.js";
import { currentKek, type Kek, seal, unseal } from "../licensing/secret.js";

/**
 * An endpoint's signing secret in the Standard Webhooks format (`whsec_` and 24 random bytes in
 * base64), sealed at rest under the same key-encryption key as the license signing keys; the
 * associated data names the endpoint, so one endpoint's sealed secret cannot stand in for another's.
 */

type SecretDeps = Pick<Config, "dataDir" | "signingKeySecret">;

const kekOf = (config: SecretDeps): Kek => currentKek(config, true) as Kek;
const aad = (endpointId: string) => `webhook-secret:${endpointId}`;

export function newWebhookSecret(): string {
  return `whsec_${crypto.randomBytes(24).toString("base64")}`;
}

export function sealWebhookSecret(config: SecretDeps, endpointId: string, secret: string): string {
  return seal(kekOf(config), aad(endpointId), Buffer.from(secret, "utf8"));
}

export function openWebhookSecret(config: SecretDeps, endpointId: string, sealed: string): string {
  return unseal(kekOf(config), aad(endpointId), sealed).toString("utf8");
}
