import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import fastifyCookie from "@fastify/cookie";
import fastifyMultipart from "@fastify/multipart";
import fastifyRateLimit from "@fastify/rate-limit";
import fastifyStatic from "@fastify/static";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import helmet from "helmet";
import { LIMITS } from "../../common/src/limits.js";
// The kinds of job the app's routes queue (the key jobs) register with the job registry, so that
// any runner of this process, the server's or a test's, runs them.
import "./jobs/handlers.js";
// The email job (mail.send), queued by the mail dispatcher.
import "./jobs/mailHandlers.js";
// The webhook job (webhook.deliver), queued by the webhook dispatcher.
import "./jobs/webhookHandlers.js";
import { setMailEnvironment } from "./mail/environment.js";
import { observeRequest, seriesOf } from "./metrics.js";
import { authPlugin } from "./plugins/auth.js";
import { errorsPlugin } from "./plugins/errors.js";
import { idempotencyPlugin } from "./plugins/idempotency.js";
import type { AppDeps } from "./plugins/types.js";
import { requestValidatorFactory } from "./plugins/validator.js";
import { registerRoutes } from "./routes/index.js";
import { metricsRoutes } from "./routes/metrics.js";
import { databaseRateLimitStore } from "./security/rateLimitStore.js";
import { soapRoutes } from "./soap/endpoint.js";

export interface BuildOptions {
  /** Pino options or false; tests pass false. */
  logger?: boolean | object;
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Query parameters whose values are never keys (enumerations and numbers): logged as they are. */
const PLAIN_QUERY = new Set(["limit", "status", "state", "mode", "format", "kind", "type", "sort", "order", "afterKeyNumber"]);
/** A portal address segment such as `redeem`, `my-entitlements` or `v1`: words, never a key. */
const WORD_RE = /^([a-z]+([.-][a-z]+)*|v\d)$/;
const mask = (v: string) => (v.length <= 8 ? `${v.slice(0, 2)}…` : `${v.slice(0, 5)}…${v.slice(-2)}`);
const decode = (v: string) => {
  try {
    return decodeURIComponent(v.replace(/\+/g, " "));
  } catch {
    return v;
  }
};

/**
 * The URL as logged: a key can be anywhere in it (the QR code's `/redeem?key=…`, `?prefix=`,
 * `?activationId=`, `?entitlementId=`, `?q=`, an entitlement ID `{key}ENT` in the path), so every
 * query value but enumerations and numbers, and every path parameter but a UUID, is masked the way
 * audit masks keys (first five and last two characters). Segments of an address no route declares
 * (the portal's) are kept only when they are plain words.
 */
export function logUrl(url: string, pattern: string | undefined): string {
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  const declared = pattern?.split("/");
  const segments = path.split("/").map((seg, i) => {
    const decl = declared?.[i];
    if (decl !== undefined && !decl.includes(":") && !decl.includes("*")) return seg;
    const v = decode(seg);
    return v === "" || UUID_RE.test(v) || (decl === undefined || decl.includes("*") ? WORD_RE.test(v) : false)
      ? seg
      : encodeURIComponent(mask(v));
  });
  if (q === -1) return segments.join("/");
  const query = url
    .slice(q + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq === -1) return pair.length > 24 ? encodeURIComponent(mask(decode(pair))) : pair;
      const name = pair.slice(0, eq);
      return PLAIN_QUERY.has(decode(name)) ? pair : `${name}=${encodeURIComponent(mask(decode(pair.slice(eq + 1))))}`;
    })
    .join("&");
  return `${segments.join("/")}?${query}`;
}

