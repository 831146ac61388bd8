import type { FastifyInstance } from "fastify";
import {
  EmailLinkAcceptedSchema,
  EmailVerificationConfirmBody,
  PasswordResetConfirmBody,
  PasswordResetRequestBody,
} from "../../../common/src/api/accountRecovery.js";
import { errorResponses, NoContent } from "../../../common/src/api/shared.js";
import { emailVerificationConfirmer } from "../commands/emailVerificationConfirmer.js";
import { emailVerificationSender } from "../commands/emailVerificationSender.js";
import { passwordResetConfirmer } from "../commands/passwordResetConfirmer.js";
import { passwordResetRequester } from "../commands/passwordResetRequester.js";
import { ctxOf, requireActor } from "../plugins/auth.js";
import { typed } from "./typed.js";

const tags = ["session"];
const ACCEPTED = "If an account exists for this address, we sent it a link to reset the password. It works for 1 hour.";

/** Password reset by email and email verification (issue 17 item 4). */
export async function accountRecoveryRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  const { db } = app.deps;
  const meta = (req: { ip: string; id: string }) => ({ ip: req.ip, requestId: req.id });

  app.post(
    "/api/v1/password-resets",
    {
      config: { rateLimit: { max: 10, timeWindow: "1 minute" } },
      schema: {
        tags,
        summary: "Forgot password: email a reset link",
        description:
          "Always 202 with the same body, whether or not the email has a user (no account enumeration). An ACTIVE user with a password is emailed a single-use link `<public URL>/reset-password?token=…` that works for 1 hour; a newer request supersedes older links. At most 3 emails an hour per address (further requests are answered alike and send nothing) and 10 requests a minute per client address, counted across all server processes. Needs SMTP configured (Settings → Email) to reach anyone.",
        security: [],
        body: PasswordResetRequestBody,
        response: { 202: EmailLinkAcceptedSchema, 429: errorResponses[400], ...errorResponses },
      },
    },
    async (req, reply) => {
      await passwordResetRequester(db, meta(req), req.body);
      return reply.status(202).send({ message: ACCEPTED });
    },
  );

  app.post(
    "/api/v1/password-resets/confirm",
    {
      config: { rateLimit: { max: 20, timeWindow: "1 minute" } },
      schema: {
        tags,
        summary: "Set a new password with a reset link's token",
        description:
          "400 (field `token`) for a link that is unknown, used, superseded or expired, without saying which. The password must pass the password policy (400, field `password`, the reason in words; the link stays usable). On success every session of the user ends and the login lockout is cleared; API tokens are kept.",
        security: [],
        body: PasswordResetConfirmBody,
        response: { 204: NoContent, 429: errorResponses[400], ...errorResponses },
      },
    },
    async (req, reply) => {
      await passwordResetConfirmer(db, meta(req), req.body);
      return reply.status(204).send(null);
    },
  );

  app.post(
    "/api/v1/email-verifications",
    {
      config: { rateLimit: { max: 10, timeWindow: "1 minute" } },
      schema: {
        tags,
        summary: "Send my verification email again",
        description:
          "For the logged-in user: a new single-use link (24 hours; the older one stops working). 409 when already verified; at most 3 an hour per user (429).",
        response: { 202: NoContent, 429: errorResponses[400], ...errorResponses },
      },
    },
    async (req, reply) => {
      requireActor(req);
      await emailVerificationSender(db, ctxOf(req));
      return reply.status(202).send(null);
    },
  );

  app.post(
    "/api/v1/email-verifications/confirm",
    {
      config: { rateLimit: { max: 20, timeWindow: "1 minute" } },
      schema: {
        tags,
        summary: "Verify an email address with the emailed link's token",
        description: "400 (field `token`) for a link that is unknown, used, superseded or expired, without saying which.",
        security: [],
        body: EmailVerificationConfirmBody,
        response: { 204: NoContent, 429: errorResponses[400], ...errorResponses },
      },
    },
    async (req, reply) => {
      await emailVerificationConfirmer(db, meta(req), req.body);
      return reply.status(204).send(null);
    },
  );
}
