import { type Static, Type } from "typebox";
import { ROLES } from "../enums.js";
import { Name, NullableString, PageQuery, StringEnum } from "./shared.js";

export const ApiTokenSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    prefix: Type.String({ description: "First characters of the secret, to recognise it." }),
    accountId: Type.String(),
    role: StringEnum(ROLES),
    userId: Type.String(),
    userEmail: Type.String(),
    createdAt: Type.String(),
    expiresAt: Type.Union([Type.String(), Type.Null()]),
    lastUsedAt: Type.Union([Type.String(), Type.Null()]),
    revokedAt: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: "ApiToken" },
);

export const TokenListQuery = Type.Object({ ...PageQuery, all: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

export const TokenCreateBody = Type.Object(
  {
    name: Name,
    accountId: Type.String({ minLength: 1 }),
    role: StringEnum(ROLES),
    expiresAt: Type.Optional(NullableString({ maxLength: 64, description: "ISO date or timestamp; null or absent: never." })),
  },
  { additionalProperties: false },
);
/** The created token with its secret, which no other answer ever holds. */
export const TokenCreatedSchema = Type.Intersect([ApiTokenSchema, Type.Object({ token: Type.String() })]);

export type ApiToken = Static<typeof ApiTokenSchema>;
export type TokenListQuery = Static<typeof TokenListQuery>;
export type TokenCreateBody = Static<typeof TokenCreateBody>;
export type TokenCreated = Static<typeof TokenCreatedSchema>;
