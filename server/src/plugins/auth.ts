import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { Actor, RequestContext } from "../actor.js";
import { errors } from "../errors.js";
import { actorFromSession, actorFromToken } from "../security/actorLoader.js";
import { safeEqual, sha256 } from "../util.js";

export const SESSION_COOKIE = "licensor_session";

/**
 * Who a credential was a moment ago, for one kind of request only: polling the progress of a job.
 * On SQLite a key load holds the one connection for seconds; answering "how far is it" must not
 * wait for it. Reads of progress may trust an identity checked within the last few seconds.
 */
const RECENT_MS = 5_000;
const recent = new Map<string, { actor: Actor; method: "session" | "token"; sessionId: string | null; at: number }>();
const isProgressPoll = (method: string, url: string) => method === "GET" && /^\/api\/v1\/jobs\/[^/?]+(\?|$)/.test(url);
function remember(key: string, v: { actor: Actor; method: "session" | "token"; sessionId: string | null }) {
  if (recent.size > 10_000) recent.clear();
  recent.set(key, { ...v, at: Date.now() });
}
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Identifies the caller on every API request: `Authorization: Bearer` for integrations, the
 * session cookie for the portal. Cookie-authenticated unsafe requests must echo the session's CSRF
 * token in `X-CSRF-Token` (synchronizer-token pattern); bearer requests cannot be forged by a
 * browser, so they need none.
 */
export const authPlugin = fp(async (app: FastifyInstance) => {
  app.decorateRequest("actor", null);
  app.decorateRequest("csrfFailed", false);
  app.decorateRequest("authMethod", null);
  app.decorateRequest("sessionId", null);
  app.addHook("onRequest", async (req) => {
    if (!req.url.startsWith("/api/")) return;
    const auth = req.headers.authorization;
    const poll = isProgressPoll(req.method, req.url);
    if (auth) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      if (!m) throw errors.unauthenticated("The Authorization header must be 'Bearer <token>'.");
      const cacheKey = `t:${sha256(m[1] as string)}`;
      const hit = poll ? recent.get(cacheKey) : undefined;
      if (hit && Date.now() - hit.at < RECENT_MS) {
        req.actor = hit.actor;
        req.authMethod = "token";
        return;
      }
      const actor = await actorFromToken(app.deps.db, m[1] as string);
      if (!actor) throw errors.unauthenticated("The API token is unknown, expired, revoked or its user is deactivated.");
      req.actor = actor;
      req.authMethod = "token";
      remember(cacheKey, { actor, method: "token", sessionId: null });
      return;
    }
    const cookie = req.cookies[SESSION_COOKIE];
    if (!cookie) return;
    const cacheKey = `s:${sha256(cookie)}`;
    const hit = poll ? recent.get(cacheKey) : undefined;
    if (hit && Date.now() - hit.at < RECENT_MS) {
      req.actor = hit.actor;
      req.authMethod = "session";
      req.sessionId = hit.sessionId;
      return;
    }
    const found = await actorFromSession(app.deps.db, cookie, app.deps.config.sessionTtlHours);
    if (!found) {
      recent.delete(cacheKey);
      return;
    }
    remember(cacheKey, { actor: found.actor, method: "session", sessionId: found.sessionId });
    req.sessionId = found.sessionId;
    if (!SAFE_METHODS.has(req.method)) {
      const sent = req.headers["x-csrf-token"];
      if (typeof sent !== "string" || !safeEqual(sent, found.csrfToken)) {
        req.csrfFailed = true;
        return;
      }
    }
    req.actor = found.actor;
    req.authMethod = "session";
  });
});

/** The authenticated actor, or a 401 (403 for a missing CSRF token). */
export function requireActor(req: FastifyRequest): Actor {
  if (req.csrfFailed) throw errors.csrf();
  if (!req.actor) throw errors.unauthenticated();
  return req.actor;
}

/** The context commands receive: who, which request, from where. */
export function ctxOf(req: FastifyRequest): RequestContext {
  return { actor: requireActor(req), requestId: req.id, ip: req.ip };
}
