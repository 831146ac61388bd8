import type { FastifyInstance } from "fastify";
import {
  BulkProductUpdateBody,
  EntitlementBatchBody,
  EntitlementBatchResultSchema,
  EntitlementCountQuery,
  EntitlementCountSchema,
  EntitlementCreateBody,
  EntitlementHistorySchema,
  EntitlementListQuery,
  EntitlementRef,
  EntitlementStatesBody,
  EntitlementStatesResultSchema,
  EntitlementUpdateBody,
  LineItemBody,
  LineItemParams,
  LineItemsAddBody,
  StateBody,
} from "../../../common/src/api/entitlements.js";
import { errorResponses, IdParams, NoContent, Page } from "../../../common/src/api/shared.js";
import { STATE_TYPES, type StateType } from "../../../common/src/enums.js";
import { entitlementBatchCreator } from "../commands/entitlementBatchCreator.js";
import { entitlementCopier } from "../commands/entitlementCopier.js";
import { type EntitlementCreateInput, entitlementCreator } from "../commands/entitlementCreator.js";
import { entitlementDeleter } from "../commands/entitlementDeleter.js";
import { entitlementIdRegenerator } from "../commands/entitlementIdRegenerator.js";
import { entitlementStateChanger, entitlementStatesChanger } from "../commands/entitlementStateChanger.js";
import { entitlementRecord, loadVisibleEntitlement } from "../commands/entitlementSupport.js";
import { entitlementUpdater } from "../commands/entitlementUpdater.js";
import {
  bulkProductConfigurer,
  lineItemAdder,
  lineItemRemover,
  lineItemStateChanger,
  lineItemUpdater,
} from "../commands/lineItemCommands.js";
import type { LineItemType } from "../commands/lineItemConfig.js";
import {
  countEntitlements,
  type EntitlementFilter,
  eventsOf,
  lineItemsOf,
  listEntitlements,
  partnersOf,
} from "../db/repos/entitlements.js";
import { keyCountsMany } from "../db/repos/keys.js";
import { FilterError, parseDateFilter, parseTextFilter } from "../domain/filters.js";
import { ctxOf, requireActor } from "../plugins/auth.js";
import { scopeEntitlements } from "../policies/entitlements.js";
import { authorize } from "../policies/index.js";
import { presentEntitlement, presentEntitlementRecord, presentEvent, withKeyCounts } from "../presenters/entitlements.js";
import { typed } from "./typed.js";

const tags = ["entitlements"];
/**
 * The command's form of a product configuration: the body's `lineItemType` or
 * `bulkEntitlementType` is its `type`.
 */
function toConfig<T extends { lineItemType?: LineItemType | null; bulkEntitlementType?: LineItemType | null }>(b: T) {
  const { bulkEntitlementType, lineItemType, ...rest } = b;
  return {
    ...rest,
    ...(bulkEntitlementType !== undefined ? { type: bulkEntitlementType } : {}),
    ...(lineItemType !== undefined ? { type: lineItemType } : {}),
  };
}

function createInput(b: EntitlementCreateBody): EntitlementCreateInput {
  return {
    ...b,
    product: b.product ? toConfig(b.product) : b.product,
    lineItems: b.lineItems?.map((li) => toConfig(li)),
  };
}

function filterOf(q: Record<string, string | undefined>, onlyAccountIds: string[] | null): EntitlementFilter {
  const t = (k: string, def: "EQUALS" | "CONTAINS" = "CONTAINS") =>
    q[k] !== undefined ? parseTextFilter(k, q[k] as string, def) : undefined;
  const states = q.state
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean) as StateType[] | undefined;
  for (const s of states ?? [])
    if (!(STATE_TYPES as readonly string[]).includes(s))
      throw new FilterError("state", `'${s}' is not one of ${STATE_TYPES.join(", ")}`);
  return {
    onlyAccountIds,
    q: q.q,
    entitlementId: t("entitlementId"),
    activationId: t("activationId"),
    orderId: t("orderId"),
    description: t("description"),
    shipToEmail: t("shipToEmail"),
    productName: t("productName"),
    accountName: t("accountName"),
    accountId: q.accountId,
    tier: q.tier,
    states,
    kind: q.kind as "SIMPLE" | "BULK" | undefined,
    createdBy: t("createdBy"),
    createdAt: q.createdAt !== undefined ? parseDateFilter("createdAt", q.createdAt) : undefined,
    updatedAt: q.updatedAt !== undefined ? parseDateFilter("updatedAt", q.updatedAt) : undefined,
  };
}

