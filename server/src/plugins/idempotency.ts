import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { errors } from "../errors.js";
import { nowIso, sha256 } from "../util.js";

const KEY_RE = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` on creating calls (routes with `config.idempotent`). The first request claims
 * the key with an INSERT the database keeps unique; a retry with the same body replays the stored
 * answer; the same key with another body is refused. Keys are scoped per caller, so one
 * integration can never read another's stored answer.
 */
export const idempotencyPlugin = fp(async (app: FastifyInstance) => {
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
      await db
        .updateTable("idempotency_keys")
        .set({ status_code: reply.statusCode, response: typeof payload === "string" ? payload : JSON.stringify(payload ?? null) })
        .where("scope", "=", claim.scope)
        .where("key", "=", claim.key)
        .execute();
    }
    return payload;
  });
});
