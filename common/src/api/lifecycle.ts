import { type Static, Type } from "typebox";
import { DURATION_UNITS } from "../enums.js";
import { LIMITS } from "../limits.js";
import { EntitlementRef, LineItemSchema } from "./entitlements.js";
import { NullableString, StringEnum } from "./shared.js";

/**
 * Lifecycle operations on simple entitlements (PRODUCT.md §3): renew, upgrade, upsell, transfer
 * an entitlement or N copies of a line item, merge one account's entitlements into another, and
 * the parent/child lineage of a line item.
 */

const Id = Type.String({ minLength: 1, maxLength: 255 });
const Day = (description: string) => Type.Optional(NullableString({ maxLength: 10, description: `${description} (YYYY-MM-DD)` }));
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

export const RenewBody = Type.Object(
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
    numberOfCopies: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.copiesMax, description: "Default the parent's." })),
  },
  { additionalProperties: false },
);
export const UpgradeBody = Type.Object(
  {
    productId: Id,
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.copiesMax, description: "Copies to upgrade; default all." })),
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
export const UpsellBody = Type.Object(
  {
    additionalCopies: Type.Optional(
      Type.Integer({ minimum: 1, maximum: LIMITS.copiesMax, description: "Copies of the upsell; default the parent's." }),
    ),
    productId: Type.Optional(
      NullableString({ maxLength: 255, description: 'A product related as "upsell to"; default the same products.' }),
    ),
    ...ModelOverride,
  },
  { additionalProperties: false },
);
export const TransferBody = Type.Object(
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
export const TransferLineItemBody = Type.Object(
  {
    accountId: Id,
    count: Type.Integer({ minimum: 1, maximum: LIMITS.copiesMax, description: "Unfulfilled copies to move." }),
    keepIds: Type.Optional(Type.Boolean({ description: "Keep the activation ID (only when all copies move); default false." })),
  },
  { additionalProperties: false },
);

/** Renew, upgrade and upsell answer with the entitlement as it is now and the new line item. */
export const LifecycleOut = Type.Object({ entitlement: EntitlementRef, lineItem: LineItemSchema });
/** Transfers answer with the new entitlement (held by the target account) and the source as it is now. */
export const TransferOut = Type.Object({ entitlement: EntitlementRef, source: EntitlementRef });
export const LineageEntry = Type.Object({
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

export const MergeBody = Type.Object({ intoAccountId: Id }, { additionalProperties: false });
export const MergeResultSchema = Type.Object({
  fromAccountId: Type.String(),
  intoAccountId: Type.String(),
  count: Type.Integer({ description: "Entitlements whose channel partners changed." }),
  movedTiers: Type.Integer({
    description: "Channel-partner rows given to the target, tier and current owner unchanged.",
  }),
});
export const LineageSchema = Type.Object({
  lineItem: LineageEntry,
  ancestors: Type.Array(LineageEntry),
  descendants: Type.Array(LineageEntry),
});

export type LifecycleResult = Static<typeof LifecycleOut>;
export type TransferResult = Static<typeof TransferOut>;
export type RenewBody = Static<typeof RenewBody>;
export type UpgradeBody = Static<typeof UpgradeBody>;
export type UpsellBody = Static<typeof UpsellBody>;
export type TransferBody = Static<typeof TransferBody>;
export type TransferLineItemBody = Static<typeof TransferLineItemBody>;
export type MergeBody = Static<typeof MergeBody>;
export type MergeResult = Static<typeof MergeResultSchema>;
export type LineageEntry = Static<typeof LineageEntry>;
export type Lineage = Static<typeof LineageSchema>;
