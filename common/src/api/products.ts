import { type Static, Type } from "typebox";
import { PRODUCT_STATES, PRODUCT_TYPES } from "../enums.js";
import { LIMITS } from "../limits.js";
import { Name, OptionalText, PageQuery, StringEnum, TextFilterParam } from "./shared.js";

export const ProductStateSchema = StringEnum(PRODUCT_STATES);
export const ProductTypeSchema = StringEnum(PRODUCT_TYPES);
const Version = Type.String({ minLength: 1, maxLength: 64 });
// One schema with a type list, not a union: the validator coerces 0 to null for a bare null branch.
const Count = Type.Unsafe<number | null>({
  type: ["integer", "null"],
  minimum: 1,
  description: "Licensed count; null means uncounted.",
});
export const FeatureIn = Type.Object({ name: Name, version: Version, count: Count }, { additionalProperties: false });
const IdList = (description: string) =>
  Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.idMax }), { maxItems: 500, description }));

export const FeatureSchema = Type.Object({
  name: Type.String(),
  version: Type.String(),
  count: Type.Union([Type.Integer(), Type.Null()]),
});

export const ProductSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    version: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    type: ProductTypeSchema,
    state: ProductStateSchema,
    features: Type.Array(FeatureSchema),
    licenseModelIds: Type.Array(Type.String()),
    upgradeToIds: Type.Array(Type.String()),
    upsellToIds: Type.Array(Type.String()),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: "Product" },
);

const writable = {
  description: OptionalText(),
  type: Type.Optional(ProductTypeSchema),
  features: Type.Optional(Type.Array(FeatureIn, { maxItems: 1000, description: "Features in the order given." })),
  licenseModelIds: IdList("License models this product may be sold with; empty means any."),
  upgradeToIds: IdList("Products this one can be upgraded to."),
  upsellToIds: IdList("Products this one can be upsold to."),
};

export const ProductListQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(Type.String({ description: "Simple search in name, version and description." })),
    name: TextFilterParam("Name (default operator CONTAINS)"),
    version: TextFilterParam("Version (default operator EQUALS)"),
    state: Type.Optional(ProductStateSchema),
    type: Type.Optional(ProductTypeSchema),
  },
  { additionalProperties: false },
);

export const ProductCreateBody = Type.Object({ name: Name, version: Version, ...writable }, { additionalProperties: false });
export const ProductUpdateBody = Type.Object(
  { name: Type.Optional(Name), version: Type.Optional(Version), ...writable },
  { additionalProperties: false },
);
export const ProductChangeStateBody = Type.Object({ state: ProductStateSchema }, { additionalProperties: false });

export type Product = Static<typeof ProductSchema>;
export type Feature = Static<typeof FeatureSchema>;
export type ProductListQuery = Static<typeof ProductListQuery>;
export type ProductCreateBody = Static<typeof ProductCreateBody>;
export type ProductUpdateBody = Static<typeof ProductUpdateBody>;
export type ProductChangeStateBody = Static<typeof ProductChangeStateBody>;
