import type { FastifyInstance } from "fastify";
import {
  LicenseModelChangeStateBody,
  LicenseModelCreateBody,
  LicenseModelListQuery,
  LicenseModelSchema,
  LicenseModelUpdateBody,
} from "../../../common/src/api/licenseModels.js";
import { errorResponses, IdParams, NoContent, Page } from "../../../common/src/api/shared.js";
import { licenseModelCreator } from "../commands/licenseModelCreator.js";
import { licenseModelDeleter } from "../commands/licenseModelDeleter.js";
import { loadVisibleLicenseModel } from "../commands/licenseModelReader.js";
import { licenseModelStateChanger } from "../commands/licenseModelStateChanger.js";
import { licenseModelUpdater } from "../commands/licenseModelUpdater.js";
import { listLicenseModels } from "../db/repos/licenseModels.js";
import { parseTextFilter } from "../domain/filters.js";
import { ctxOf, requireActor } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import { presentLicenseModel } from "../presenters/licenseModels.js";
import { typed } from "./typed.js";

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
        querystring: LicenseModelListQuery,
        response: { 200: Page(LicenseModelSchema), ...errorResponses },
      },
    },
    async (req) => {
      authorize(requireActor(req), "licenseModel.list");
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
        body: LicenseModelCreateBody,
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
      return presentLicenseModel(await loadVisibleLicenseModel(app.deps.db, requireActor(req), req.params.id));
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
        body: LicenseModelUpdateBody,
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
        response: { 204: NoContent, ...errorResponses },
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
        body: LicenseModelChangeStateBody,
        response: { 200: LicenseModelSchema, ...errorResponses },
      },
    },
    async (req) => presentLicenseModel(await licenseModelStateChanger(app.deps.db, ctxOf(req), req.params.id, req.body.state)),
  );
}
