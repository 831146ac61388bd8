import type { FastifyInstance } from "fastify";
import {
  RedeemBody,
  RegistrationBody,
  RegistrationResultSchema,
  RedeemResultSchema as Result,
} from "../../../common/src/api/redemptions.js";
import { errorResponses } from "../../../common/src/api/shared.js";
import { entitlementRecord } from "../commands/entitlementSupport.js";
import { keyRedeemer, keyRedemptionUnit } from "../commands/keyRedeemer.js";
import { redemptionAttempt, redemptionInOneUnit } from "../commands/redemptionAttempt.js";
import { selfRegistrar } from "../commands/selfRegistrar.js";
import { sessionCreator } from "../commands/sessionCreator.js";
import { groupCommitOf } from "../db/groupCommit.js";
import { findUser, membershipsOfUser } from "../db/repos/users.js";
import { ctxOf, SESSION_COOKIE } from "../plugins/auth.js";
import { presentEntitlementRecord } from "../presenters/entitlements.js";
import { presentUser } from "../presenters/users.js";
import { type Admission, RedeemGuard, rateHeaders } from "../security/redeemGuard.js";
import { typed } from "./typed.js";

export async function redemptionRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  const { config, db } = app.deps;
  const guard = new RedeemGuard(db, {
    ipPerMinute: config.redeemIpPerMinute,
    accountPerMinute: config.redeemAccountPerMinute,
    missesBeforeLock: config.redeemMissesBeforeLock,
  });
  const group = groupCommitOf(db);

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
      const attempt = { subjects: { ip: req.ip, account }, ctx, ip: req.ip, requestId: req.id, key: req.body.key };
      const onAdmitted = (admitted: Admission) => reply.headers(rateHeaders(admitted));
      // SQLite: the attempt in one commit of the group commit; PostgreSQL: the guard's statement, then the redemption's.
      const r = group
        ? await redemptionInOneUnit(db, group, guard, attempt, () => keyRedemptionUnit(db, ctx, req.body), onAdmitted)
        : await redemptionAttempt(db, guard, attempt, (withClaim) => keyRedeemer(db, ctx, req.body, withClaim), onAdmitted);
      return reply
        .status(r.created ? 201 : 200)
        .send({ created: r.created, entitlement: presentEntitlementRecord(r.entitlement) });
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
      const r = await redemptionAttempt(
        db,
        guard,
        { subjects: { ip: req.ip, account: null }, ctx: null, ip: req.ip, requestId: req.id, key: req.body.key },
        () => selfRegistrar(db, { ip: req.ip, requestId: req.id }, req.body),
        (admitted) => reply.headers(rateHeaders(admitted)),
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
        entitlement: presentEntitlementRecord(await entitlementRecord(db, r.entitlementPk)),
      });
    },
  );
}