/** Builds the whole HTTP application around already-opened dependencies. main.ts listens; tests inject. */
export async function buildApp(deps: AppDeps, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      opts.logger === false
        ? false
        : {
            level: deps.config.logLevel,
            // Credentials never reach the log, whatever a later change logs; nor do whole web
            // register keys (PRODUCT.md §3): not in a logged body field, a database error's detail
            // ("Key (key_canon)=(…) already exists") or a URL (see logUrl).
            redact: {
              paths: [
                "req.headers.authorization",
                "req.headers.cookie",
                'req.headers["x-csrf-token"]',
                'res.headers["set-cookie"]',
                "*.password",
                "*.currentPassword",
                "*.newPassword",
                "*.token",
                "*.key",
                "*.keys",
                "err.detail",
              ],
              censor: "[redacted]",
            },
            serializers: {
              req: (req: FastifyRequest) => ({
                method: req.method,
                url: logUrl(req.url, req.routeOptions?.url),
                host: req.host,
                remoteAddress: req.ip,
                remotePort: req.socket?.remotePort,
              }),
            },
            ...(typeof opts.logger === "object" ? opts.logger : {}),
          },
    bodyLimit: LIMITS.bodyLimitBytes,
    trustProxy: deps.config.trustProxy as boolean | string,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      // randomUUID draws from a cached pool of entropy; randomBytes made a system call per request.
      return typeof given === "string" && REQUEST_ID_RE.test(given) ? given : crypto.randomUUID();
    },
    // Request validation (plugins/validator.ts): bodies without type coercion, NUL refused everywhere.
    ajv: { customOptions: { removeAdditional: false, allErrors: true, useDefaults: true } },
    schemaController: { compilersFactory: { buildValidator: requestValidatorFactory } },
    // IDs may be 255 characters, more once percent-encoded; the default (100) would answer 414.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate("deps", deps);
  // What rendered emails say of this instance: its portal's address and the producer's name.
  setMailEnvironment({ portalUrl: deps.config.publicUrl, producer: deps.config.publisherName });
  app.addHook("onSend", async (req, reply) => {
    reply.header("x-request-id", req.id);
    if (req.url.startsWith("/api/")) reply.header("cache-control", "no-store");
  });

  if (deps.config.metricsToken || deps.config.metricsListen) countRequests(app);
  await app.register(errorsPlugin);
  // Helmet's middleware is built once. @fastify/helmet built it again on every request (for
  // per-route options, which Licensor does not use): GET /api/health answered 7,500 req/s with
  // that and 12,000-14,000 without (BENCHMARKS.md).
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        // Mantine sets inline style attributes; scripts stay same-origin only.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", "data:"],
        scriptSrc: ["'self'"],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        upgradeInsecureRequests: null,
      },
    },
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: false, // set by the TLS-terminating proxy, which knows whether HTTPS is really in front
  });
  app.addHook("onRequest", (req, reply, done) => securityHeaders(req.raw, reply.raw, () => done()));
  await app.register(fastifyCookie);
  // Per-IP route limits (login, registration) are counted in the database, shared by every process.
  await app.register(fastifyRateLimit, { global: false, store: databaseRateLimitStore(deps.db) });
  // Key files are streamed to disk, so a large limit costs no memory.
  await app.register(fastifyMultipart, { limits: { fileSize: 512 * 1024 * 1024, files: 1, fields: 10, fieldSize: 1024 } });
  await app.register(authPlugin);
  await app.register(idempotencyPlugin);

  await app.register(fastifySwagger, {
    // Shared schemas become components named by their $id (rather than def-0, def-1…).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Licensor API",
        version: "1.0.0",
        description:
          "Entitlement and license back office. Errors are RFC 9457 problem+json with a stable `code`. Lists use keyset paging (`limit`, `cursor` → `nextCursor`) and filters of the form `field=OPERATOR:value` with STARTS_WITH, CONTAINS, ENDS_WITH, EQUALS for text and BEFORE, AFTER, ON for dates. Creating calls honour `Idempotency-Key`.",
      },
      components: {
        securitySchemes: {
          bearer: {
            type: "http",
            scheme: "bearer",
            description: "API token from POST /api/v1/tokens or `licensor token create`.",
          },
          session: {
            type: "apiKey",
            in: "cookie",
            name: "licensor_session",
            description: "Portal session; unsafe methods also need X-CSRF-Token.",
          },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/api/docs", staticCSP: true });
  app.get("/api/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  await registerRoutes(app);
  // FNO-compatible SOAP facade (EntitlementOrderService), its own content types and Faults.
  await app.register(soapRoutes);

  const webDir = deps.config.webDir;
  if (fs.existsSync(path.join(webDir, "index.html"))) {
    await app.register(fastifyStatic, {
      root: webDir,
      wildcard: false,
      index: ["index.html"],
      // The build writes .br and .gz beside each asset (web/vite.config.ts); they are sent as they
      // are to browsers that accept them, so no request spends CPU compressing.
      preCompressed: true,
      cacheControl: false,
      setHeaders: (res, file) => {
        res.setHeader("cache-control", staticCacheControl(path.relative(webDir, file)));
        res.setHeader("vary", "accept-encoding");
      },
    });
    // The portal is a single-page app: any non-API GET that is not a file gets index.html.
    app.get("/*", { schema: { hide: true } }, (req, reply) => {
      const url = req.url.split("?")[0] ?? "/";
      if (url.startsWith("/api/")) {
        return reply.callNotFound();
      }
      const file = path.join(webDir, path.normalize(url));
      if (file.startsWith(webDir) && fs.existsSync(file) && fs.statSync(file).isFile()) {
        return reply.sendFile(path.relative(webDir, file));
      }
      // A script of an older release is not there any more: a 404, not the page as JavaScript.
      if (url.startsWith("/assets/")) return reply.callNotFound();
      return reply.type("text/html").sendFile("index.html");
    });
  }
  return app;
}

/**
 * The metrics-only app of LICENSOR_METRICS_LISTEN: `GET /metrics` and nothing else, on its own
 * listener (server.ts), so the main port need not expose it.
 */
export async function buildMetricsApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.decorate("deps", deps);
  await app.register(metricsRoutes, { separate: true });
  return app;
}

/**
 * Request count and latency per route pattern (never the raw URL, which holds IDs and keys), method
 * and status class. Each route gets its own onResponse hook holding its series, made when the route
 * is declared, so a request costs an increment and an observation, with no lookup or label object.
 * Requests no route matched (404s) are not counted: their URLs are anyone's to make up.
 */
function countRequests(app: FastifyInstance): void {
  app.addHook("onRoute", (route) => {
    const methods = [route.method].flat();
    const series = new Map(methods.map((m) => [m, seriesOf(m, route.url)]));
    const only = methods.length === 1 ? series.get(methods[0] as string) : undefined;
    const hook = (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const s = only ?? series.get(req.method);
      if (s) observeRequest(s, reply.statusCode, reply.elapsedTime / 1000);
      done();
    };
    const given = route.onResponse;
    route.onResponse = given === undefined ? [hook] : [...[given].flat(), hook];
  });
}

/** Vite's file names under assets/: `<name>-<8-symbol content hash>.<ext>`. */
const HASHED_ASSET = /^assets\/[^/]+-[A-Za-z0-9_-]{8}\.[a-z0-9]+$/;

/**
 * A hashed asset never changes under its name: cached for a year, never revalidated. Anything else
 * (index.html, favicon) is revalidated on every use (ETag/Last-Modified answer 304), so a new
 * release reaches browsers at once.
 */
export function staticCacheControl(relativePath: string): string {
  const name = relativePath
    .split(path.sep)
    .join("/")
    .replace(/\.(br|gz)$/, "");
  return HASHED_ASSET.test(name) ? "public, max-age=31536000, immutable" : "no-cache";
}
