import { type Static, Type } from "typebox";
import { LIMITS } from "../limits.js";
import { Email } from "./shared.js";

/**
 * Password reset by email and email verification (issue 17 item 4): the public requests and the
 * confirmations of the single-use links the emails carry.
 */

const Token = Type.String({
  minLength: 1,
  maxLength: 128,
  description: "The token of the emailed link (its `token=` parameter).",
});

export const PasswordResetRequestBody = Type.Object({ email: Email }, { additionalProperties: false });

export const PasswordResetConfirmBody = Type.Object(
  {
    token: Token,
    password: Type.String({
      minLength: 1,
      maxLength: LIMITS.passwordMax,
      description: "The new password; it must pass the password policy (the reason is in `detail`).",
    }),
  },
  { additionalProperties: false },
);

export const EmailVerificationConfirmBody = Type.Object({ token: Token }, { additionalProperties: false });

/** The one answer of a request whose outcome must not be told (no account enumeration). */
export const EmailLinkAcceptedSchema = Type.Object(
  { message: Type.String({ description: "The same words whatever the email was." }) },
  { $id: "EmailLinkAccepted" },
);

export type PasswordResetRequestBody = Static<typeof PasswordResetRequestBody>;
export type PasswordResetConfirmBody = Static<typeof PasswordResetConfirmBody>;
export type EmailVerificationConfirmBody = Static<typeof EmailVerificationConfirmBody>;
export type EmailLinkAccepted = Static<typeof EmailLinkAcceptedSchema>;
