import type { FastifyInstance } from "fastify";
import { type TSchema, Type } from "typebox";
import {
  DURATION_UNITS,
  LINE_ITEM_TYPES,
  START_DATE_OPTIONS,
  STATE_TYPES,
  type StateType,
  VERSION_DATE_OPTIONS,
} from "../../../common/src/enums.js";
import { entitlementBatchCreator } from "../commands/entitlementBatchCreator.js";
import { entitlementCopier } from "../commands/entitlementCopier.js";
import { entitlementCreator } from "../commands/entitlementCreator.js";
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
import {
  countEntitlements,
  type EntitlementFilter,
  eventsOf,
  lineItemsOf,
  listEntitlements,
  partnersOf,
} from "../db/repos/entitlements.js";
import { FilterError, parseDateFilter, parseTextFilter } from "../domain/filters.js";
import { ctxOf, requireActor } from "../plugins/auth.js";
import { scopeEntitlements } from "../policies/entitlements.js";
import { authorize } from "../policies/index.js";
import { presentEntitlement, presentEntitlementRecord, presentEvent } from "../presenters/entitlements.js";
import { Entitlement } from "./entitlementSchemas.js";
import {
  DateFilterParam,
  errorResponses,
  IdParams,
  NullableString,
  OptionalText,
  Page,
  PageQuery,
  StringEnum,
  TextFilterParam,
} from "./schemas.js";
import { typed } from "./typed.js";

const tags = ["entitlements"];
const Nullable = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));
const Day = (description: string) => Type.Optional(NullableString({ maxLength: 10, description: `${description} (YYYY-MM-DD)` }));
const Id = Type.String({ minLength: 1, maxLength: 255 });

