import { type Static, Type } from "typebox";
import { Name } from "./shared.js";

/** One configurable ID generator: prefix + groups of random characters from the alphabet. */
export const IdTemplateSchema = Type.Object(
  {
    prefix: Type.String({ maxLength: 64, description: "May contain {kind} (S or B), {orderId}, {year}." }),
    groups: Type.Integer({ minimum: 1, maximum: 16 }),
    groupLength: Type.Integer({ minimum: 1, maximum: 16 }),
    separator: Type.String({ maxLength: 3 }),
    alphabet: Type.String({ minLength: 2, maxLength: 64 }),
  },
  { additionalProperties: false },
);
/** A template as answered: with a freshly generated sample and its randomness. */
export const IdTemplateOutSchema = Type.Intersect([
  IdTemplateSchema,
  Type.Object({ example: Type.String(), randomBits: Type.Number() }),
]);
export const KeyFormatSchema = Type.Object(
  {
    groups: Type.Integer({ minimum: 1, maximum: 12 }),
    groupLength: Type.Integer({ minimum: 2, maximum: 12 }),
    separator: Type.String({ maxLength: 1, description: "'-', ' ' or empty" }),
  },
  {
    additionalProperties: false,
    description:
      "Generated keys: groups × groupLength Crockford base32 symbols, the last one a check symbol; at least 100 random bits.",
  },
);
const RedeemedTemplate = Type.String({
  minLength: 5,
  maxLength: 69,
  description:
    "ID of the simple entitlement a redeemed web register key becomes: {key} is the key (FNO's default {key}ENT). If the ID is taken, a generated entitlement ID is used.",
});
export const SettingsSchema = Type.Object(
  {
    keyFormat: Type.Intersect([KeyFormatSchema, Type.Object({ example: Type.String(), randomBits: Type.Number() })]),
    idTemplates: Type.Object({ entitlement: IdTemplateOutSchema, activation: IdTemplateOutSchema }),
    allowEditDeployed: Type.Boolean({
      description: "Let producers edit dates and descriptions of DEPLOYED entitlements and line items.",
    }),
    allowUsedItemsInactiveObsolete: Type.Boolean({
      description: "Let entitlements and line items with fulfillments go INACTIVE or OBSOLETE.",
    }),
    redeemedEntitlementIdTemplate: RedeemedTemplate,
    producerName: Type.String({ description: "The producer's name, shown in the partner and customer portals' header." }),
  },
  { $id: "Settings" },
);

export const SettingsUpdateBody = Type.Object(
  {
    idTemplates: Type.Optional(
      Type.Object(
        { entitlement: Type.Optional(IdTemplateSchema), activation: Type.Optional(IdTemplateSchema) },
        { additionalProperties: false },
      ),
    ),
    allowEditDeployed: Type.Optional(Type.Boolean()),
    allowUsedItemsInactiveObsolete: Type.Optional(Type.Boolean()),
    keyFormat: Type.Optional(KeyFormatSchema),
    redeemedEntitlementIdTemplate: Type.Optional(RedeemedTemplate),
    producerName: Type.Optional(Name),
  },
  { additionalProperties: false },
);

/** What anyone may know before logging in: the producer's name, for the login page. */
export const BrandingSchema = Type.Object({ producerName: Type.String() });

export type IdTemplate = Static<typeof IdTemplateSchema>;
export type Branding = Static<typeof BrandingSchema>;
export type IdTemplateOut = Static<typeof IdTemplateOutSchema>;
export type KeyFormat = Static<typeof KeyFormatSchema>;
export type Settings = Static<typeof SettingsSchema>;
export type SettingsUpdateBody = Static<typeof SettingsUpdateBody>;
