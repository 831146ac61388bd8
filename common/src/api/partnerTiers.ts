import { type Static, Type } from "typebox";
import { Name, OptionalText } from "./shared.js";

const TierName = Type.String({
  minLength: 1,
  maxLength: 128,
  description: "The tier's constant, e.g. bo.constants.partnertiernames.tier2: letters, digits, '.', '_', '-'.",
});
const Rank = Type.Integer({ minimum: 0, maximum: 1_000_000, description: "Position in the channel; lower comes first." });
export const PartnerTierParams = Type.Object({ name: TierName });

export const PartnerTierSchema = Type.Object(
  {
    name: Type.String(),
    displayName: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    rank: Type.Integer(),
    builtIn: Type.Boolean(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: "PartnerTier" },
);

/** Every tier at once: never paged, so `nextCursor` is always null. */
export const PartnerTierListSchema = Type.Object({ items: Type.Array(PartnerTierSchema), nextCursor: Type.Null() });

export const PartnerTierCreateBody = Type.Object(
  { name: TierName, displayName: Name, description: OptionalText(), rank: Rank },
  { additionalProperties: false },
);
export const PartnerTierUpdateBody = Type.Object(
  { displayName: Type.Optional(Name), description: OptionalText(), rank: Type.Optional(Rank) },
  { additionalProperties: false },
);

export type PartnerTier = Static<typeof PartnerTierSchema>;
export type PartnerTierList = Static<typeof PartnerTierListSchema>;
export type PartnerTierCreateBody = Static<typeof PartnerTierCreateBody>;
export type PartnerTierUpdateBody = Static<typeof PartnerTierUpdateBody>;
