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
import Fastify, { type FastifyInstance } from "fastify";
import helmet from "helmet";
import { LIMITS } from "../../common/src/limits.js";
import { authPlugin } from "./plugins/auth.js";
import { errorsPlugin } from "./plugins/errors.js";
import { idempotencyPlugin } from "./plugins/idempotency.js";
import type { AppDeps } from "./plugins/types.js";
import { requestValidatorFactory } from "./plugins/validator.js";
import { registerRoutes } from "./routes/index.js";
import { databaseRateLimitStore } from "./security/rateLimitStore.js";

export interface BuildOptions {
  /** Pino options or false; tests pass false. */
  logger?: boolean | object;
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Builds the whole HTTP application around already-opened dependencies. main.ts listens; tests inject. */
export async function buildApp(deps: AppDeps, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      opts.logger === false
        ? false
        : {
            level: deps.config.logLevel,
            // Credentials never reach the log, whatever a later change logs.
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
              ],
              censor: "[redacted]",
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
  app.addHook("onSend", async (req, reply) => {
    reply.header("x-request-id", req.id);
    if (req.url.startsWith("/api/")) reply.header("cache-control", "no-store");
  });

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
