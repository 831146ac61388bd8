import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  RedeemBody,
  RegistrationBody,
  RegistrationResultSchema,
  RedeemResultSchema as Result,
} from "../../../common/src/api/redemptions.js";
import { errorResponses } from "../../../common/src/api/shared.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { entitlementJson } from "../commands/entitlementSupport.js";
import { keyRedeemer } from "../commands/keyRedeemer.js";
import { selfRegistrar } from "../commands/selfRegistrar.js";
import { sessionCreator } from "../commands/sessionCreator.js";
import { findUser, membershipsOfUser } from "../db/repos/users.js";
import { maskKey } from "../domain/keys.js";
import { AppError } from "../errors.js";
import { ctxOf, SESSION_COOKIE } from "../plugins/auth.js";
import { presentUser } from "../presenters/users.js";
import { type Admission, RedeemGuard, rateHeaders, type Subjects, Throttled } from "../security/redeemGuard.js";
import { typed } from "./typed.js";

/** Wrong and unknown keys count towards the lockout; other refusals (a withdrawn offer, a bad Sold To) do not. */
const isMiss = (err: unknown) => err instanceof AppError && (err.status === 404 || (err.status === 400 && err.field === "key"));

export async function redemptionRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  const { config, db } = app.deps;
  const guard = new RedeemGuard(db, {
    ipPerMinute: config.redeemIpPerMinute,
    accountPerMinute: config.redeemAccountPerMinute,
    missesBeforeLock: config.redeemMissesBeforeLock,
  });

  /**
   * Runs an attempt under the abuse controls. Refusals are audited (the key masked), but a
   * throttled window only once and a lockout's refusals not at all (the miss that set it is), so
   * a flood of refused attempts cannot fill the audit table.
   */
  async function guarded<T>(
    req: FastifyRequest,
    reply: FastifyReply,
    subjects: Subjects,
    ctx: RequestContext | null,
    key: string,
    run: () => Promise<T>,
  ): Promise<T> {
    let admitted: Admission | null = null;
    try {
      admitted = await guard.admit(subjects);
      reply.headers(rateHeaders(admitted));
      const r = await run();
      await guard.success(subjects, admitted);
      return r;
    } catch (err) {
      let lockedOut = false;
      if (admitted) {
        if (isMiss(err)) lockedOut = await guard.miss(subjects, admitted);
        else await guard.release(subjects, admitted);
      }
      if (err instanceof Throttled && !err.audit) throw err;
      const e = err instanceof AppError ? err : null;
      await db.transaction().execute((trx) =>
        recordAudit(
          trx,
          ctx ?? {
            actor: { type: "system", userId: null, email: "anonymous", tokenId: null, memberships: [] },
            requestId: req.id,
            ip: req.ip,
          },
          {
            action: "key.redeem_refused",
            objectType: "key",
            objectId: maskKey(key.trim()),
            after: {
              code: e?.code ?? "internal_error",
              status: e?.status ?? 500,
              ip: req.ip,
              ...(err instanceof Throttled ? { throttledUntilWindowEnds: true } : {}),
              ...(lockedOut ? { lockedOut: true } : {}),
            },
          },
        ),
      );
      throw err;
    }
  }

  app.post(
    "/api/v1/redemptions",
    {
      schema: {
        tags: ["web register keys"],
        summary: "Redeem a web register key into a simple entitlement",
        description:
          "201 with the new entitlement; 200 with the same entitlement when the same account redeems the key again. A typo (wrong check symbol) is reported without any lookup; an unknown key and a key redeemed by another account get the same 404. Rate limited per IP and per account (RateLimit-* headers; 429 with Retry-After), with a growing lockout after repeated wrong keys.",
        body: RedeemBody,
        response: { 200: Result, 201: Result, 429: errorResponses[400], ...errorResponses },
      },
    },
    async (req, reply) => {
      const ctx = ctxOf(req);
      // Per-account limits follow the account the key goes to (a portal user's own, by default).
      const account = req.body.soldTo ?? ctx.actor.memberships[0]?.accountId ?? null;
      const r = await guarded(req, reply, { ip: req.ip, account }, ctx, req.body.key, () => keyRedeemer(db, ctx, req.body));
      return reply.status(r.created ? 201 : 200).send(r);
    },
  );

  app.post(
    "/api/v1/registrations",
    {
      config: { rateLimit: { max: 20, timeWindow: "1 minute" } },
      schema: {
        tags: ["web register keys"],
        summary: "Register with a key: a new company account and user, the key redeemed into it, and a session",
        description:
          "The key is checked first: an unknown key (or one registered by someone else) gets the same 404, counted towards the miss lockout, whatever the email. 409 for an email that already has a user only with a redeemable key. The password must pass the password policy. At most 20 a minute per client address, across all server processes.",
        security: [],
        body: RegistrationBody,
        response: {
          201: RegistrationResultSchema,
          429: errorResponses[400],
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const r = await guarded(req, reply, { ip: req.ip, account: null }, null, req.body.key, () =>
        selfRegistrar(db, { ip: req.ip, requestId: req.id }, req.body),
      );
      const login = await sessionCreator(
        db,
        {
          email: req.body.email,
          password: req.body.password,
          ip: req.ip,
          userAgent: req.headers["user-agent"] ?? null,
          requestId: req.id,
        },
        config.sessionTtlHours,
      );
      reply.setCookie(SESSION_COOKIE, login.cookieValue, {
        path: "/",
        httpOnly: true,
        sameSite: "strict",
        secure: config.secureCookies || req.protocol === "https",
        expires: new Date(login.expiresAt),
      });
      const user = await findUser(db, r.userId);
      return reply.status(201).send({
        user: user ? presentUser(user, await membershipsOfUser(db, r.userId)) : null,
        portal: "enduser" as const,
        csrfToken: login.csrfToken,
        entitlement: await entitlementJson(db, r.entitlementPk),
      });
    },
  );
}
