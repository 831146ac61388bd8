import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { partnerTierCreator } from "../commands/partnerTierCreator.js";
import { partnerTierDeleter } from "../commands/partnerTierDeleter.js";
import { partnerTierUpdater } from "../commands/partnerTierUpdater.js";
import { findPartnerTier, listPartnerTiers } from "../db/repos/partnerTiers.js";
import { errors } from "../errors.js";
import { ctxOf, requireActor } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import { presentPartnerTier } from "../presenters/partnerTiers.js";
import { errorResponses, Name, OptionalText } from "./schemas.js";
import { typed } from "./typed.js";

/**
 * `string | null` as one schema with a type list. The server's validator coerces types, and in an
 * anyOf(string, null) it would turn a null into "" before the null branch is tried.
 */

const TierName = Type.String({
  minLength: 1,
  maxLength: 128,
  description: "The tier's constant, e.g. bo.constants.partnertiernames.tier2: letters, digits, '.', '_', '-'.",
});
const Rank = Type.Integer({ minimum: 0, maximum: 1_000_000, description: "Position in the channel; lower comes first." });
const NameParams = Type.Object({ name: TierName });

const PartnerTierSchema = Type.Object(
  {
    name: Type.String(),
    displayName: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    rank: Type.Integer(),
    builtIn: Type.Boolean(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: "PartnerTier" },
);

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
          200: Type.Object({ items: Type.Array(PartnerTierSchema), nextCursor: Type.Null() }),
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
        body: Type.Object(
          { name: TierName, displayName: Name, description: OptionalText(), rank: Rank },
          { additionalProperties: false },
        ),
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
        params: NameParams,
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
        params: NameParams,
        body: Type.Object(
          { displayName: Type.Optional(Name), description: OptionalText(), rank: Type.Optional(Rank) },
          { additionalProperties: false },
        ),
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
        params: NameParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await partnerTierDeleter(app.deps.db, ctxOf(req), req.params.name);
      return reply.status(204).send(null);
    },
  );
}
