import type { FastifyInstance } from "fastify";
import { LineItemParams } from "../../../common/src/api/entitlements.js";
import {
  LifecycleOut,
  LineageSchema,
  MergeBody,
  MergeResultSchema,
  RenewBody,
  TransferBody,
  TransferLineItemBody,
  TransferOut,
  UpgradeBody,
  UpsellBody,
} from "../../../common/src/api/lifecycle.js";
import { errorResponses, IdParams } from "../../../common/src/api/shared.js";
import { accountEntitlementsMerger } from "../commands/lifecycle/accountEntitlementsMerger.js";
import { entitlementTransferrer } from "../commands/lifecycle/entitlementTransferrer.js";
import { lineItemLineage } from "../commands/lifecycle/lineItemLineage.js";
import { lineItemRenewer } from "../commands/lifecycle/lineItemRenewer.js";
import { lineItemTransferrer } from "../commands/lifecycle/lineItemTransferrer.js";
import { lineItemUpgrader } from "../commands/lifecycle/lineItemUpgrader.js";
import { lineItemUpseller } from "../commands/lifecycle/lineItemUpseller.js";
import { ctxOf } from "../plugins/auth.js";
import { presentLifecycleResult, presentTransferResult } from "../presenters/lifecycle.js";
import { typed } from "./typed.js";

/**
 * Lifecycle operations on simple entitlements (PRODUCT.md §3): renew, upgrade, upsell, transfer
 * an entitlement or N copies of a line item, merge one account's entitlements into another, and
 * the parent/child lineage of a line item.
 */

const tags = ["entitlements"];
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
        body: MergeBody,
        response: {
          200: MergeResultSchema,
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
          200: LineageSchema,
          ...errorResponses,
        },
      },
    },
    async (req) => lineItemLineage(app.deps.db, ctxOf(req), req.params.id, req.params.lineItemId),
  );
}
