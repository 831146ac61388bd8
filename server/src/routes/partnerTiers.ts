import type { FastifyInstance } from "fastify";
import {
  PartnerTierCreateBody,
  PartnerTierListSchema,
  PartnerTierParams,
  PartnerTierSchema,
  PartnerTierUpdateBody,
} from "../../../common/src/api/partnerTiers.js";
import { errorResponses, NoContent } from "../../../common/src/api/shared.js";
import { partnerTierCreator } from "../commands/partnerTierCreator.js";
import { partnerTierDeleter } from "../commands/partnerTierDeleter.js";
import { partnerTierUpdater } from "../commands/partnerTierUpdater.js";
import { findPartnerTier, listPartnerTiers } from "../db/repos/partnerTiers.js";
import { errors } from "../errors.js";
import { ctxOf, requireActor } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import { presentPartnerTier } from "../presenters/partnerTiers.js";
import { typed } from "./typed.js";

const tags = ["partner tiers"];

export async function partnerTierRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);

  app.get(
    "/api/v1/partner-tiers",
    {
      schema: {
        tags,
        summary: "List partner tiers",
        description: "Every tier, ordered by rank then name; never paged (nextCursor is always null).",
        response: {
          200: PartnerTierListSchema,
          ...errorResponses,
        },
      },
    },
    async (req) => {
      authorize(requireActor(req), "partnerTier.read");
      const rows = await listPartnerTiers(app.deps.db);
      return { items: rows.map(presentPartnerTier), nextCursor: null };
    },
  );

  app.post(
    "/api/v1/partner-tiers",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Create a partner tier",
        body: PartnerTierCreateBody,
        response: { 201: PartnerTierSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(201).send(presentPartnerTier(await partnerTierCreator(app.deps.db, ctxOf(req), req.body))),
  );

  app.get(
    "/api/v1/partner-tiers/:name",
    {
      schema: {
        tags,
        summary: "Get a partner tier",
        params: PartnerTierParams,
        response: { 200: PartnerTierSchema, ...errorResponses },
      },
    },
    async (req) => {
      authorize(requireActor(req), "partnerTier.read");
      const row = await findPartnerTier(app.deps.db, req.params.name);
      if (!row) throw errors.notFound("Partner tier", req.params.name);
      return presentPartnerTier(row);
    },
  );

  app.patch(
    "/api/v1/partner-tiers/:name",
    {
      schema: {
        tags,
        summary: "Update a partner tier",
        description: "Built-in tiers can be renamed and re-ranked too; a tier's name (constant) never changes.",
        params: PartnerTierParams,
        body: PartnerTierUpdateBody,
        response: { 200: PartnerTierSchema, ...errorResponses },
      },
    },
    async (req) => presentPartnerTier(await partnerTierUpdater(app.deps.db, ctxOf(req), req.params.name, req.body)),
  );

  app.delete(
    "/api/v1/partner-tiers/:name",
    {
      schema: {
        tags,
        summary: "Delete a partner tier",
        description: "Refused for the built-in Distributor and End Customer tiers.",
        params: PartnerTierParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      await partnerTierDeleter(app.deps.db, ctxOf(req), req.params.name);
      return reply.status(204).send(null);
    },
  );
}
