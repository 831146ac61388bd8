import { type Static, Type } from "typebox";
import { LIMITS } from "../limits.js";
import { EntitlementRef } from "./entitlements.js";

/**
 * Splitting down the channel (PRODUCT.md §3, fno-notes splitBulkEntitlement / splitLineItem):
 * N unredeemed keys of a bulk entitlement, or part of a line item's count, move from the current
 * owner to a related account in another tier, into a matching entitlement there or a new one.
 */

const Id = Type.String({ minLength: 1, maxLength: 255 });
const Target = {
  targetAccountId: Type.String({ minLength: 1, maxLength: 255, description: "A related account of the current owner." }),
  tier: Type.String({
    minLength: 1,
    maxLength: 255,
    description: "The target's tier (a partner tier's name), one not already on the entitlement.",
  }),
  targetEntitlementId: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: "A matching DEPLOYED entitlement of the target account (its id); without it a new one is created.",
    }),
  ),
  contactUserId: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: "A user of the target account: its contact in the new tier, emailed a split notice (Outbox).",
    }),
  ),
};

export const SplitBulkBody = Type.Object(
  {
    ...Target,
    count: Type.Optional(
      Type.Integer({ minimum: 1, maximum: LIMITS.copiesMax, description: "How many unredeemed keys move (oldest first)." }),
    ),
    keys: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 255 }), {
        minItems: 1,
        maxItems: 10_000,
        description: "The unredeemed keys that move (instead of count).",
      }),
    ),
  },
  { additionalProperties: false },
);

export const SplitLineItemBody = Type.Object(
  {
    ...Target,
    count: Type.Integer({ minimum: 1, maximum: LIMITS.copiesMax, description: "Available (unfulfilled) copies that move." }),
  },
  { additionalProperties: false },
);

/** The target entitlement (new or matching), the source as it is now, and how much moved. */
export const SplitOut = Type.Object({
  entitlement: EntitlementRef,
  source: EntitlementRef,
  moved: Type.Integer({ description: "Keys (bulk) or copies (line item) moved." }),
  created: Type.Boolean({ description: "True when a new entitlement was created for the target." }),
  lineItemId: Type.Optional(Type.String({ description: "Line item split: the target's line item that received the copies." })),
});

export const MatchingBulkQuery = Type.Object({ accountId: Id }, { additionalProperties: false });
export const MatchingBulkList = Type.Object({ items: Type.Array(EntitlementRef) });

export type SplitBulkBody = Static<typeof SplitBulkBody>;
export type SplitLineItemBody = Static<typeof SplitLineItemBody>;
export type SplitResult = Static<typeof SplitOut>;
export type MatchingBulkList = Static<typeof MatchingBulkList>;
