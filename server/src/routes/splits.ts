import type { FastifyInstance } from "fastify";
import { LineItemParams } from "../../../common/src/api/entitlements.js";
import { errorResponses, IdParams } from "../../../common/src/api/shared.js";
import {
  MatchingBulkList,
  MatchingBulkQuery,
  SplitBulkBody,
  SplitLineItemBody,
  SplitOut,
} from "../../../common/src/api/splits.js";
import { bulkEntitlementSplitter } from "../commands/lifecycle/bulkEntitlementSplitter.js";
import { lineItemSplitter } from "../commands/lifecycle/lineItemSplitter.js";
import { matchingBulkEntitlements } from "../commands/lifecycle/matchingBulkEntitlements.js";
import { ctxOf } from "../plugins/auth.js";
import { presentMatchingBulk, presentSplitResult } from "../presenters/splits.js";
import { typed } from "./typed.js";

/**
 * Splitting down the channel (PRODUCT.md §3): N unredeemed keys of a bulk entitlement, or part of
 * a line item's count, from the current owner to a related account in another tier.
 */

const tags = ["entitlements"];
export async function splitRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);

  app.post(
    "/api/v1/entitlements/:id/actions/split",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary:
          "Split a bulk entitlement: move N unredeemed keys (or the listed ones) to a related account in another tier, into a matching bulk entitlement or a new one",
        params: IdParams,
        body: SplitBulkBody,
        response: { 201: SplitOut, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply.status(201).send(presentSplitResult(await bulkEntitlementSplitter(app.deps.db, ctxOf(req), req.params.id, req.body))),
  );

  app.get(
    "/api/v1/entitlements/:id/matching-bulk-entitlements",
    {
      schema: {
        tags,
        summary: "The DEPLOYED bulk entitlements of an account with the same product configuration (where a split may go)",
        params: IdParams,
        querystring: MatchingBulkQuery,
        response: { 200: MatchingBulkList, ...errorResponses },
      },
    },
    async (req) =>
      presentMatchingBulk(await matchingBulkEntitlements(app.deps.db, ctxOf(req), req.params.id, req.query.accountId)),
  );

  app.post(
    "/api/v1/entitlements/:id/line-items/:lineItemId/actions/split",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary:
          "Split a line item: move available copies to a related account in another tier, into a matching line item or a new entitlement",
        params: LineItemParams,
        body: SplitLineItemBody,
        response: { 201: SplitOut, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(
          presentSplitResult(await lineItemSplitter(app.deps.db, ctxOf(req), req.params.id, req.params.lineItemId, req.body)),
        ),
  );
}
