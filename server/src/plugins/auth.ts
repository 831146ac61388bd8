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
 * wait for it. Reads of progress may trust an identity checked within the last few seconds — but
 * only for the live progress of a job running in this process (numbers, no result): an answer
 * read from the database checks the credential again (`confirmCredential`), so a revoked token or
 * an ended session never reads a job's result. Any successful change made through this process
 * (a revocation, a logout, a password change…) empties the cache. PostgreSQL is not held by a
 * load, so it never uses the cache (and several processes share it there).
 */
const RECENT_MS = 5_000;
const recent = new Map<string, { actor: Actor; method: "session" | "token"; sessionId: string | null; at: number }>();
/** Requests whose actor came from `recent` rather than from the database. */
const fromRecent = new WeakSet<FastifyRequest>();
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
    const poll = app.deps.dialect === "sqlite" && isProgressPoll(req.method, req.url);
    if (auth) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      if (!m) throw errors.unauthenticated("The Authorization header must be 'Bearer <token>'.");
      const cacheKey = `t:${sha256(m[1] as string)}`;
      const hit = poll ? recent.get(cacheKey) : undefined;
      if (hit && Date.now() - hit.at < RECENT_MS) {
        req.actor = hit.actor;
        req.authMethod = "token";
        fromRecent.add(req);
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
      fromRecent.add(req);
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
  // A change that succeeded may have revoked a credential: forget every identity remembered above.
  app.addHook("onResponse", async (req, reply) => {
    if (recent.size > 0 && !SAFE_METHODS.has(req.method) && reply.statusCode < 400 && req.url.startsWith("/api/")) {
      recent.clear();
    }
  });
});

/**
 * Checks again, against the database, a credential the progress cache vouched for; 401 when it
 * was revoked, expired or logged out since. Called before any answer read from the database.
 */
export async function confirmCredential(app: FastifyInstance, req: FastifyRequest): Promise<void> {
  if (!fromRecent.has(req)) return;
  fromRecent.delete(req);
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
  if (bearer) {
    const actor = await actorFromToken(app.deps.db, bearer);
    if (!actor) {
      recent.delete(`t:${sha256(bearer)}`);
      throw errors.unauthenticated("The API token is unknown, expired, revoked or its user is deactivated.");
    }
    req.actor = actor;
    return;
  }
  const cookie = req.cookies[SESSION_COOKIE] ?? "";
  const found = cookie ? await actorFromSession(app.deps.db, cookie, app.deps.config.sessionTtlHours) : null;
  if (!found) {
    recent.delete(`s:${sha256(cookie)}`);
    req.actor = null;
    throw errors.unauthenticated();
  }
  req.actor = found.actor;
  req.sessionId = found.sessionId;
}

/** The authenticated actor, or a 401 (403 for a missing CSRF token). */
export function requireActor(req: FastifyRequest): Actor {
  if (req.csrfFailed) throw errors.csrf();
  if (!req.actor) throw errors.unauthenticated();
  return req.actor;
}

/** The context commands receive: who, which request, from where. */
export function ctxOf(req: FastifyRequest): RequestContext {
  return { actor: requireActor(req), requestId: req.id, ip: req.ip, interface: "REST" };
}
