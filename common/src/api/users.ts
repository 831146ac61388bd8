import { type Static, Type } from "typebox";
import { type AccountType, ROLES, USER_STATUSES } from "../enums.js";
import { LIMITS } from "../limits.js";
import { Email, Name, OptionalText, PageQuery, StringEnum, TextFilterParam } from "./shared.js";

export const MembershipSchema = Type.Object({
  accountId: Type.String(),
  accountName: Type.String(),
  // Documented as a plain string (as it always was); typed as the account type it always holds.
  accountType: Type.Unsafe<AccountType>(Type.String()),
  role: StringEnum(ROLES),
});

export const UserSchema = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    firstName: Type.String(),
    lastName: Type.String(),
    phone: Type.Union([Type.String(), Type.Null()]),
    locale: Type.Union([Type.String(), Type.Null()]),
    timeZone: Type.Union([Type.String(), Type.Null()]),
    status: Type.Union([Type.Literal("ACTIVE"), Type.Literal("INACTIVE")]),
    memberships: Type.Array(MembershipSchema),
    lastLoginAt: Type.Union([Type.String(), Type.Null()]),
    emailVerified: Type.Boolean({
      description:
        "The user followed the link of a verification (or password reset) email. Self-registered users start unverified.",
    }),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: "User" },
);

/** A (account, role) pair as a request gives it. */
export const MembershipIn = Type.Object(
  { accountId: Type.String({ minLength: 1 }), role: StringEnum(ROLES) },
  { additionalProperties: false },
);
const Profile = {
  firstName: Name,
  lastName: Name,
  phone: OptionalText(64),
  locale: OptionalText(35),
  timeZone: OptionalText(64),
};
const Password = Type.String({ minLength: 1, maxLength: LIMITS.passwordMax });

export const UserListQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(Type.String({ description: "Simple search in email, first and last name." })),
    email: TextFilterParam("Email"),
    lastName: TextFilterParam("Last name"),
    accountId: Type.Optional(Type.String()),
    role: Type.Optional(StringEnum(ROLES)),
    status: Type.Optional(StringEnum(USER_STATUSES)),
  },
  { additionalProperties: false },
);

export const UserCreateBody = Type.Object(
  {
    email: Email,
    ...Profile,
    password: Type.Optional(Password),
    memberships: Type.Array(MembershipIn, { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false },
);
/** The created user; `initialPassword` only when the server generated it (shown once). */
export const UserCreatedSchema = Type.Intersect([UserSchema, Type.Object({ initialPassword: Type.Optional(Type.String()) })]);

export const UserUpdateBody = Type.Object(
  {
    email: Type.Optional(Email),
    firstName: Type.Optional(Name),
    lastName: Type.Optional(Name),
    phone: OptionalText(64),
    locale: OptionalText(35),
    timeZone: OptionalText(64),
    memberships: Type.Optional(Type.Array(MembershipIn, { minItems: 1, maxItems: 50 })),
  },
  { additionalProperties: false },
);

export const PasswordResetBody = Type.Object(
  {
    password: Type.Optional(Password),
    revokeTokens: Type.Optional(Type.Boolean({ default: false, description: "Also revoke every API token of the user." })),
  },
  { additionalProperties: false },
);
export const PasswordResetSchema = Type.Object({
  password: Type.Union([Type.String(), Type.Null()]),
  sessionsEnded: Type.Integer(),
  tokensRevoked: Type.Integer(),
});

export type Membership = Static<typeof MembershipSchema>;
export type User = Static<typeof UserSchema>;
export type MembershipInput = Static<typeof MembershipIn>;
export type UserListQuery = Static<typeof UserListQuery>;
export type UserCreateBody = Static<typeof UserCreateBody>;
export type UserCreated = Static<typeof UserCreatedSchema>;
export type UserUpdateBody = Static<typeof UserUpdateBody>;
export type PasswordResetBody = Static<typeof PasswordResetBody>;
export type PasswordReset = Static<typeof PasswordResetSchema>;
