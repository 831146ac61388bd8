import { type Static, type TSchema, Type } from "typebox";
import { DURATION_UNITS, LINE_ITEM_TYPES, START_DATE_OPTIONS, STATE_TYPES, VERSION_DATE_OPTIONS } from "../enums.js";
import { LIMITS } from "../limits.js";
import { DateFilterParam, NullableString, OptionalText, PageQuery, StringEnum, TextFilterParam } from "./shared.js";

/**
 * The entitlement as every route answers it (server/src/presenters/entitlements.ts builds it, and its types
 * are these schemas'). One definition serves the OpenAPI document, the response serializer (which
 * writes only what is declared here) and the presenter's return type.
 */

const Nullable = <T extends ReturnType<typeof Type.Object>>(schema: T) => Type.Union([schema, Type.Null()]);
const NullableEnum = <const T extends readonly string[]>(values: T, description?: string) =>
  Type.Unsafe<T[number] | null>({ type: ["string", "null"], enum: [...values, null], ...(description ? { description } : {}) });
const Count = Type.Integer({ minimum: 0 });
const DateText = (description: string) => NullableString({ description: `${description} (YYYY-MM-DD).` });

export const ChannelPartnerSchema = Type.Object({
  tier: Type.String({ description: "Partner tier name, e.g. bo.constants.partnertiernames.endcustomer." }),
  tierName: Type.String({ description: "The tier's display name." }),
  accountId: Type.String(),
  accountName: Type.String(),
  contactUserId: NullableString(),
  contactEmail: NullableString(),
  currentOwner: Type.Boolean({ description: "This account owns the entitlement now." }),
});

/** What a bulk entitlement's product and a line item share: products, license model, dates, copies. */
const productConfig = {
  products: Type.Array(
    Type.Object({ productId: Type.String(), name: Type.String(), version: Type.String(), quantity: Type.Integer() }),
  ),
  partNumberId: NullableString(),
  partId: NullableString({ description: "The part number's ID as shown to users." }),
  licenseModelId: NullableString(),
  licenseModelName: NullableString(),
  alternateLicenseModelIds: Type.Array(Type.String(), { maxItems: 2 }),
  licenseModelAttributes: Type.Record(Type.String(), Type.String(), {
    description: "Entitlement-time attributes the license model defines.",
  }),
  startDateOption: StringEnum(START_DATE_OPTIONS),
  startDate: DateText("Start date"),
  isPermanent: Type.Boolean(),
  term: Nullable(Type.Object({ count: Type.Integer({ minimum: 1 }), unit: StringEnum(DURATION_UNITS) })),
  expirationDate: DateText("Expiration date"),
  effectiveExpirationDate: DateText(
    "The expiry the dates give today (a term counted from a fixed start); null if permanent or set at activation",
  ),
  versionDateOption: NullableEnum(VERSION_DATE_OPTIONS),
  versionDate: DateText("Version date"),
  numberOfCopies: Count,
  description: NullableString(),
  orderId: NullableString(),
  orderLineNumber: NullableString(),
};

