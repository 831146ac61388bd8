import { type Static, Type } from "typebox";
import { FULFILLMENT_SOURCES, FULFILLMENT_STATES, FULFILLMENT_TYPES, HOST_ID_TYPES } from "../enums.js";
import { PolicyWindow } from "./licenseModels.js";
import { NullableString, PageQuery, StringEnum, TextFilterParam } from "./shared.js";

/*
 * Licenses (PRODUCT.md §4, issue 14): activating a line item gives a fulfillment, one signed
 * license (docs/LICENSE-FORMAT.md); return, rehost and repair act on a fulfillment under its
 * license model's policies.
 */

const Id = Type.String({ minLength: 1, maxLength: 255 });
const Day = Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$", description: "YYYY-MM-DD" });
export const HostTypeSchema = StringEnum(HOST_ID_TYPES, {
  description: "How the host ID is compared (docs/LICENSE-FORMAT.md §4).",
});
export const HostIdIn = Type.Object(
  {
    type: Type.Optional(HostTypeSchema),
    id: Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: "^[^\\u0000-\\u001f\\u007f]*$",
      description: "No control characters.",
    }),
  },
  { additionalProperties: false, description: "A host ID; `type` defaults to STRING." },
);
export const HostIdSchema = Type.Object({ type: HostTypeSchema, id: Type.String() });

const AttributeValue = Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean()]);
const Attributes = Type.Record(Type.String({ maxLength: 128 }), AttributeValue, {
  description: "Fulfillment-time license model attributes, by name.",
});
const ShipToEmail = Type.Optional(
  NullableString({ maxLength: 2000, description: "Comma-separated list of addresses the license is emailed to." }),
);
const ShipToAddress = Type.Optional(NullableString({ maxLength: 2000 }));
/** Producer staff (admin, operations) may exceed a license model policy, giving a reason that is audited; end users may not. */
const Override = {
  overridePolicy: Type.Optional(Type.Boolean({ description: "Exceed the license model's policy (producer staff only)." })),
  reason: Type.Optional(NullableString({ maxLength: 1000, description: "Why; required with overridePolicy, audited." })),
};

export const ActivateBody = Type.Object(
  {
    activationId: Id,
    hosts: Type.Array(HostIdIn, {
      minItems: 1,
      maxItems: 100,
      description: "Node-locked: one or more hosts. FLOATING (served): 1 or 3 license server IDs.",
    }),
    count: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_000_000,
        description:
          "Copies this license takes from the line item. Default: the number of hosts for NODE_LOCKED_UNCOUNTED (which must equal it), 1 otherwise.",
      }),
    ),
    startDate: Type.Optional(Day),
    versionDate: Type.Optional(Day),
    shipToEmail: ShipToEmail,
    shipToAddress: ShipToAddress,
    attributes: Type.Optional(Attributes),
    sendEmail: Type.Optional(Type.Boolean({ description: "Email the license to shipToEmail (default true when given)." })),
    ...Override,
  },
  { additionalProperties: false },
);

export const OfflineActivateBody = Type.Object(
  {
    request: Type.String({
      minLength: 1,
      maxLength: 200_000,
      description: "The activation request file written by @licensor/verifier (docs/LICENSE-FORMAT.md §8), as text.",
    }),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    startDate: Type.Optional(Day),
    versionDate: Type.Optional(Day),
    shipToEmail: ShipToEmail,
    shipToAddress: ShipToAddress,
    attributes: Type.Optional(Attributes),
    sendEmail: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const FulfillmentSchema = Type.Object(
  {
    id: Type.String({ description: "The fulfillment ID (FID_…)." }),
    type: StringEnum(FULFILLMENT_TYPES),
    state: StringEnum(FULFILLMENT_STATES),
    source: StringEnum(FULFILLMENT_SOURCES),
    entitlementId: Type.String(),
    activationId: Type.String(),
    lineItemId: Type.String(),
    soldTo: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
    product: Type.Object({ name: Type.String(), version: Type.String() }),
    licenseModel: Type.Object({ id: Type.String(), name: Type.String(), type: Type.String(), technology: Type.String() }),
    hosts: Type.Array(HostIdSchema),
    count: Type.Integer(),
    overdraftCount: Type.Integer({
      minimum: 0,
      description:
        "Of count, the copies taken as extra activations (FNO's overdraft) past the line item's copies, under the license model's allowedExtraActivations; 0 normally.",
    }),
    startDate: Type.String(),
    expirationDate: Type.Union([Type.String(), Type.Null()], {
      description: "The first day it no longer works; null: permanent.",
    }),
    versionDate: Type.Union([Type.String(), Type.Null()]),
    attributes: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
    shipToEmail: Type.Union([Type.String(), Type.Null()]),
    shipToAddress: Type.Union([Type.String(), Type.Null()]),
    parentFulfillmentId: Type.Union([Type.String(), Type.Null()]),
    keyId: Type.String({ description: "The signing key's kid." }),
    reason: Type.Union([Type.String(), Type.Null()], {
      description: "The reason given for a support action or a policy override.",
    }),
    policyOverridden: Type.Boolean(),
    fulfilledAt: Type.String(),
    fulfilledBy: Type.Union([Type.String(), Type.Null()], { description: "Who generated it (email or token name)." }),
    updatedAt: Type.String(),
  },
  { $id: "Fulfillment" },
);

export const ActivationResultSchema = Type.Object({
  fulfillment: FulfillmentSchema,
  licenseFile: Type.String({ description: "The license file (docs/LICENSE-FORMAT.md §1)." }),
  fileName: Type.String(),
  availableCount: Type.Integer({ minimum: 0, description: "The line item's copies left after this activation." }),
  emailMessageId: Type.Union([Type.String(), Type.Null()], { description: "The queued email, when one was sent." }),
});

export const FulfillmentListQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(Type.String({ description: "Fulfillment ID, activation ID, entitlement ID or host ID (STARTS_WITH)." })),
    entitlementId: Type.Optional(Id),
    activationId: Type.Optional(Id),
    lineItemId: Type.Optional(Id),
    accountId: Type.Optional(Type.String({ description: "Sold-to account." })),
    hostId: TextFilterParam("Host ID, compared after normalization (default EQUALS)"),
    state: Type.Optional(StringEnum(FULFILLMENT_STATES)),
    type: Type.Optional(StringEnum(FULFILLMENT_TYPES)),
  },
  { additionalProperties: false },
);

