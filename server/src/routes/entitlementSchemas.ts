import { Type } from "typebox";
import {
  DURATION_UNITS,
  LINE_ITEM_TYPES,
  START_DATE_OPTIONS,
  STATE_TYPES,
  VERSION_DATE_OPTIONS,
} from "../../../common/src/enums.js";
import { NullableString, StringEnum } from "./schemas.js";

/**
 * The entitlement as every route answers it (presenters/entitlements.ts builds it, and its types are
 * these schemas'). One definition serves the OpenAPI document, the response serializer (which
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
    createdBy: NullableString(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: "Entitlement" },
);

/** The entitlement in a route's schema: a reference to the shared definition (registered in index.ts). */
export const Entitlement = Type.Ref("Entitlement");
