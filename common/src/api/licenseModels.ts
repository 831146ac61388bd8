import { type Static, Type } from "typebox";
import {
  ATTRIBUTE_TIMES,
  ATTRIBUTE_VALUE_TYPES,
  DURATION_UNITS,
  LICENSE_MODEL_STATES,
  LICENSE_MODEL_TYPES,
  LICENSE_TECHNOLOGIES,
} from "../enums.js";
import { Name, OptionalText, PageQuery, StringEnum, TextFilterParam } from "./shared.js";

export const LicenseModelStateSchema = StringEnum(LICENSE_MODEL_STATES);
export const TechnologySchema = StringEnum(LICENSE_TECHNOLOGIES, {
  description: "CERTIFICATE: a signed license file; ACTIVATION: activated online against this server.",
});
export const ModelTypeSchema = StringEnum(LICENSE_MODEL_TYPES);
export const ValueTypeSchema = StringEnum(ATTRIBUTE_VALUE_TYPES);
export const TimeSchema = StringEnum(ATTRIBUTE_TIMES, {
  description: "ENTITLEMENT: the value is given on the entitlement; FULFILLMENT: when a license is generated.",
});

const Limit = Type.Unsafe<number | null>({
  type: ["integer", "null"],
  minimum: 0,
  maximum: 1_000_000,
  description: "null: unlimited.",
});
/**
 * The period returns, rehosts, repairs and extra activations are counted over, per line item ("2 rehosts per 1 YEARS");
 * null: over the line item's whole life.
 */
export const PolicyWindow = Type.Unsafe<{ count: number; unit: (typeof DURATION_UNITS)[number] } | null>({
  type: ["object", "null"],
  properties: { count: { type: "integer", minimum: 1, maximum: 1000 }, unit: { type: "string", enum: [...DURATION_UNITS] } },
  required: ["count", "unit"],
  additionalProperties: false,
  description:
    "The period the allowed returns, rehosts, repairs and extra activations are counted over, per line item; null: its whole life.",
});
export const PoliciesIn = Type.Object(
  {
    allowedReturns: Type.Optional(Limit),
    allowedRehosts: Type.Optional(Limit),
    allowedRepairs: Type.Optional(Limit),
    allowedExtraActivations: Type.Optional(
      Type.Unsafe<number | null>({
        type: ["integer", "null"],
        minimum: 0,
        maximum: 1_000_000,
        description:
          "Copies an activation may take past the line item's copies (FNO's overdraft), per line item over the window. Default 0: none; null: unlimited.",
      }),
    ),
    window: Type.Optional(PolicyWindow),
  },
  { additionalProperties: false },
);
export const AttributeIn = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    valueType: ValueTypeSchema,
    time: TimeSchema,
    required: Type.Boolean(),
    defaultValue: OptionalText(1000),
    allowedValues: Type.Optional(
      Type.Array(Type.String({ maxLength: 255 }), { maxItems: 500, description: "ENUM only, and required for it." }),
    ),
  },
  { additionalProperties: false },
);

export const LicenseModelAttributeSchema = Type.Object({
  name: Type.String(),
  valueType: ValueTypeSchema,
  time: TimeSchema,
  required: Type.Boolean(),
  defaultValue: Type.Union([Type.String(), Type.Null()]),
  allowedValues: Type.Array(Type.String()),
});

/** null: unlimited. */
export const LicenseModelPoliciesSchema = Type.Object({
  allowedReturns: Type.Union([Type.Integer(), Type.Null()]),
  allowedRehosts: Type.Union([Type.Integer(), Type.Null()]),
  allowedRepairs: Type.Union([Type.Integer(), Type.Null()]),
  allowedExtraActivations: Type.Union([Type.Integer(), Type.Null()], {
    description: "Extra activations (copies past the line item's copies) per line item over the window; 0: none.",
  }),
  window: PolicyWindow,
});

export const LicenseModelSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    technology: TechnologySchema,
    modelType: ModelTypeSchema,
    state: LicenseModelStateSchema,
    attributes: Type.Array(LicenseModelAttributeSchema),
    policies: LicenseModelPoliciesSchema,
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: "LicenseModel" },
);

const writable = {
  description: OptionalText(),
  attributes: Type.Optional(Type.Array(AttributeIn, { maxItems: 200 })),
  policies: Type.Optional(PoliciesIn),
};

export const LicenseModelListQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(Type.String({ description: "Simple search in name and description." })),
    name: TextFilterParam("Name (default operator CONTAINS)"),
    state: Type.Optional(LicenseModelStateSchema),
    technology: Type.Optional(TechnologySchema),
    modelType: Type.Optional(ModelTypeSchema),
  },
  { additionalProperties: false },
);

export const LicenseModelCreateBody = Type.Object(
  { name: Name, technology: TechnologySchema, modelType: ModelTypeSchema, ...writable },
  { additionalProperties: false },
);
export const LicenseModelUpdateBody = Type.Object(
  {
    name: Type.Optional(Name),
    technology: Type.Optional(TechnologySchema),
    modelType: Type.Optional(ModelTypeSchema),
    ...writable,
  },
  { additionalProperties: false },
);
export const LicenseModelChangeStateBody = Type.Object({ state: LicenseModelStateSchema }, { additionalProperties: false });

export type LicenseModel = Static<typeof LicenseModelSchema>;
export type LicenseModelAttribute = Static<typeof LicenseModelAttributeSchema>;
export type LicenseModelPolicies = Static<typeof LicenseModelPoliciesSchema>;
export type LicenseModelListQuery = Static<typeof LicenseModelListQuery>;
export type LicenseModelCreateBody = Static<typeof LicenseModelCreateBody>;
export type LicenseModelUpdateBody = Static<typeof LicenseModelUpdateBody>;
export type LicenseModelChangeStateBody = Static<typeof LicenseModelChangeStateBody>;
