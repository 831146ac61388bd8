import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { PRODUCT_STATES, PRODUCT_TYPES } from "../../../common/src/enums.js";
import { LIMITS } from "../../../common/src/limits.js";
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
import { errorResponses, IdParams, Name, OptionalText, Page, PageQuery, StringEnum, TextFilterParam } from "./schemas.js";
import { typed } from "./typed.js";

/**
 * `string | null` as one schema with a type list. The server's validator coerces types, and in an
 * anyOf(string, null) it would turn a null into "" before the null branch is tried.
 */

const ProductStateSchema = StringEnum(PRODUCT_STATES);
const ProductTypeSchema = StringEnum(PRODUCT_TYPES);
const Version = Type.String({ minLength: 1, maxLength: 64 });
// One schema with a type list, not a union: the validator coerces 0 to null for a bare null branch.
const Count = Type.Unsafe<number | null>({
  type: ["integer", "null"],
  minimum: 1,
  description: "Licensed count; null means uncounted.",
});
const FeatureIn = Type.Object({ name: Name, version: Version, count: Count }, { additionalProperties: false });
const IdList = (description: string) =>
  Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.idMax }), { maxItems: 500, description }));

const ProductSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    version: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    type: ProductTypeSchema,
    state: ProductStateSchema,
    features: Type.Array(
      Type.Object({ name: Type.String(), version: Type.String(), count: Type.Union([Type.Integer(), Type.Null()]) }),
    ),
    licenseModelIds: Type.Array(Type.String()),
    upgradeToIds: Type.Array(Type.String()),
    upsellToIds: Type.Array(Type.String()),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: "Product" },
);

const writable = {
  description: OptionalText(),
  type: Type.Optional(ProductTypeSchema),
  features: Type.Optional(Type.Array(FeatureIn, { maxItems: 1000, description: "Features in the order given." })),
  licenseModelIds: IdList("License models this product may be sold with; empty means any."),
  upgradeToIds: IdList("Products this one can be upgraded to."),
  upsellToIds: IdList("Products this one can be upsold to."),
};

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
        querystring: Type.Object(
          {
            ...PageQuery,
            q: Type.Optional(Type.String({ description: "Simple search in name, version and description." })),
            name: TextFilterParam("Name (default operator CONTAINS)"),
            version: TextFilterParam("Version (default operator EQUALS)"),
            state: Type.Optional(ProductStateSchema),
            type: Type.Optional(ProductTypeSchema),
          },
          { additionalProperties: false },
        ),
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
        body: Type.Object({ name: Name, version: Version, ...writable }, { additionalProperties: false }),
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
        body: Type.Object(
          { name: Type.Optional(Name), version: Type.Optional(Version), ...writable },
          { additionalProperties: false },
        ),
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
        response: { 204: Type.Null(), ...errorResponses },
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
        body: Type.Object({ state: ProductStateSchema }, { additionalProperties: false }),
        response: { 200: ProductSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { row, details } = await productStateChanger(app.deps.db, ctxOf(req), req.params.id, req.body.state);
      return presentProduct(row, details);
    },
  );
}
