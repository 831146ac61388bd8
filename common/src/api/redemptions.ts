import { type Static, Type } from "typebox";
import { EntitlementRef } from "./entitlements.js";
import { Email, Name, NullableString } from "./shared.js";
import { UserSchema } from "./users.js";

export const RedeemBody = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 300 }),
    soldTo: Type.Optional(
      NullableString({ maxLength: 255, description: "Account the key is registered to (default: your own)." }),
    ),
    owner: Type.Optional(NullableString({ maxLength: 255, description: "The person who owns it (optional)." })),
  },
  { additionalProperties: false },
);
/** `created` is false when this account had already registered the key (200 rather than 201). */
export const RedeemResultSchema = Type.Object({ created: Type.Boolean(), entitlement: EntitlementRef });

export const RegistrationBody = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 300 }),
    company: Name,
    firstName: Name,
    lastName: Name,
    email: Email,
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
/** The new user's session (the cookie is set) and the entitlement the key became. */
export const RegistrationResultSchema = Type.Object({
  user: Type.Union([UserSchema, Type.Null()]),
  portal: Type.Literal("enduser"),
  csrfToken: Type.String(),
  entitlement: EntitlementRef,
});

export type RedeemResult = Static<typeof RedeemResultSchema>;
export type RegistrationResult = Static<typeof RegistrationResultSchema>;
export type RedeemBody = Static<typeof RedeemBody>;
export type RegistrationBody = Static<typeof RegistrationBody>;
