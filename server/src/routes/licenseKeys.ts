import type { FastifyInstance } from "fastify";
import { LicenseKeyRotationSchema, LicenseKeySetSchema } from "../../../common/src/api/licenseKeys.js";
import { errorResponses } from "../../../common/src/api/shared.js";
import { licenseKeyRotator } from "../commands/licenseKeyRotator.js";
import { listSigningKeys } from "../licensing/keyring.js";
import { ctxOf } from "../plugins/auth.js";
import { presentLicenseKey } from "../presenters/licenseKeys.js";
import { typed } from "./typed.js";

const tags = ["licenses"];

/**
 * The license signing keys: the public JWKS (no login: a producer's application or build fetches
 * it to verify licenses offline), its well-known alias, and rotation (producer admins).
 */
export async function licenseKeyRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  const keySet = async () => ({ keys: (await listSigningKeys(app.deps.db)).map(presentLicenseKey) });

  app.get(
    "/api/v1/license-keys",
    {
      schema: {
        tags,
        summary: "The public keys that verify licenses (JWKS): the active key and every retired one",
        security: [],
        response: { 200: LicenseKeySetSchema, ...errorResponses },
      },
    },
    async () => keySet(),
  );

  app.get(
    "/.well-known/licensor-keys.json",
    {
      schema: {
        tags,
        summary: "The same key set at a well-known address",
        security: [],
        response: { 200: LicenseKeySetSchema },
      },
    },
    async (_req, reply) => {
      // Public and the same for everyone; caches may keep it a few minutes (a rotation shows within 5).
      reply.header("cache-control", "public, max-age=300");
      return keySet();
    },
  );

  app.post(
    "/api/v1/license-keys/actions/rotate",
    {
      schema: {
        tags,
        summary: "Rotate the signing key: a new key signs from now on; the old one is retired and keeps verifying",
        response: { 200: LicenseKeyRotationSchema, ...errorResponses },
      },
    },
    async (req) => {
      const r = await licenseKeyRotator(app.deps.db, ctxOf(req), app.deps.config);
      return { active: presentLicenseKey(r.active), retired: r.retired ? presentLicenseKey(r.retired) : null };
    },
  );
}