export const LineItemSchema = Type.Object({
  id: Type.String(),
  activationId: Type.String(),
  state: StringEnum(STATE_TYPES),
  ...productConfig,
  lineItemType: NullableEnum(LINE_ITEM_TYPES, "What this line item is to its parent (lineage)."),
  fulfilledCount: Count,
  availableCount: Type.Integer({
    minimum: 0,
    description:
      "Copies that can still be activated: not fulfilled yet, and 0 while the line item or its entitlement is INACTIVE or OBSOLETE.",
  }),
  parentLineItemId: NullableString(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const BulkProductSchema = Type.Object({
  ...productConfig,
  bulkEntitlementType: NullableString(),
});

export const EntitlementSchema = Type.Object(
  {
    id: Type.String(),
    entitlementId: Type.String(),
    kind: StringEnum(["SIMPLE", "BULK"] as const),
    state: StringEnum(STATE_TYPES),
    description: NullableString(),
    shipToEmail: NullableString(),
    shipToAddress: NullableString(),
    orderId: NullableString(),
    orderLineNumber: NullableString(),
    allowPortalLogin: Type.Boolean(),
    customAttributes: Type.Record(Type.String(), Type.String()),
    soldTo: NullableString({ description: "Account ID: the End Customer (simple) or the Distributor (bulk)." }),
    channelPartners: Type.Array(ChannelPartnerSchema),
    product: Type.Union([BulkProductSchema, Type.Null()], {
      description: "BULK only: the one product configuration (null until Add Product).",
    }),
    lineItems: Type.Array(LineItemSchema, { description: "SIMPLE only." }),
    parentBulkId: NullableString({ description: "The bulk entitlement a redeemed key came from." }),
    keyCounts: Type.Optional(
      Type.Object(
        { total: Count, redeemed: Count, unredeemed: Count },
        { description: "BULK, in lists and reads: its keys, from the counters (the keys themselves stay secret)." },
      ),
    ),
    createdBy: NullableString(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: "Entitlement" },
);

/**
 * The entitlement in a route's schema: a reference to the shared definition (registered in
 * server/src/routes/index.ts), typed as the entitlement so answers that hold one are typed too.
 */
export const EntitlementRef = Type.Unsafe<Static<typeof EntitlementSchema>>(Type.Ref("Entitlement"));

export const EntitlementEventSchema = Type.Object({
  id: Type.String(),
  event: Type.String(),
  at: Type.String(),
  userId: Type.Union([Type.String(), Type.Null()]),
  user: Type.Union([Type.String(), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
});
export const EntitlementHistorySchema = Type.Object({ items: Type.Array(EntitlementEventSchema) });

// Requests.

const OptionalNullable = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));
const Day = (description: string) => Type.Optional(NullableString({ maxLength: 10, description: `${description} (YYYY-MM-DD)` }));
const Id = Type.String({ minLength: 1, maxLength: 255 });
const Kind = StringEnum(["SIMPLE", "BULK"] as const);

/** What a request may say of a line item's or a bulk entitlement's product configuration. */
export const ProductConfigBody = {
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
  term: OptionalNullable(
    Type.Object(
      { count: Type.Integer({ minimum: 1, maximum: 10000 }), unit: StringEnum(DURATION_UNITS) },
      { additionalProperties: false },
    ),
  ),
  expirationDate: Day("Expiration date"),
  versionDateOption: OptionalNullable(StringEnum(VERSION_DATE_OPTIONS)),
  versionDate: Day("Version date with DEFINE_NOW"),
  numberOfCopies: Type.Optional(
    Type.Integer({ minimum: 1, maximum: LIMITS.copiesMax, description: "On a bulk entitlement: copies per redeemed key." }),
  ),
  description: OptionalText(),
  orderId: OptionalText(255),
  orderLineNumber: OptionalText(64),
};
export const BulkProductBody = Type.Object(
  { ...ProductConfigBody, bulkEntitlementType: OptionalNullable(StringEnum(LINE_ITEM_TYPES)) },
  { additionalProperties: false },
);
const AutoDeploy = Type.Optional(
  Type.Boolean({
    description:
      "Deploy a DRAFT entitlement right after this change, in the same transaction (a refused deploy changes nothing).",
  }),
);
/** Add Product / change the product: the configuration, and autoDeploy as on create. */
export const BulkProductUpdateBody = Type.Object(
  { ...ProductConfigBody, bulkEntitlementType: OptionalNullable(StringEnum(LINE_ITEM_TYPES)), autoDeploy: AutoDeploy },
  { additionalProperties: false },
);
export const LineItemBody = Type.Object(
  {
    ...ProductConfigBody,
    lineItemType: OptionalNullable(StringEnum(LINE_ITEM_TYPES)),
    activationId: Type.Optional(NullableString({ maxLength: 255, description: "Specify; absent = Auto Generate." })),
  },
  { additionalProperties: false },
);
export const LineItemsAddBody = Type.Object(
  { lineItems: Type.Array(LineItemBody, { minItems: 1, maxItems: 200 }) },
  { additionalProperties: false },
);
export const PartnerIn = Type.Object(
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
  channelPartners: Type.Optional(Type.Array(PartnerIn, { maxItems: 20 })),
  allowPortalLogin: Type.Optional(Type.Boolean()),
  customAttributes: Type.Optional(Type.Record(Type.String({ maxLength: 128 }), Type.String({ maxLength: 4000 }))),
};
export const EntitlementCreateBody = Type.Object(
  {
    kind: Kind,
    test: Type.Optional(Type.Boolean({ description: "Create Test Bulk / test entitlement: state TEST." })),
    ...Header,
    product: Type.Optional(Type.Union([BulkProductBody, Type.Null()])),
    lineItems: Type.Optional(Type.Array(LineItemBody, { maxItems: 200 })),
    autoDeploy: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const EntitlementUpdateBody = Type.Object({ ...Header, autoDeploy: AutoDeploy }, { additionalProperties: false });
export const EntitlementBatchBody = Type.Object(
  { items: Type.Array(EntitlementCreateBody, { minItems: 1, maxItems: 500 }) },
  { additionalProperties: false },
);
export const BatchStatusSchema = StringEnum(["SUCCESS", "PARTIAL_FAILURE", "FAILURE"] as const);
export const EntitlementBatchResultSchema = Type.Object({
  status: BatchStatusSchema,
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
});
export const EntitlementStatesBody = Type.Object(
  { ids: Type.Array(Id, { minItems: 1, maxItems: 500 }), state: StringEnum(STATE_TYPES) },
  { additionalProperties: false },
);
export const EntitlementStatesResultSchema = Type.Object({
  status: BatchStatusSchema,
  results: Type.Array(
    Type.Object({
      id: Type.String(),
      entitlementId: Type.Union([Type.String(), Type.Null()]),
      ok: Type.Boolean(),
      state: Type.Union([Type.String(), Type.Null()]),
      reason: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});

export const EntitlementListQuery = Type.Object(
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
    kind: Type.Optional(Kind),
    createdBy: TextFilterParam("Who created it (email)"),
    createdAt: DateFilterParam("Creation date"),
    updatedAt: DateFilterParam("Last change"),
  },
  { additionalProperties: false },
);
export const EntitlementCountQuery = Type.Omit(EntitlementListQuery, ["limit", "cursor"], { additionalProperties: false });
export const EntitlementCountSchema = Type.Object({ count: Type.Integer() });

export const LineItemParams = Type.Object({ id: Id, lineItemId: Id });
export const StateBody = Type.Object({ state: StringEnum(STATE_TYPES) }, { additionalProperties: false });

export type Entitlement = Static<typeof EntitlementSchema>;
export type LineItem = Static<typeof LineItemSchema>;
export type BulkProduct = Static<typeof BulkProductSchema>;
/** What a bulk entitlement's product and a line item share. */
export type ProductConfig = Omit<BulkProduct, "bulkEntitlementType">;
export type ConfigProduct = ProductConfig["products"][number];
export type ChannelPartner = Static<typeof ChannelPartnerSchema>;
export type EntitlementEvent = Static<typeof EntitlementEventSchema>;
export type EntitlementHistory = Static<typeof EntitlementHistorySchema>;
export type BulkProductBody = Static<typeof BulkProductBody>;
export type BulkProductUpdateBody = Static<typeof BulkProductUpdateBody>;
export type LineItemBody = Static<typeof LineItemBody>;
export type PartnerInput = Static<typeof PartnerIn>;
export type EntitlementCreateBody = Static<typeof EntitlementCreateBody>;
export type EntitlementUpdateBody = Static<typeof EntitlementUpdateBody>;
export type EntitlementBatchResult = Static<typeof EntitlementBatchResultSchema>;
export type EntitlementStatesBody = Static<typeof EntitlementStatesBody>;
export type EntitlementStatesResult = Static<typeof EntitlementStatesResultSchema>;
export type EntitlementListQuery = Static<typeof EntitlementListQuery>;
export type EntitlementCount = Static<typeof EntitlementCountSchema>;
