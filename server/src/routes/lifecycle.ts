import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { DURATION_UNITS } from "../../../common/src/enums.js";
import { accountEntitlementsMerger } from "../commands/lifecycle/accountEntitlementsMerger.js";
import { entitlementTransferrer } from "../commands/lifecycle/entitlementTransferrer.js";
import { lineItemLineage } from "../commands/lifecycle/lineItemLineage.js";
import { lineItemRenewer } from "../commands/lifecycle/lineItemRenewer.js";
import { lineItemTransferrer } from "../commands/lifecycle/lineItemTransferrer.js";
import { lineItemUpgrader } from "../commands/lifecycle/lineItemUpgrader.js";
import { lineItemUpseller } from "../commands/lifecycle/lineItemUpseller.js";
import { ctxOf } from "../plugins/auth.js";
import { presentLifecycleResult, presentTransferResult } from "../presenters/lifecycle.js";
import { Entitlement, LineItemSchema } from "./entitlementSchemas.js";
import { errorResponses, IdParams, NullableString, StringEnum } from "./schemas.js";
import { typed } from "./typed.js";

/**
 * Lifecycle operations on simple entitlements (PRODUCT.md §3): renew, upgrade, upsell, transfer
 * an entitlement or N copies of a line item, merge one account's entitlements into another, and
 * the parent/child lineage of a line item.
 */

const tags = ["entitlements"];
const Id = Type.String({ minLength: 1, maxLength: 255 });
const Day = (description: string) => Type.Optional(NullableString({ maxLength: 10, description: `${description} (YYYY-MM-DD)` }));
const LineItemParams = Type.Object({ id: Id, lineItemId: Id });
const Attributes = Type.Optional(
  Type.Record(Type.String(), Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean()]), {
    description: "Entitlement-time attributes of the license model given in licenseModelId.",
  }),
);
const ModelOverride = {
  licenseModelId: Type.Optional(
    NullableString({ maxLength: 255, description: "Another license model (default the parent's; the product must allow it)." }),
  ),
  licenseModelAttributes: Attributes,
};

const RenewBody = Type.Object(
  {
    term: Type.Optional(
      Type.Union([
        Type.Object(
          { count: Type.Integer({ minimum: 1, maximum: 10000 }), unit: StringEnum(DURATION_UNITS) },
          { additionalProperties: false },
        ),
        Type.Null(),
      ]),
    ),
    expirationDate: Day("End of the renewal instead of a term"),
    startDate: Day("Start of the renewal; default where the parent's effective expiry ends"),
    numberOfCopies: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: "Default the parent's." })),
  },
  { additionalProperties: false },
);
const UpgradeBody = Type.Object(
  {
    productId: Id,
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: "Copies to upgrade; default all." })),
    retireParent: Type.Optional(
      Type.Boolean({
        description:
          "With all copies: make the parent OBSOLETE (default true); false keeps it unchanged. Refused with a partial count.",
      }),
    ),
    ...ModelOverride,
  },
  { additionalProperties: false },
);
const UpsellBody = Type.Object(
  {
    additionalCopies: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: "Copies of the upsell; default the parent's." }),
    ),
    productId: Type.Optional(
      NullableString({ maxLength: 255, description: 'A product related as "upsell to"; default the same products.' }),
    ),
    ...ModelOverride,
  },
  { additionalProperties: false },
);
const TransferBody = Type.Object(
  {
    accountId: Id,
    keepIds: Type.Optional(
      Type.Boolean({
        description:
          "Default true: the new entitlement keeps the entitlement and activation IDs; the source's get -TRANSFERRED-<epochMillis>.",
      }),
    ),
  },
  { additionalProperties: false },
);
const TransferLineItemBody = Type.Object(
  {
    accountId: Id,
    count: Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: "Unfulfilled copies to move." }),
    keepIds: Type.Optional(Type.Boolean({ description: "Keep the activation ID (only when all copies move); default false." })),
  },
  { additionalProperties: false },
);

