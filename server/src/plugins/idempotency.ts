import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { nowIso, sha256 } from "../util.js";

const KEY_RE = /^[\x21-\x7e]{1,255}$/;

/** How long a stored answer is replayed; after that the key is free again and the row is deleted. */
export const IDEMPOTENCY_TTL_HOURS = 24;
const TTL_MS = IDEMPOTENCY_TTL_HOURS * 3_600_000;
/** Expired rows are swept at most this often per process, by the request that notices. */
const SWEEP_EVERY_MS = 10 * 60_000;

/**
 * Top-level fields of a created record that are secrets shown once (`POST /tokens` → `token`,
 * `POST /users` → `initialPassword`): never stored, so a replay answers the record with them null.
 */
export const SECRET_FIELDS = ["token", "initialPassword", "password", "secret"] as const;

/** The answer as stored for replay: the same JSON with every secret field set to null. */
export function redactSecrets(response: string): string {
  let body: unknown;
  try {
    body = JSON.parse(response);
  } catch {
    return response;
  }
  if (!body || typeof body !== "object" || Array.isArray(body)) return response;
  const o = body as Record<string, unknown>;
  if (!SECRET_FIELDS.some((f) => typeof o[f] === "string")) return response;
  for (const f of SECRET_FIELDS) if (typeof o[f] === "string") o[f] = null;
  return JSON.stringify(o);
}

const cutoff = () => new Date(Date.now() - TTL_MS).toISOString();

/**
 * `Idempotency-Key` on creating calls (routes with `config.idempotent`). The first request claims
 * the key with an INSERT the database keeps unique; a retry with the same body replays the stored
 * answer; the same key with another body is refused. Keys are scoped per caller, so one
 * integration can never read another's stored answer. Answers are kept 24 hours and stored
 * without secrets (`redactSecrets`).
 */
export const idempotencyPlugin = fp(async (app: FastifyInstance) => {
  let lastSweep = 0;
  const sweep = async (db: Db) => {
    if (Date.now() - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = Date.now();
    await db.deleteFrom("idempotency_keys").where("created_at", "<", cutoff()).execute();
  };

  app.decorateRequest("idempotency", null);
  app.addHook("preHandler", async (req, reply) => {
    if (!req.routeOptions.config?.idempotent) return;
    const raw = req.headers["idempotency-key"];
    if (raw === undefined || !req.actor) return;
    if (typeof raw !== "string" || !KEY_RE.test(raw)) {
      throw errors.validation("Idempotency-Key", "must be 1 to 255 visible ASCII characters");
    }
    const scope = req.actor.tokenId ? `token:${req.actor.tokenId}` : `user:${req.actor.userId ?? "system"}`;
    const hash = sha256(`${req.method} ${req.url}\n${JSON.stringify(req.body ?? null)}`);
    const db = app.deps.db;
    await sweep(db);
    // An expired claim of this key no longer counts: free it (conditionally, so a fresh one stays).
    await db
      .deleteFrom("idempotency_keys")
      .where("scope", "=", scope)
      .where("key", "=", raw)
      .where("created_at", "<", cutoff())
      .execute();
    const inserted = await db
      .insertInto("idempotency_keys")
      .values({ scope, key: raw, request_hash: hash, status_code: null, response: null, created_at: nowIso() })
      .onConflict((oc) => oc.columns(["scope", "key"]).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) {
      req.idempotency = { scope, key: raw };
      return;
    }
    const row = await db
      .selectFrom("idempotency_keys")
      .selectAll()
      .where("scope", "=", scope)
      .where("key", "=", raw)
      .executeTakeFirst();
    if (!row) throw errors.idempotencyInProgress();
    if (row.request_hash !== hash) throw errors.idempotencyMismatch();
    if (row.status_code === null) throw errors.idempotencyInProgress();
    reply.header("idempotent-replayed", "true");
    reply.status(row.status_code).type("application/json").send(row.response);
    return reply;
  });

  app.addHook("onSend", async (req, reply, payload) => {
    const claim = req.idempotency;
    if (!claim) return payload;
    req.idempotency = null;
    const db = app.deps.db;
    // A server error leaves nothing to replay: free the key so the client can retry.
    if (reply.statusCode >= 500) {
      await db.deleteFrom("idempotency_keys").where("scope", "=", claim.scope).where("key", "=", claim.key).execute();
    } else {
      const text = typeof payload === "string" ? payload : JSON.stringify(payload ?? null);
      await db
        .updateTable("idempotency_keys")
        .set({ status_code: reply.statusCode, response: redactSecrets(text) })
        .where("scope", "=", claim.scope)
        .where("key", "=", claim.key)
        .execute();
    }
    return payload;
  });
});
