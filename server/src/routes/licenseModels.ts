import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import {
  ATTRIBUTE_TIMES,
  ATTRIBUTE_VALUE_TYPES,
  LICENSE_MODEL_STATES,
  LICENSE_MODEL_TYPES,
  LICENSE_TECHNOLOGIES,
} from "../../../common/src/enums.js";
import { licenseModelCreator } from "../commands/licenseModelCreator.js";
import { licenseModelDeleter } from "../commands/licenseModelDeleter.js";
import { licenseModelStateChanger } from "../commands/licenseModelStateChanger.js";
import { licenseModelUpdater } from "../commands/licenseModelUpdater.js";
import { findLicenseModel, listLicenseModels } from "../db/repos/licenseModels.js";
import { parseTextFilter } from "../domain/filters.js";
import { errors } from "../errors.js";
import { ctxOf, requireActor } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import { presentLicenseModel } from "../presenters/licenseModels.js";
import { errorResponses, IdParams, Name, OptionalText, Page, PageQuery, StringEnum, TextFilterParam } from "./schemas.js";
import { typed } from "./typed.js";

/**
 * `string | null` as one schema with a type list. The server's validator coerces types, and in an
 * anyOf(string, null) it would turn a null into "" before the null branch is tried.
 */

const StateSchema = StringEnum(LICENSE_MODEL_STATES);
const TechnologySchema = StringEnum(LICENSE_TECHNOLOGIES, {
  description: "CERTIFICATE: a signed license file; ACTIVATION: activated online against this server.",
});
const ModelTypeSchema = StringEnum(LICENSE_MODEL_TYPES);
const ValueTypeSchema = StringEnum(ATTRIBUTE_VALUE_TYPES);
const TimeSchema = StringEnum(ATTRIBUTE_TIMES, {
  description: "ENTITLEMENT: the value is given on the entitlement; FULFILLMENT: when a license is generated.",
});

const Limit = Type.Unsafe<number | null>({
  type: ["integer", "null"],
  minimum: 0,
  maximum: 1_000_000,
  description: "null: unlimited.",
});
const PoliciesIn = Type.Object(
  { allowedReturns: Type.Optional(Limit), allowedRehosts: Type.Optional(Limit), allowedRepairs: Type.Optional(Limit) },
  { additionalProperties: false },
);
const AttributeIn = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    valueType: ValueTypeSchema,
    time: TimeSchema,
    required: Type.Boolean(),
    defaultValue: OptionalText(1000),
    allowedValues: Type.Optional(
      Type.Array(Type.String({ maxLength: 255 }), { maxItems: 500, description: "ENUM only, and required for it." }),
    ),
  },
  { additionalProperties: false },
);

const LicenseModelSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    technology: TechnologySchema,
    modelType: ModelTypeSchema,
    state: StateSchema,
    attributes: Type.Array(
      Type.Object({
        name: Type.String(),
        valueType: ValueTypeSchema,
        time: TimeSchema,
        required: Type.Boolean(),
        defaultValue: Type.Union([Type.String(), Type.Null()]),
        allowedValues: Type.Array(Type.String()),
      }),
    ),
    policies: Type.Object({
      allowedReturns: Type.Union([Type.Integer(), Type.Null()]),
      allowedRehosts: Type.Union([Type.Integer(), Type.Null()]),
      allowedRepairs: Type.Union([Type.Integer(), Type.Null()]),
    }),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: "LicenseModel" },
);

const writable = {
  description: OptionalText(),
  attributes: Type.Optional(Type.Array(AttributeIn, { maxItems: 200 })),
  policies: Type.Optional(PoliciesIn),
};

const tags = ["license models"];

export async function licenseModelRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);

  app.get(
    "/api/v1/license-models",
    {
      schema: {
        tags,
        summary: "List license models",
        description: "Ordered by name and id.",
        querystring: Type.Object(
          {
            ...PageQuery,
            q: Type.Optional(Type.String({ description: "Simple search in name and description." })),
            name: TextFilterParam("Name (default operator CONTAINS)"),
            state: Type.Optional(StateSchema),
            technology: Type.Optional(TechnologySchema),
            modelType: Type.Optional(ModelTypeSchema),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(LicenseModelSchema), ...errorResponses },
      },
    },
    async (req) => {
      authorize(requireActor(req), "licenseModel.read");
      const q = req.query;
      const page = await listLicenseModels(
        app.deps.db,
        {
          q: q.q,
          name: q.name !== undefined ? parseTextFilter("name", q.name, "CONTAINS") : undefined,
          state: q.state,
          technology: q.technology,
          modelType: q.modelType,
        },
        q,
      );
      return { items: page.items.map(presentLicenseModel), nextCursor: page.nextCursor };
    },
  );

  app.post(
    "/api/v1/license-models",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Create a license model",
        description: "Created in state DRAFT. Names are unique. Absent policies mean unlimited.",
        body: Type.Object(
          { name: Name, technology: TechnologySchema, modelType: ModelTypeSchema, ...writable },
          { additionalProperties: false },
        ),
        response: { 201: LicenseModelSchema, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply.status(201).send(presentLicenseModel(await licenseModelCreator(app.deps.db, ctxOf(req), req.body))),
  );

  app.get(
    "/api/v1/license-models/:id",
    {
      schema: {
        tags,
        summary: "Get a license model",
        params: IdParams,
        response: { 200: LicenseModelSchema, ...errorResponses },
      },
    },
    async (req) => {
      authorize(requireActor(req), "licenseModel.read");
      const row = await findLicenseModel(app.deps.db, req.params.id);
      if (!row) throw errors.notFound("License model", req.params.id);
      return presentLicenseModel(row);
    },
  );

  app.patch(
    "/api/v1/license-models/:id",
    {
      schema: {
        tags,
        summary: "Update a license model",
        description:
          "DRAFT: any field. DEPLOYED: description and policies only. OBSOLETE: nothing. `attributes` replaces the list; `policies` changes the limits given.",
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(Name),
            technology: Type.Optional(TechnologySchema),
            modelType: Type.Optional(ModelTypeSchema),
            ...writable,
          },
          { additionalProperties: false },
        ),
        response: { 200: LicenseModelSchema, ...errorResponses },
      },
    },
    async (req) => presentLicenseModel(await licenseModelUpdater(app.deps.db, ctxOf(req), req.params.id, req.body)),
  );

  app.delete(
    "/api/v1/license-models/:id",
    {
      schema: {
        tags,
        summary: "Delete a DRAFT license model",
        description: "Refused while products allow it or part numbers name it.",
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await licenseModelDeleter(app.deps.db, ctxOf(req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    "/api/v1/license-models/:id/actions/change-state",
    {
      schema: {
        tags,
        summary: "Change a license model's state",
        description: "DRAFT → DEPLOYED, DRAFT → OBSOLETE, DEPLOYED → OBSOLETE.",
        params: IdParams,
        body: Type.Object({ state: StateSchema }, { additionalProperties: false }),
        response: { 200: LicenseModelSchema, ...errorResponses },
      },
    },
    async (req) => presentLicenseModel(await licenseModelStateChanger(app.deps.db, ctxOf(req), req.params.id, req.body.state)),
  );
}