export const EmailLicenseBody = Type.Object(
  {
    to: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2000,
        description: "Comma-separated addresses; default: the fulfillment's ship-to email.",
      }),
    ),
  },
  { additionalProperties: false },
);
export const EmailLicenseResultSchema = Type.Object({
  messageId: Type.String({
    description: "The queued message in the outbox (GET /api/v1/email/messages/:id for producer staff).",
  }),
  recipients: Type.Array(Type.String()),
});

export const ReturnBody = Type.Object(
  {
    count: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: "Copies to return (default all). A partial return reissues the rest as a new MASTER.",
      }),
    ),
    ...Override,
  },
  { additionalProperties: false },
);
export const RehostBody = Type.Object(
  { hosts: Type.Array(HostIdIn, { minItems: 1, maxItems: 100 }), sendEmail: Type.Optional(Type.Boolean()), ...Override },
  { additionalProperties: false },
);
export const RepairBody = Type.Object(
  { attributes: Type.Optional(Attributes), sendEmail: Type.Optional(Type.Boolean()), ...Override },
  { additionalProperties: false, description: "Reissue for the same host(s), with changed attributes if given." },
);
/** What a support action did: the fulfillment it acted on (now OBSOLETE or RETURNED), and the new license if one was issued. */
export const SupportResultSchema = Type.Object({
  previous: FulfillmentSchema,
  issued: Type.Union([ActivationResultSchema, Type.Null()]),
  availableCount: Type.Integer({ minimum: 0 }),
});

/** How much of each support policy a line item has used, for dialogs that say what is left. */
export const SupportUsageSchema = Type.Object({
  returns: Type.Object({ used: Type.Integer(), allowed: Type.Union([Type.Integer(), Type.Null()]) }),
  rehosts: Type.Object({ used: Type.Integer(), allowed: Type.Union([Type.Integer(), Type.Null()]) }),
  repairs: Type.Object({ used: Type.Integer(), allowed: Type.Union([Type.Integer(), Type.Null()]) }),
  extraActivations: Type.Object({
    used: Type.Integer({ description: "Extra copies taken over the window (a return does not give them back to the policy)." }),
    allowed: Type.Union([Type.Integer(), Type.Null()]),
    inUse: Type.Integer({ description: "The line item's copies licensed as extra activations now." }),
  }),
  window: PolicyWindow,
});
export const FulfillmentDetailSchema = Type.Object({
  fulfillment: FulfillmentSchema,
  availableCount: Type.Integer({ minimum: 0 }),
  lineItemState: Type.String(),
  usage: SupportUsageSchema,
  history: Type.Array(FulfillmentSchema, {
    description: "The chain this license belongs to: parents and children, oldest first.",
  }),
});

export type HostIdIn = Static<typeof HostIdIn>;
export type HostId = Static<typeof HostIdSchema>;
export type ActivateBody = Static<typeof ActivateBody>;
export type OfflineActivateBody = Static<typeof OfflineActivateBody>;
export type Fulfillment = Static<typeof FulfillmentSchema>;
export type ActivationResult = Static<typeof ActivationResultSchema>;
export type FulfillmentListQuery = Static<typeof FulfillmentListQuery>;
export type ReturnBody = Static<typeof ReturnBody>;
export type RehostBody = Static<typeof RehostBody>;
export type RepairBody = Static<typeof RepairBody>;
export type SupportResult = Static<typeof SupportResultSchema>;
export type SupportUsage = Static<typeof SupportUsageSchema>;
export type FulfillmentDetail = Static<typeof FulfillmentDetailSchema>;
export type EmailLicenseBody = Static<typeof EmailLicenseBody>;
export type EmailLicenseResult = Static<typeof EmailLicenseResultSchema>;

/*
 * The same responses with the fulfillment by reference (registered once as the `Fulfillment`
 * component), for the routes: a response holding two fulfillments cannot carry its `$id` twice.
 * Their types are the ones above.
 */
export const FulfillmentRef = Type.Unsafe<Fulfillment>(Type.Ref("Fulfillment"));
export const ActivationResultResponse = Type.Unsafe<ActivationResult>(
  Type.Object({ ...ActivationResultSchema.properties, fulfillment: FulfillmentRef }),
);
export const SupportResultResponse = Type.Unsafe<SupportResult>(
  Type.Object({
    ...SupportResultSchema.properties,
    previous: FulfillmentRef,
    issued: Type.Union([ActivationResultResponse, Type.Null()]),
  }),
);
export const FulfillmentDetailResponse = Type.Unsafe<FulfillmentDetail>(
  Type.Object({
    ...FulfillmentDetailSchema.properties,
    fulfillment: FulfillmentRef,
    history: Type.Array(FulfillmentRef, {
      description: "The chain this license belongs to: parents and children, oldest first.",
    }),
  }),
);
