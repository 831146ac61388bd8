import { type Static, Type } from "typebox";
import { LIMITS } from "../limits.js";
import { Email } from "./shared.js";
import { UserSchema } from "./users.js";

const Password = Type.String({ minLength: 1, maxLength: LIMITS.passwordMax });

export const PortalSchema = Type.Union([Type.Literal("producer"), Type.Literal("partner"), Type.Literal("enduser")], {
  description: "producer: producer staff; partner: members of a CHANNEL_PARTNER account; enduser: customers.",
});

export const SessionSchema = Type.Object({
  user: UserSchema,
  portal: PortalSchema,
  csrfToken: Type.Union([Type.String(), Type.Null()], {
    description: "Send as X-CSRF-Token on unsafe requests made with the session cookie.",
  }),
  authMethod: Type.Union([Type.Literal("session"), Type.Literal("token")]),
  producerName: Type.String({ description: "The producer's name (Settings), which the partner and customer portals show." }),
  publicUrl: Type.Object(
    {
      url: Type.String({ description: "LICENSOR_PUBLIC_URL, or its default http://localhost:<port>" }),
      local: Type.Boolean({ description: "True when that address is this machine only (localhost, 127.x, ::1)" }),
    },
    {
      description:
        "Where printed key cards and their QR codes point. The portal warns producer staff before printing cards that would lead to localhost.",
    },
  ),
});

export const LoginBody = Type.Object({ email: Email, password: Password }, { additionalProperties: false });

export const PasswordChangeBody = Type.Object(
  {
    currentPassword: Password,
    newPassword: Password,
    revokeTokens: Type.Optional(Type.Boolean({ default: false, description: "Also revoke every API token of the user." })),
  },
  { additionalProperties: false },
);

export type Portal = Static<typeof PortalSchema>;
export type Session = Static<typeof SessionSchema>;
export type LoginBody = Static<typeof LoginBody>;
export type PasswordChangeBody = Static<typeof PasswordChangeBody>;
