import { type Static, Type } from "typebox";
import { ACCOUNT_TYPES } from "../enums.js";
import { DateFilterParam, Name, NullableString, OptionalText, PageQuery, StringEnum, TextFilterParam } from "./shared.js";

/** Accounts: customers, channel partners, self-registered companies and the one publisher. */

export const AccountTypeSchema = StringEnum(ACCOUNT_TYPES);
/** The PUBLISHER account is made at first start, never through the API. */
export const WritableAccountType = StringEnum(["CUSTOMER", "CHANNEL_PARTNER", "SELF_REGISTERED"] as const);

export const AddressIn = Type.Object(
  {
    address1: OptionalText(255),
    address2: OptionalText(255),
    city: OptionalText(255),
    state: OptionalText(255),
    zipcode: OptionalText(64),
    country: OptionalText(255),
    region: OptionalText(255),
  },
  { additionalProperties: false },
);

export const AddressSchema = Type.Object({
  address1: Type.Union([Type.String(), Type.Null()]),
  address2: Type.Union([Type.String(), Type.Null()]),
  city: Type.Union([Type.String(), Type.Null()]),
  state: Type.Union([Type.String(), Type.Null()]),
  zipcode: Type.Union([Type.String(), Type.Null()]),
  country: Type.Union([Type.String(), Type.Null()]),
  region: Type.Union([Type.String(), Type.Null()]),
});

export const AccountSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    type: AccountTypeSchema,
    description: Type.Union([Type.String(), Type.Null()]),
    address: AddressSchema,
    visible: Type.Boolean(),
    parentId: Type.Union([Type.String(), Type.Null()]),
    relatedAccountIds: Type.Array(Type.String()),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: "Account" },
);

export const AccountListQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(Type.String({ description: "Simple search in ID and name." })),
    id: TextFilterParam("Account ID"),
    name: TextFilterParam("Name"),
    country: TextFilterParam("Country"),
    type: Type.Optional(AccountTypeSchema),
    parentId: Type.Optional(Type.String()),
    createdAt: DateFilterParam("Creation date"),
  },
  { additionalProperties: false },
);

export const AccountCreateBody = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 255, description: "Account ID, chosen by you; unique." }),
    name: Name,
    type: WritableAccountType,
    description: OptionalText(),
    address: Type.Optional(AddressIn),
    visible: Type.Optional(Type.Boolean({ description: "Visible to partners in other tiers (default true)." })),
    parentId: Type.Optional(NullableString({ minLength: 1, maxLength: 255 })),
    relateTo: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description:
          "A CHANNEL_PARTNER account the new account is related to, in the same transaction. A partner portal admin creates CUSTOMER and CHANNEL_PARTNER accounts only this way, related to its own account (its default when it administers exactly one).",
      }),
    ),
  },
  { additionalProperties: false },
);

export const AccountUpdateBody = Type.Object(
  {
    name: Type.Optional(Name),
    type: Type.Optional(WritableAccountType),
    description: OptionalText(),
    address: Type.Optional(AddressIn),
    visible: Type.Optional(Type.Boolean()),
    parentId: Type.Optional(NullableString({ minLength: 1, maxLength: 255 })),
  },
  { additionalProperties: false },
);

export const RelateAccountBody = Type.Object({ accountId: Type.String({ minLength: 1 }) }, { additionalProperties: false });
export const RelatedAccountParams = Type.Object({ id: Type.String(), relatedId: Type.String() });
export const RelatedAccountsSchema = Type.Object({ relatedAccountIds: Type.Array(Type.String()) });

/** An account related to another (account_relations), as the partner portal lists them: whom it may split to. */
export const RelatedAccountSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: AccountTypeSchema,
  country: Type.Union([Type.String(), Type.Null()]),
  relatedAt: Type.String({ description: "When the two accounts were related." }),
  tiers: Type.Array(Type.String(), {
    description: "Display names of the tiers this account holds on entitlements the other account is also on (e.g. Reseller).",
  }),
  sharedEntitlements: Type.Integer({ description: "Entitlements both accounts are on (in any tier)." }),
  managed: Type.Boolean({
    description: "True when the other account created this one in its partner portal and so places its users.",
  }),
});
export const RelatedAccountListSchema = Type.Object({ items: Type.Array(RelatedAccountSchema) });

export type Account = Static<typeof AccountSchema>;
export type RelatedAccount = Static<typeof RelatedAccountSchema>;
export type RelatedAccountList = Static<typeof RelatedAccountListSchema>;
export type Address = Static<typeof AddressSchema>;
export type AddressInput = Static<typeof AddressIn>;
export type AccountListQuery = Static<typeof AccountListQuery>;
export type AccountCreateBody = Static<typeof AccountCreateBody>;
export type AccountUpdateBody = Static<typeof AccountUpdateBody>;
export type RelatedAccounts = Static<typeof RelatedAccountsSchema>;
