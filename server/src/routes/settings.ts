import type { FastifyInstance } from "fastify";
import { BrandingSchema, SettingsSchema, SettingsUpdateBody } from "../../../common/src/api/settings.js";
import { errorResponses } from "../../../common/src/api/shared.js";
import { settingsUpdater } from "../commands/settingsUpdater.js";
import { loadSettings, recentSettings } from "../db/repos/settings.js";
import { ctxOf, requireActor } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import { presentSettings } from "../presenters/settings.js";
import { typed } from "./typed.js";

export async function settingsRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  app.get(
    "/api/v1/settings",
    {
      schema: {
        tags: ["settings"],
        summary: "Instance settings: ID generators, redeemed entitlement ID, key format, entitlement state settings",
        response: { 200: SettingsSchema, ...errorResponses },
      },
    },
    async (req) => {
      authorize(requireActor(req), "settings.read");
      return presentSettings(await loadSettings(app.deps.db));
    },
  );
  app.get(
    "/api/v1/branding",
    {
      schema: {
        tags: ["settings"],
        summary: "The producer's name, public: the login page shows it",
        security: [],
        response: { 200: BrandingSchema, ...errorResponses },
      },
    },
    async () => ({ producerName: (await recentSettings(app.deps.db)).producerName }),
  );
  app.patch(
    "/api/v1/settings",
    {
      schema: {
        tags: ["settings"],
        summary: "Change instance settings",
        body: SettingsUpdateBody,
        response: { 200: SettingsSchema, ...errorResponses },
      },
    },
    async (req) => presentSettings(await settingsUpdater(app.deps.db, ctxOf(req), req.body)),
  );
}
