import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { LIMITS } from "../../../common/src/limits.js";
import { partNumberCreator } from "../commands/partNumberCreator.js";
import { partNumberDeleter } from "../commands/partNumberDeleter.js";
import { partNumberUpdater } from "../commands/partNumberUpdater.js";
import { findPartNumber, listPartNumbers } from "../db/repos/partNumbers.js";
import { parseTextFilter } from "../domain/filters.js";
import { errors } from "../errors.js";
import { ctxOf, requireActor } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import { presentPartNumber } from "../presenters/partNumbers.js";
import { errorResponses, IdParams, OptionalText, Page, PageQuery, TextFilterParam } from "./schemas.js";
import { typed } from "./typed.js";

/**
 * `string | null` as one schema with a type list. The server's validator coerces types, and in an
 * anyOf(string, null) it would turn a null into "" before the null branch is tried.
 */

const PartId = Type.String({ minLength: 1, maxLength: LIMITS.idMax, description: "The SKU as orders name it; unique." });
const Ref = Type.String({ minLength: 1, maxLength: LIMITS.idMax });
const NullableRef = Type.Unsafe<string | null>({ type: ["string", "null"], minLength: 1, maxLength: LIMITS.idMax });
const Quantity = Type.Integer({
  minimum: 1,
  maximum: 1_000_000_000,
  description: "Copies of the product one unit sells (default 1).",
});

const PartNumberSchema = Type.Object(
  {
    id: Type.String(),
    partId: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    productId: Type.String(),
    productName: Type.String(),
    productVersion: Type.String(),
    quantity: Type.Integer(),
    licenseModelId: Type.Union([Type.String(), Type.Null()]),
    licenseModelName: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: "PartNumber" },
);

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
        querystring: Type.Object(
          {
            ...PageQuery,
            q: Type.Optional(Type.String({ description: "Simple search in part ID and description." })),
            partId: TextFilterParam("Part ID (default operator EQUALS)"),
            productId: Type.Optional(Type.String()),
            licenseModelId: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
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
        body: Type.Object(
          {
            partId: PartId,
            description: OptionalText(),
            productId: Ref,
            quantity: Type.Optional(Quantity),
            licenseModelId: Type.Optional(NullableRef),
          },
          { additionalProperties: false },
        ),
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
        body: Type.Object(
          {
            partId: Type.Optional(PartId),
            description: OptionalText(),
            productId: Type.Optional(Ref),
            quantity: Type.Optional(Quantity),
            licenseModelId: Type.Optional(NullableRef),
          },
          { additionalProperties: false },
        ),
        response: { 200: PartNumberSchema, ...errorResponses },
      },
    },
    async (req) => presentPartNumber(await partNumberUpdater(app.deps.db, ctxOf(req), req.params.id, req.body)),
  );

  app.delete(
    "/api/v1/part-numbers/:id",
    { schema: { tags, summary: "Delete a part number", params: IdParams, response: { 204: Type.Null(), ...errorResponses } } },
    async (req, reply) => {
      await partNumberDeleter(app.deps.db, ctxOf(req), req.params.id);
      return reply.status(204).send(null);
    },
  );
}