const LifecycleOut = Type.Object({ entitlement: Entitlement, lineItem: LineItemSchema });
const TransferOut = Type.Object({ entitlement: Entitlement, source: Entitlement });
const LineageEntry = Type.Object({
  id: Type.String(),
  activationId: Type.String(),
  entitlement: Type.Object({ id: Type.String(), entitlementId: Type.String(), state: Type.String() }),
  lineItemType: Type.Union([Type.String(), Type.Null()]),
  state: Type.String(),
  numberOfCopies: Type.Integer(),
  fulfilledCount: Type.Integer(),
  parentLineItemId: Type.Union([Type.String(), Type.Null()]),
  relation: Type.Union([Type.String(), Type.Null()]),
  depth: Type.Integer(),
});

export async function lifecycleRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);

  app.post(
    "/api/v1/entitlements/:id/line-items/:lineItemId/actions/renew",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Renew a line item: a new RENEWAL line item with extended dates (the parent is kept)",
        params: LineItemParams,
        body: RenewBody,
        response: { 201: LifecycleOut, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(
          presentLifecycleResult(await lineItemRenewer(app.deps.db, ctxOf(req), req.params.id, req.params.lineItemId, req.body)),
        ),
  );

  app.post(
    "/api/v1/entitlements/:id/line-items/:lineItemId/actions/upgrade",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Upgrade all or some copies of a line item to a product related as "upgrade to"',
        params: LineItemParams,
        body: UpgradeBody,
        response: { 201: LifecycleOut, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(
          presentLifecycleResult(await lineItemUpgrader(app.deps.db, ctxOf(req), req.params.id, req.params.lineItemId, req.body)),
        ),
  );

  app.post(
    "/api/v1/entitlements/:id/line-items/:lineItemId/actions/upsell",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Upsell a line item: more copies, or an upsell product that adds features",
        params: LineItemParams,
        body: UpsellBody,
        response: { 201: LifecycleOut, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(
          presentLifecycleResult(await lineItemUpseller(app.deps.db, ctxOf(req), req.params.id, req.params.lineItemId, req.body)),
        ),
  );

  app.post(
    "/api/v1/entitlements/:id/actions/transfer",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Transfer a simple entitlement without fulfillments to another account (the source becomes OBSOLETE)",
        params: IdParams,
        body: TransferBody,
        response: { 201: TransferOut, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(presentTransferResult(await entitlementTransferrer(app.deps.db, ctxOf(req), req.params.id, req.body))),
  );

  app.post(
    "/api/v1/entitlements/:id/line-items/:lineItemId/actions/transfer",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Transfer N unfulfilled copies of a line item into a new entitlement of another account",
        params: LineItemParams,
        body: TransferLineItemBody,
        response: { 201: TransferOut, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(
          presentTransferResult(
            await lineItemTransferrer(app.deps.db, ctxOf(req), req.params.id, req.params.lineItemId, req.body),
          ),
        ),
  );

  app.post(
    "/api/v1/accounts/:id/actions/merge-entitlements",
    {
      schema: {
        tags: ["accounts", ...tags],
        summary: "Merge an account's entitlements into another account (every channel-partner tier moves)",
        params: IdParams,
        body: Type.Object({ intoAccountId: Id }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            fromAccountId: Type.String(),
            intoAccountId: Type.String(),
            count: Type.Integer({ description: "Entitlements whose channel partners changed." }),
            movedTiers: Type.Integer({
              description: "Channel-partner rows given to the target, tier and current owner unchanged.",
            }),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => accountEntitlementsMerger(app.deps.db, ctxOf(req), req.params.id, req.body),
  );

  app.get(
    "/api/v1/entitlements/:id/line-items/:lineItemId/lineage",
    {
      schema: {
        tags,
        summary: "Parent/child lineage of a line item across entitlements (renewals, upgrades, upsells, transfers)",
        params: LineItemParams,
        response: {
          200: Type.Object({
            lineItem: LineageEntry,
            ancestors: Type.Array(LineageEntry),
            descendants: Type.Array(LineageEntry),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => lineItemLineage(app.deps.db, ctxOf(req), req.params.id, req.params.lineItemId),
  );
}
