import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { LoginBody, PasswordChangeBody, SessionSchema } from "../../../common/src/api/session.js";
import { errorResponses, NoContent } from "../../../common/src/api/shared.js";
import { portalOf } from "../actor.js";
import { passwordChanger } from "../commands/passwordChanger.js";
import { sessionCreator } from "../commands/sessionCreator.js";
import { sessionEnder } from "../commands/sessionEnder.js";
import { sessionCsrfToken } from "../db/repos/sessions.js";
import { recentSettings } from "../db/repos/settings.js";
import { findUser, membershipsOfUser } from "../db/repos/users.js";
import { errors } from "../errors.js";
import { ctxOf, requireActor, SESSION_COOKIE } from "../plugins/auth.js";
import { presentUser } from "../presenters/users.js";
import { typed } from "./typed.js";

/** A host name that only reaches the machine it is typed on: a key card pointing there leads nowhere. */
function isLocalHost(url: string): boolean {
  try {
    const host = new URL(url).hostname.toLowerCase();
    return host === "localhost" || host.endsWith(".localhost") || /^127\./.test(host) || host === "[::1]" || host === "0.0.0.0";
  } catch {
    return true;
  }
}

const tags = ["session"];

export async function sessionRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  const publicUrl = { url: app.deps.config.publicUrl, local: isLocalHost(app.deps.config.publicUrl) };
  const secure = (req: FastifyRequest) => app.deps.config.secureCookies || req.protocol === "https";
  const setCookie = (req: FastifyRequest, reply: FastifyReply, value: string, expires: Date) =>
    reply.setCookie(SESSION_COOKIE, value, { path: "/", httpOnly: true, sameSite: "strict", secure: secure(req), expires });

  app.post(
    "/api/v1/session",
    {
      config: { rateLimit: { max: 30, timeWindow: "1 minute" } },
      schema: {
        tags,
        summary: "Log in with email and password",
        description:
          "Sets an HTTP-only session cookie and returns the CSRF token to send on unsafe requests. Every attempt for an email is counted before the password is checked: 5 failures lock the email out for a growing time (429 login_locked), however many arrive at once. At most 30 attempts a minute per client address, counted across all server processes. An unknown email, a wrong password and a deactivated user get the same 401.",
        security: [],
        body: LoginBody,
        response: { 200: SessionSchema, 429: errorResponses[400], ...errorResponses },
      },
    },
    async (req, reply) => {
      const r = await sessionCreator(
        app.deps.db,
        {
          email: req.body.email,
          password: req.body.password,
          ip: req.ip,
          userAgent: req.headers["user-agent"] ?? null,
          requestId: req.id,
        },
        app.deps.config.sessionTtlHours,
      );
      const user = await findUser(app.deps.db, r.userId);
      if (!user) throw errors.unauthenticated();
      setCookie(req, reply, r.cookieValue, new Date(r.expiresAt));
      const memberships = await membershipsOfUser(app.deps.db, r.userId);
      return {
        user: presentUser(user, memberships),
        portal: portalOf({ type: "user", userId: r.userId, email: user.email, tokenId: null, memberships: r.memberships }),
        csrfToken: r.csrfToken,
        authMethod: "session" as const,
        producerName: (await recentSettings(app.deps.db)).producerName,
        publicUrl,
      };
    },
  );

  app.get(
    "/api/v1/session",
    { schema: { tags, summary: "Who am I", response: { 200: SessionSchema, ...errorResponses } } },
    async (req) => {
      const actor = requireActor(req);
      if (!actor.userId) throw errors.unauthenticated();
      const user = await findUser(app.deps.db, actor.userId);
      if (!user) throw errors.unauthenticated();
      const csrfToken = req.authMethod === "session" && req.sessionId ? await sessionCsrfToken(app.deps.db, req.sessionId) : null;
      const held = await membershipsOfUser(app.deps.db, actor.userId);
      // A token acts with its own single role only; show that, not everything its user holds.
      const memberships =
        req.authMethod === "token"
          ? actor.memberships.map((m) => ({
              accountId: m.accountId,
              accountName: held.find((h) => h.accountId === m.accountId)?.accountName ?? m.accountId,
              accountType: m.accountType,
              role: m.role,
            }))
          : held;
      return {
        user: presentUser(user, memberships),
        portal: portalOf(actor),
        csrfToken,
        authMethod: req.authMethod ?? "session",
        producerName: (await recentSettings(app.deps.db)).producerName,
        publicUrl,
      };
    },
  );

  app.delete(
    "/api/v1/session",
    { schema: { tags, summary: "Log out", response: { 204: NoContent, ...errorResponses } } },
    async (req, reply) => {
      const ctx = ctxOf(req);
      if (req.authMethod === "session" && req.sessionId) {
        await sessionEnder(app.deps.db, ctx, req.sessionId);
      }
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
      return reply.status(204).send(null);
    },
  );

  app.post(
    "/api/v1/session/password",
    {
      schema: {
        tags,
        summary: "Change my password",
        description:
          "The new password must pass the password policy (not common, guessable or trivially patterned; the reason is in `detail`). Ends every other session of the user; `revokeTokens: true` also revokes all the user's API tokens.",
        body: PasswordChangeBody,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      await passwordChanger(app.deps.db, ctxOf(req), { ...req.body, keepSessionId: req.sessionId });
      return reply.status(204).send(null);
    },
  );
}
