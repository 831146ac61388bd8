import { type Static, Type } from "typebox";
import { LIMITS } from "../limits.js";
import { OptionalText, PageQuery, TextFilterParam } from "./shared.js";

const PartId = Type.String({ minLength: 1, maxLength: LIMITS.idMax, description: "The SKU as orders name it; unique." });
const Ref = Type.String({ minLength: 1, maxLength: LIMITS.idMax });
/** `string | null` as one schema with a type list: in an anyOf the validator would coerce null to "". */
const NullableRef = Type.Unsafe<string | null>({ type: ["string", "null"], minLength: 1, maxLength: LIMITS.idMax });
const Quantity = Type.Integer({
  minimum: 1,
  maximum: LIMITS.copiesMax,
  description: "Copies of the product one unit sells (default 1).",
});

export const PartNumberSchema = Type.Object(
  {
    id: Type.String(),
    partId: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    productId: Type.String(),
    productName: Type.String(),
    productVersion: Type.String(),
    quantity: Type.Integer(),
    licenseModelId: Type.Union([Type.String(), Type.Null()]),
    licenseModelName: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: "PartNumber" },
);

export const PartNumberListQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(Type.String({ description: "Simple search in part ID and description." })),
    partId: TextFilterParam("Part ID (default operator EQUALS)"),
    productId: Type.Optional(Type.String()),
    licenseModelId: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const PartNumberCreateBody = Type.Object(
  {
    partId: PartId,
    description: OptionalText(),
    productId: Ref,
    quantity: Type.Optional(Quantity),
    licenseModelId: Type.Optional(NullableRef),
  },
  { additionalProperties: false },
);

export const PartNumberUpdateBody = Type.Object(
  {
    partId: Type.Optional(PartId),
    description: OptionalText(),
    productId: Type.Optional(Ref),
    quantity: Type.Optional(Quantity),
    licenseModelId: Type.Optional(NullableRef),
  },
  { additionalProperties: false },
);

export type PartNumber = Static<typeof PartNumberSchema>;
export type PartNumberListQuery = Static<typeof PartNumberListQuery>;
export type PartNumberCreateBody = Static<typeof PartNumberCreateBody>;
export type PartNumberUpdateBody = Static<typeof PartNumberUpdateBody>;