const ProductConfigBody = {
  products: Type.Optional(
    Type.Array(
      Type.Object(
        { productId: Id, quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })) },
        { additionalProperties: false },
      ),
      {
        maxItems: 50,
        description: "Products with the quantity each line item includes; or give partNumberId.",
      },
    ),
  ),
  partNumberId: Type.Optional(
    NullableString({
      maxLength: 255,
      description: "A part number instead of products (its license model, if any, comes with it).",
    }),
  ),
  licenseModelId: Type.Optional(
    NullableString({ maxLength: 255, description: "Required to deploy; DEPLOYED models only unless TEST." }),
  ),
  alternateLicenseModelIds: Type.Optional(Type.Array(Id, { maxItems: 2 })),
  licenseModelAttributes: Type.Optional(
    Type.Record(Type.String(), Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean()]), {
      description: "Entitlement-time attributes the license model defines.",
    }),
  ),
  startDateOption: Type.Optional(StringEnum(START_DATE_OPTIONS)),
  startDate: Day("Start date with DEFINE_NOW (default today)"),
  isPermanent: Type.Optional(
    Type.Boolean({ description: "Permanent XOR term XOR expirationDate; default permanent unless a term or date is given." }),
  ),
  term: Nullable(
    Type.Object(
      { count: Type.Integer({ minimum: 1, maximum: 10000 }), unit: StringEnum(DURATION_UNITS) },
      { additionalProperties: false },
    ),
  ),
  expirationDate: Day("Expiration date"),
  versionDateOption: Nullable(StringEnum(VERSION_DATE_OPTIONS)),
  versionDate: Day("Version date with DEFINE_NOW"),
  numberOfCopies: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: "On a bulk entitlement: copies per redeemed key." }),
  ),
  description: OptionalText(),
  orderId: OptionalText(255),
  orderLineNumber: OptionalText(64),
};
const _ProductConfig = Type.Object(
  { ...ProductConfigBody, type: Nullable(StringEnum(LINE_ITEM_TYPES)) },
  { additionalProperties: false },
);
const BulkProductBody = Type.Object(
  { ...ProductConfigBody, bulkEntitlementType: Nullable(StringEnum(LINE_ITEM_TYPES)) },
  { additionalProperties: false },
);
const AutoDeploy = Type.Optional(
  Type.Boolean({
    description:
      "Deploy a DRAFT entitlement right after this change, in the same transaction (a refused deploy changes nothing).",
  }),
);
/** Add Product / change the product: the configuration, and autoDeploy as on create. */
const BulkProductUpdateBody = Type.Object(
  { ...ProductConfigBody, bulkEntitlementType: Nullable(StringEnum(LINE_ITEM_TYPES)), autoDeploy: AutoDeploy },
  { additionalProperties: false },
);
const LineItemBody = Type.Object(
  {
    ...ProductConfigBody,
    lineItemType: Nullable(StringEnum(LINE_ITEM_TYPES)),
    activationId: Type.Optional(NullableString({ maxLength: 255, description: "Specify; absent = Auto Generate." })),
  },
  { additionalProperties: false },
);
const Partner = Type.Object(
  {
    tier: Type.String({
      minLength: 1,
      maxLength: 128,
      description: "Tier constant, e.g. bo.constants.partnertiernames.tier1 (Distributor).",
    }),
    accountId: Id,
    contactUserId: Type.Optional(NullableString({ maxLength: 64 })),
    currentOwner: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const Header = {
  entitlementId: Type.Optional(NullableString({ maxLength: 255, description: "Specify an ID; absent = Auto Generate." })),
  description: OptionalText(),
  shipToEmail: Type.Optional(NullableString({ maxLength: 4000, description: "Comma-separated list of addresses." })),
  shipToAddress: OptionalText(),
  orderId: OptionalText(255),
  orderLineNumber: OptionalText(64),
  soldTo: Type.Optional(NullableString({ maxLength: 255, description: "Account: End Customer (simple) or Distributor (bulk)." })),
  channelPartners: Type.Optional(Type.Array(Partner, { maxItems: 20 })),
  allowPortalLogin: Type.Optional(Type.Boolean()),
  customAttributes: Type.Optional(Type.Record(Type.String({ maxLength: 128 }), Type.String({ maxLength: 4000 }))),
};
const CreateBody = Type.Object(
  {
    kind: StringEnum(["SIMPLE", "BULK"] as const),
    test: Type.Optional(Type.Boolean({ description: "Create Test Bulk / test entitlement: state TEST." })),
    ...Header,
    product: Type.Optional(Type.Union([BulkProductBody, Type.Null()])),
    lineItems: Type.Optional(Type.Array(LineItemBody, { maxItems: 200 })),
    autoDeploy: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

type BodyOf<T> = T extends { kind: unknown } ? T : never;

function toConfig<T extends { type?: unknown; bulkEntitlementType?: unknown; lineItemType?: unknown }>(b: T) {
  const { bulkEntitlementType, lineItemType, ...rest } = b as Record<string, unknown>;
  return {
    ...rest,
    ...(bulkEntitlementType !== undefined ? { type: bulkEntitlementType } : {}),
    ...(lineItemType !== undefined ? { type: lineItemType } : {}),
  } as never;
}

function createInput(b: Record<string, unknown>) {
  return {
    ...b,
    product: b.product ? toConfig(b.product as Record<string, unknown>) : b.product,
    lineItems: (b.lineItems as Record<string, unknown>[] | undefined)?.map((li) => toConfig(li)),
  } as never;
}

const ListQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(
      Type.String({ description: "Simple search: entitlement ID, activation ID, account, order ID, product, description." }),
    ),
    entitlementId: TextFilterParam("Entitlement ID"),
    activationId: TextFilterParam("Activation ID of a line item"),
    orderId: TextFilterParam("Order ID"),
    description: TextFilterParam("Description"),
    shipToEmail: TextFilterParam("Ship-to email"),
    productName: TextFilterParam("Product name"),
    accountName: TextFilterParam("Name of an account in any tier (or in `tier`)"),
    accountId: Type.Optional(Type.String()),
    tier: Type.Optional(Type.String({ description: "With accountId/accountName: only that tier." })),
    state: Type.Optional(Type.String({ description: "One state or a comma-separated list." })),
    kind: Type.Optional(StringEnum(["SIMPLE", "BULK"] as const)),
    createdBy: TextFilterParam("Who created it (email)"),
    createdAt: DateFilterParam("Creation date"),
    updatedAt: DateFilterParam("Last change"),
  },
  { additionalProperties: false },
);

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

const LineItemParams = Type.Object({ id: Id, lineItemId: Id });
const StateBody = Type.Object({ state: StringEnum(STATE_TYPES) }, { additionalProperties: false });

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
        querystring: ListQuery,
        response: { 200: Page(Entitlement), ...errorResponses },
      },
    },
    async (req) => {
      const page = await listEntitlements(app.deps.db, filterOf(req.query as Record<string, string>, scope(req)), req.query);
      const ids = page.items.map((e) => e.id);
      const partners = await partnersOf(app.deps.db, ids);
      const items = await lineItemsOf(app.deps.db, ids);
      return {
        items: page.items.map((e) => presentEntitlement(e, partners.get(e.id) ?? [], items.get(e.id) ?? [])),
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
        querystring: Type.Omit(ListQuery, ["limit", "cursor"], { additionalProperties: false }),
        response: { 200: Type.Object({ count: Type.Integer() }), ...errorResponses },
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
        body: CreateBody,
        response: { 201: Entitlement, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(
          presentEntitlementRecord(
            await entitlementCreator(app.deps.db, ctxOf(req), createInput(req.body as BodyOf<typeof req.body>)),
          ),
        ),
  );

  app.post(
    "/api/v1/entitlements/batch",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Create many entitlements, each atomically (FNO batch semantics)",
        body: Type.Object({ items: Type.Array(CreateBody, { minItems: 1, maxItems: 500 }) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            status: StringEnum(["SUCCESS", "PARTIAL_FAILURE", "FAILURE"] as const),
            responseData: Type.Array(
              Type.Object({ recordRefNo: Type.Integer(), id: Type.String(), entitlementId: Type.String(), state: Type.String() }),
            ),
            failedData: Type.Array(
              Type.Object({
                recordRefNo: Type.Integer(),
                reason: Type.String(),
                code: Type.String(),
                field: Type.Union([Type.String(), Type.Null()]),
                errors: Type.Array(Type.Object({ field: Type.String(), message: Type.String() })),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) =>
      entitlementBatchCreator(
        app.deps.db,
        ctxOf(req),
        req.body.items.map((b) => createInput(b as Record<string, unknown>)),
      ),
  );

  app.post(
    "/api/v1/entitlements/actions/change-state",
    {
      schema: {
        tags,
        summary: "Change the state of several entitlements (each on its own)",
        body: Type.Object(
          { ids: Type.Array(Id, { minItems: 1, maxItems: 500 }), state: StringEnum(STATE_TYPES) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            status: StringEnum(["SUCCESS", "PARTIAL_FAILURE", "FAILURE"] as const),
            results: Type.Array(
              Type.Object({
                id: Type.String(),
                entitlementId: Type.Union([Type.String(), Type.Null()]),
                ok: Type.Boolean(),
                state: Type.Union([Type.String(), Type.Null()]),
                reason: Type.Union([Type.String(), Type.Null()]),
              }),
            ),
          }),
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
        response: { 200: Entitlement, ...errorResponses },
      },
    },
    async (req) => {
      const { row } = await loadVisibleEntitlement(app.deps.db, ctxOf(req), req.params.id, { anyId: true });
      return presentEntitlementRecord(await entitlementRecord(app.deps.db, row.id));
    },
  );

  app.patch(
    "/api/v1/entitlements/:id",
    {
      schema: {
        tags,
        summary: "Edit an entitlement's header and channel partners",
        params: IdParams,
        body: Type.Object({ ...Header, autoDeploy: AutoDeploy }, { additionalProperties: false }),
        response: { 200: Entitlement, ...errorResponses },
      },
    },
    async (req) => presentEntitlementRecord(await entitlementUpdater(app.deps.db, ctxOf(req), req.params.id, req.body as never)),
  );

  app.delete(
    "/api/v1/entitlements/:id",
    {
      schema: {
        tags,
        summary: "Delete a DRAFT or TEST entitlement",
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses },
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
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.String(),
                event: Type.String(),
                at: Type.String(),
                userId: Type.Union([Type.String(), Type.Null()]),
                user: Type.Union([Type.String(), Type.Null()]),
                description: Type.Union([Type.String(), Type.Null()]),
              }),
            ),
          }),
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
        response: { 200: Entitlement, ...errorResponses },
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
        response: { 200: Entitlement, ...errorResponses },
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
        response: { 201: Entitlement, ...errorResponses },
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
        response: { 200: Entitlement, ...errorResponses },
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
        response: { 200: Entitlement, ...errorResponses },
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
        body: Type.Object(
          { lineItems: Type.Array(LineItemBody, { minItems: 1, maxItems: 200 }) },
          { additionalProperties: false },
        ),
        response: { 200: Entitlement, ...errorResponses },
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
        response: { 200: Entitlement, ...errorResponses },
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
        response: { 200: Entitlement, ...errorResponses },
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
        response: { 200: Entitlement, ...errorResponses },
      },
    },
    async (req) =>
      presentEntitlementRecord(
        await lineItemStateChanger(app.deps.db, ctxOf(req), req.params.id, req.params.lineItemId, req.body.state),
      ),
  );
}
