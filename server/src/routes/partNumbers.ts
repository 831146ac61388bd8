import type { FastifyInstance } from "fastify";
import {
  PartNumberCreateBody,
  PartNumberListQuery,
  PartNumberSchema,
  PartNumberUpdateBody,
} from "../../../common/src/api/partNumbers.js";
import { errorResponses, IdParams, NoContent, Page } from "../../../common/src/api/shared.js";
import { partNumberCreator } from "../commands/partNumberCreator.js";
import { partNumberDeleter } from "../commands/partNumberDeleter.js";
import { partNumberUpdater } from "../commands/partNumberUpdater.js";
import { findPartNumber, listPartNumbers } from "../db/repos/partNumbers.js";
import { parseTextFilter } from "../domain/filters.js";
import { errors } from "../errors.js";
import { ctxOf, requireActor } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import { presentPartNumber } from "../presenters/partNumbers.js";
import { typed } from "./typed.js";

const tags = ["part numbers"];

export async function partNumberRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);

  app.get(
    "/api/v1/part-numbers",
    {
      schema: {
        tags,
        summary: "List part numbers",
        description: "Ordered by part ID.",
        querystring: PartNumberListQuery,
        response: { 200: Page(PartNumberSchema), ...errorResponses },
      },
    },
    async (req) => {
      authorize(requireActor(req), "partNumber.read");
      const q = req.query;
      const page = await listPartNumbers(
        app.deps.db,
        {
          q: q.q,
          partId: q.partId !== undefined ? parseTextFilter("partId", q.partId) : undefined,
          productId: q.productId,
          licenseModelId: q.licenseModelId,
        },
        q,
      );
      return { items: page.items.map(presentPartNumber), nextCursor: page.nextCursor };
    },
  );

  app.post(
    "/api/v1/part-numbers",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Create a part number",
        description: "When the product limits its license models, the part number's model must be one of them.",
        body: PartNumberCreateBody,
        response: { 201: PartNumberSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(201).send(presentPartNumber(await partNumberCreator(app.deps.db, ctxOf(req), req.body))),
  );

  app.get(
    "/api/v1/part-numbers/:id",
    { schema: { tags, summary: "Get a part number", params: IdParams, response: { 200: PartNumberSchema, ...errorResponses } } },
    async (req) => {
      authorize(requireActor(req), "partNumber.read");
      const row = await findPartNumber(app.deps.db, req.params.id);
      if (!row) throw errors.notFound("Part number", req.params.id);
      return presentPartNumber(row);
    },
  );

  app.patch(
    "/api/v1/part-numbers/:id",
    {
      schema: {
        tags,
        summary: "Update a part number",
        params: IdParams,
        body: PartNumberUpdateBody,
        response: { 200: PartNumberSchema, ...errorResponses },
      },
    },
    async (req) => presentPartNumber(await partNumberUpdater(app.deps.db, ctxOf(req), req.params.id, req.body)),
  );

  app.delete(
    "/api/v1/part-numbers/:id",
    { schema: { tags, summary: "Delete a part number", params: IdParams, response: { 204: NoContent, ...errorResponses } } },
    async (req, reply) => {
      await partNumberDeleter(app.deps.db, ctxOf(req), req.params.id);
      return reply.status(204).send(null);
    },
  );
}
