import { type Static, Type } from "typebox";
import { KEY_LIMITS } from "../limits.js";
import { KEY_STATUSES } from "../rules/keys.js";
import { PageQuery, StringEnum } from "./shared.js";

export const KeyStatusSchema = StringEnum(KEY_STATUSES);
/** `all`: a load is all-or-nothing; `partial`: the valid keys load and the report names the refused ones. */
export const LoadModeSchema = StringEnum(["all", "partial"] as const);

export const WebRegisterKeySchema = Type.Object(
  {
    key: Type.String(),
    status: KeyStatusSchema,
    createdAt: Type.String(),
    redeemedAt: Type.Union([Type.String(), Type.Null()]),
    redeemedBy: Type.Union([Type.String(), Type.Null()]),
    soldTo: Type.Union([Type.String(), Type.Null()]),
    owner: Type.Union([Type.String(), Type.Null()]),
    entitlementId: Type.Union([Type.String(), Type.Null()], { description: "The simple entitlement the key produced." }),
  },
  { $id: "WebRegisterKey" },
);

/** What a key load (import, generate, batch) did; FAILURE loaded nothing. */
export const KeyLoadReportSchema = Type.Object(
  {
    status: StringEnum(["SUCCESS", "PARTIAL_FAILURE", "FAILURE"] as const),
    mode: LoadModeSchema,
    read: Type.Integer(),
    loaded: Type.Integer(),
    rejected: Type.Integer(),
    badLines: Type.Array(Type.Object({ line: Type.Integer(), key: Type.String(), reason: Type.String() })),
    truncated: Type.Boolean(),
  },
  { $id: "KeyLoadReport" },
);

/** A request that became a background job (202). */
export const JobRefSchema = Type.Object({ jobId: Type.String(), state: Type.String() });

export const KeyListQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(KeyStatusSchema),
    prefix: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description: "Keys starting with this text, compared as keys are: case, spaces and dashes ignored, O as 0, I and L as 1.",
      }),
    ),
  },
  { additionalProperties: false },
);
export const KeyCountsSchema = Type.Object({ total: Type.Integer(), redeemed: Type.Integer(), unredeemed: Type.Integer() });

export const KeyAddBody = Type.Object({ key: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false });
export const KeyBatchBody = Type.Object(
  {
    keys: Type.Array(Type.String({ maxLength: 1000 }), { minItems: 1, maxItems: 10_000 }),
    mode: Type.Optional(LoadModeSchema),
  },
  { additionalProperties: false },
);
export const KeyGenerateBody = Type.Object(
  { count: Type.Integer({ minimum: 1, maximum: KEY_LIMITS.generateMax }) },
  { additionalProperties: false },
);
export const KeyDeleteBody = Type.Object(
  {
    keys: Type.Optional(Type.Array(Type.String({ maxLength: 255 }), { minItems: 1, maxItems: 10_000 })),
    all: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const KeyDeletedSchema = Type.Object({ deleted: Type.Integer() });
export const KeyExportQuery = Type.Object({ status: Type.Optional(KeyStatusSchema) }, { additionalProperties: false });
export const KeyExportJobBody = Type.Object({ status: Type.Optional(KeyStatusSchema) }, { additionalProperties: false });
export const KeySheetQuery = Type.Object(
  {
    status: Type.Optional(KeyStatusSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: KEY_LIMITS.pdfMax })),
    afterKeyNumber: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

/** A redeemed key of a bulk entitlement, as its partners see it (GET /entitlements/:id/redemptions). */
export const BulkRedemptionSchema = Type.Object(
  {
    key: Type.String({ description: "The key; only its last 4 characters (after •) unless the caller may read the keys." }),
    keyMasked: Type.Boolean(),
    redeemedAt: Type.String(),
    redeemedBy: Type.Union([Type.String(), Type.Null()], { description: "Who redeemed it (user or token label)." }),
    accountId: Type.Union([Type.String(), Type.Null()], { description: "The customer account it was redeemed for." }),
    accountName: Type.Union([Type.String(), Type.Null()]),
    entitlement: Type.Union([Type.String(), Type.Null()], { description: "The redeemed simple entitlement's id." }),
    entitlementId: Type.Union([Type.String(), Type.Null()], { description: "Its entitlement ID, as users know it." }),
  },
  { $id: "BulkRedemption" },
);
export const BulkRedemptionQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(
      Type.String({
        maxLength: 255,
        description:
          "Simple search: customer account name or ID; for who may read the keys also the redeemed entitlement ID and the key's start.",
      }),
    ),
  },
  { additionalProperties: false },
);

export type WebRegisterKey = Static<typeof WebRegisterKeySchema>;
export type BulkRedemption = Static<typeof BulkRedemptionSchema>;
export type BulkRedemptionQuery = Static<typeof BulkRedemptionQuery>;
export type KeyLoadReport = Static<typeof KeyLoadReportSchema>;
export type KeyBadLine = KeyLoadReport["badLines"][number];
export type LoadMode = Static<typeof LoadModeSchema>;
export type JobRef = Static<typeof JobRefSchema>;
export type KeyListQuery = Static<typeof KeyListQuery>;
export type KeyCounts = Static<typeof KeyCountsSchema>;
export type KeyAddBody = Static<typeof KeyAddBody>;
export type KeyBatchBody = Static<typeof KeyBatchBody>;
export type KeyGenerateBody = Static<typeof KeyGenerateBody>;
export type KeyDeleteBody = Static<typeof KeyDeleteBody>;
export type KeyDeleted = Static<typeof KeyDeletedSchema>;
export type KeySheetQuery = Static<typeof KeySheetQuery>;