export async function entitlementRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  const scope = (req: Parameters<typeof requireActor>[0]) => {
    const actor = requireActor(req);
    authorize(actor, "entitlement.list");
    return scopeEntitlements(actor);
  };

  app.get(
    "/api/v1/entitlements",
    {
      schema: {
        tags,
        summary: "List Entitlements (simple and advanced search), newest first",
        querystring: EntitlementListQuery,
        response: { 200: Page(EntitlementRef), ...errorResponses },
      },
    },
    async (req) => {
      const page = await listEntitlements(app.deps.db, filterOf(req.query as Record<string, string>, scope(req)), req.query);
      const ids = page.items.map((e) => e.id);
      const partners = await partnersOf(app.deps.db, ids);
      const items = await lineItemsOf(app.deps.db, ids);
      const counts = await keyCountsMany(
        app.deps.db,
        page.items.filter((e) => e.kind === "BULK").map((e) => e.id),
      );
      return {
        items: page.items.map((e) =>
          withKeyCounts(presentEntitlement(e, partners.get(e.id) ?? [], items.get(e.id) ?? []), counts.get(e.id)),
        ),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.get(
    "/api/v1/entitlements/count",
    {
      schema: {
        tags,
        summary: "Count entitlements matching the same criteria as the list",
        querystring: EntitlementCountQuery,
        response: { 200: EntitlementCountSchema, ...errorResponses },
      },
    },
    async (req) => ({ count: await countEntitlements(app.deps.db, filterOf(req.query as Record<string, string>, scope(req))) }),
  );

  app.post(
    "/api/v1/entitlements",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Create a simple or bulk entitlement (Create Simple / Create Bulk / Create Test Bulk)",
        body: EntitlementCreateBody,
        response: { 201: EntitlementRef, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply.status(201).send(presentEntitlementRecord(await entitlementCreator(app.deps.db, ctxOf(req), createInput(req.body)))),
  );

  app.post(
    "/api/v1/entitlements/batch",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Create many entitlements, each atomically (FNO batch semantics)",
        body: EntitlementBatchBody,
        response: {
          200: EntitlementBatchResultSchema,
          ...errorResponses,
        },
      },
    },
    async (req) =>
      entitlementBatchCreator(
        app.deps.db,
        ctxOf(req),
        req.body.items.map((b) => createInput(b)),
      ),
  );

  app.post(
    "/api/v1/entitlements/actions/change-state",
    {
      schema: {
        tags,
        summary: "Change the state of several entitlements (each on its own)",
        body: EntitlementStatesBody,
        response: {
          200: EntitlementStatesResultSchema,
          ...errorResponses,
        },
      },
    },
    async (req) => entitlementStatesChanger(app.deps.db, ctxOf(req), req.body.ids, req.body.state),
  );

  app.get(
    "/api/v1/entitlements/:id",
    {
      schema: {
        tags,
        summary: "Get an entitlement with its partners and line items or product",
        description:
          "`id` is the entitlement's `id` or its entitlement ID (`entitlementId`, as users and FNO integrations know it).",
        params: IdParams,
        response: { 200: EntitlementRef, ...errorResponses },
      },
    },
    async (req) => {
      const { row } = await loadVisibleEntitlement(app.deps.db, ctxOf(req), req.params.id, { anyId: true });
      const c = row.kind === "BULK" ? (await keyCountsMany(app.deps.db, [row.id])).get(row.id) : undefined;
      return withKeyCounts(presentEntitlementRecord(await entitlementRecord(app.deps.db, row.id)), c);
    },
  );

  app.patch(
    "/api/v1/entitlements/:id",
    {
      schema: {
        tags,
        summary: "Edit an entitlement's header and channel partners",
        params: IdParams,
        body: EntitlementUpdateBody,
        response: { 200: EntitlementRef, ...errorResponses },
      },
    },
    async (req) => presentEntitlementRecord(await entitlementUpdater(app.deps.db, ctxOf(req), req.params.id, req.body)),
  );

  app.delete(
    "/api/v1/entitlements/:id",
    {
      schema: {
        tags,
        summary: "Delete a DRAFT or TEST entitlement",
        params: IdParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      await entitlementDeleter(app.deps.db, ctxOf(req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    "/api/v1/entitlements/:id/history",
    {
      schema: {
        tags,
        summary: "State-change history (created, property changed, state changed, transferred)",
        description: "`id` is the entitlement's `id` or its entitlement ID.",
        params: IdParams,
        response: {
          200: EntitlementHistorySchema,
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { row } = await loadVisibleEntitlement(app.deps.db, ctxOf(req), req.params.id, { anyId: true });
      return { items: (await eventsOf(app.deps.db, row.id)).map(presentEvent) };
    },
  );

  app.post(
    "/api/v1/entitlements/:id/actions/change-state",
    {
      schema: {
        tags,
        summary: "Change an entitlement's state (deploy cascades to line items)",
        params: IdParams,
        body: StateBody,
        response: { 200: EntitlementRef, ...errorResponses },
      },
    },
    async (req) =>
      presentEntitlementRecord(await entitlementStateChanger(app.deps.db, ctxOf(req), req.params.id, req.body.state)),
  );

  app.post(
    "/api/v1/entitlements/:id/actions/regenerate-ids",
    {
      schema: {
        tags,
        summary: "Regenerate IDs (DRAFT or TEST): entitlement ID and DRAFT line items' activation IDs",
        params: IdParams,
        response: { 200: EntitlementRef, ...errorResponses },
      },
    },
    async (req) => presentEntitlementRecord(await entitlementIdRegenerator(app.deps.db, ctxOf(req), req.params.id)),
  );

  app.post(
    "/api/v1/entitlements/:id/actions/copy",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Copy an entitlement into a new DRAFT one",
        params: IdParams,
        response: { 201: EntitlementRef, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply.status(201).send(presentEntitlementRecord(await entitlementCopier(app.deps.db, ctxOf(req), req.params.id))),
  );

  app.put(
    "/api/v1/entitlements/:id/product",
    {
      schema: {
        tags,
        summary: "Add Product: set a bulk entitlement's product configuration",
        params: IdParams,
        body: BulkProductUpdateBody,
        response: { 200: EntitlementRef, ...errorResponses },
      },
    },
    async (req) => {
      const { autoDeploy, ...body } = req.body;
      return presentEntitlementRecord(
        await bulkProductConfigurer(app.deps.db, ctxOf(req), req.params.id, toConfig(body), "replace", { autoDeploy }),
      );
    },
  );

  app.patch(
    "/api/v1/entitlements/:id/product",
    {
      schema: {
        tags,
        summary: "Change part of a bulk entitlement's product configuration",
        params: IdParams,
        body: BulkProductUpdateBody,
        response: { 200: EntitlementRef, ...errorResponses },
      },
    },
    async (req) => {
      const { autoDeploy, ...body } = req.body;
      return presentEntitlementRecord(
        await bulkProductConfigurer(app.deps.db, ctxOf(req), req.params.id, toConfig(body), "patch", { autoDeploy }),
      );
    },
  );

  app.post(
    "/api/v1/entitlements/:id/line-items",
    {
      schema: {
        tags,
        summary: "Add line items to a simple entitlement",
        params: IdParams,
        body: LineItemsAddBody,
        response: { 200: EntitlementRef, ...errorResponses },
      },
    },
    async (req) =>
      presentEntitlementRecord(
        await lineItemAdder(
          app.deps.db,
          ctxOf(req),
          req.params.id,
          req.body.lineItems.map((li) => toConfig(li)),
        ),
      ),
  );

  app.patch(
    "/api/v1/entitlements/:id/line-items/:lineItemId",
    {
      schema: {
        tags,
        summary: "Edit a line item",
        params: LineItemParams,
        body: LineItemBody,
        response: { 200: EntitlementRef, ...errorResponses },
      },
    },
    async (req) =>
      presentEntitlementRecord(
        await lineItemUpdater(app.deps.db, ctxOf(req), req.params.id, req.params.lineItemId, toConfig(req.body)),
      ),
  );

  app.delete(
    "/api/v1/entitlements/:id/line-items/:lineItemId",
    {
      schema: {
        tags,
        summary: "Remove a DRAFT, TEST or OBSOLETE line item",
        params: LineItemParams,
        response: { 200: EntitlementRef, ...errorResponses },
      },
    },
    async (req) => presentEntitlementRecord(await lineItemRemover(app.deps.db, ctxOf(req), req.params.id, req.params.lineItemId)),
  );

  app.post(
    "/api/v1/entitlements/:id/line-items/:lineItemId/actions/change-state",
    {
      schema: {
        tags,
        summary: "Change a line item's state",
        params: LineItemParams,
        body: StateBody,
        response: { 200: EntitlementRef, ...errorResponses },
      },
    },
    async (req) =>
      presentEntitlementRecord(
        await lineItemStateChanger(app.deps.db, ctxOf(req), req.params.id, req.params.lineItemId, req.body.state),
      ),
  );
}
