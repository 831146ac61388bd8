import type { FastifyInstance } from "fastify";
import {
  ProductChangeStateBody,
  ProductCreateBody,
  ProductListQuery,
  ProductSchema,
  ProductUpdateBody,
} from "../../../common/src/api/products.js";
import { errorResponses, IdParams, NoContent, Page } from "../../../common/src/api/shared.js";
import { productCreator } from "../commands/productCreator.js";
import { productDeleter } from "../commands/productDeleter.js";
import { productStateChanger } from "../commands/productStateChanger.js";
import { productUpdater } from "../commands/productUpdater.js";
import { emptyDetails, findProduct, listProducts, productDetails, productDetailsMany } from "../db/repos/products.js";
import { parseTextFilter } from "../domain/filters.js";
import { errors } from "../errors.js";
import { ctxOf, requireActor } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import { presentProduct } from "../presenters/products.js";
import { typed } from "./typed.js";

const tags = ["products"];

export async function productRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);

  app.get(
    "/api/v1/products",
    {
      schema: {
        tags,
        summary: "List products",
        description: "Ordered by name, version and id.",
        querystring: ProductListQuery,
        response: { 200: Page(ProductSchema), ...errorResponses },
      },
    },
    async (req) => {
      authorize(requireActor(req), "product.read");
      const q = req.query;
      const page = await listProducts(
        app.deps.db,
        {
          q: q.q,
          name: q.name !== undefined ? parseTextFilter("name", q.name, "CONTAINS") : undefined,
          version: q.version !== undefined ? parseTextFilter("version", q.version) : undefined,
          state: q.state,
          type: q.type,
        },
        q,
      );
      const details = await productDetailsMany(
        app.deps.db,
        page.items.map((p) => p.id),
      );
      return {
        items: page.items.map((p) => presentProduct(p, details.get(p.id) ?? emptyDetails())),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.post(
    "/api/v1/products",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Create a product",
        description: "Created in state DRAFT. Name and version together are unique.",
        body: ProductCreateBody,
        response: { 201: ProductSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { row, details } = await productCreator(app.deps.db, ctxOf(req), req.body);
      return reply.status(201).send(presentProduct(row, details));
    },
  );

  app.get(
    "/api/v1/products/:id",
    { schema: { tags, summary: "Get a product", params: IdParams, response: { 200: ProductSchema, ...errorResponses } } },
    async (req) => {
      authorize(requireActor(req), "product.read");
      const row = await findProduct(app.deps.db, req.params.id);
      if (!row) throw errors.notFound("Product", req.params.id);
      return presentProduct(row, await productDetails(app.deps.db, row.id));
    },
  );

  app.patch(
    "/api/v1/products/:id",
    {
      schema: {
        tags,
        summary: "Update a product",
        description:
          "DRAFT: any field. DEPLOYED: description, licenseModelIds, upgradeToIds and upsellToIds only. OBSOLETE: nothing. Lists replace the current ones.",
        params: IdParams,
        body: ProductUpdateBody,
        response: { 200: ProductSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { row, details } = await productUpdater(app.deps.db, ctxOf(req), req.params.id, req.body);
      return presentProduct(row, details);
    },
  );

  app.delete(
    "/api/v1/products/:id",
    {
      schema: {
        tags,
        summary: "Delete a DRAFT product",
        description: "Refused while part numbers sell it or other products upgrade or upsell to it.",
        params: IdParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      await productDeleter(app.deps.db, ctxOf(req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    "/api/v1/products/:id/actions/change-state",
    {
      schema: {
        tags,
        summary: "Change a product's state",
        description:
          "DRAFT → DEPLOYED, DRAFT → OBSOLETE, DEPLOYED → OBSOLETE. Deploying needs every allowed license model to be DEPLOYED.",
        params: IdParams,
        body: ProductChangeStateBody,
        response: { 200: ProductSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { row, details } = await productStateChanger(app.deps.db, ctxOf(req), req.params.id, req.body.state);
      return presentProduct(row, details);
    },
  );
}
