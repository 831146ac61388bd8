import type { FastifyInstance } from "fastify";
import { errorResponses, IdParams, NoContent, Page } from "../../../common/src/api/shared.js";
import { ApiTokenSchema, TokenCreateBody, TokenCreatedSchema, TokenListQuery } from "../../../common/src/api/tokens.js";
import { tokenCreator } from "../commands/tokenCreator.js";
import { tokenRevoker } from "../commands/tokenRevoker.js";
import { listTokens } from "../db/repos/tokens.js";
import { ctxOf, requireActor } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import { producerAdmin } from "../policies/predicates.js";
import { presentToken } from "../presenters/tokens.js";
import { typed } from "./typed.js";

const tags = ["tokens"];

export async function tokenRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);

  app.get(
    "/api/v1/tokens",
    {
      schema: {
        tags,
        summary: "List API tokens",
        description: "Your own tokens; a producer admin may pass `all=true` to see everyone's.",
        querystring: TokenListQuery,
        response: { 200: Page(ApiTokenSchema), ...errorResponses },
      },
    },
    async (req) => {
      const actor = requireActor(req);
      authorize(actor, "token.list");
      const everyone = req.query.all === true && producerAdmin(actor);
      const page = await listTokens(app.deps.db, everyone ? null : (actor.userId ?? "-"), req.query);
      return { items: page.items.map((t) => presentToken(t, t.user_email)), nextCursor: page.nextCursor };
    },
  );

  app.post(
    "/api/v1/tokens",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Create an API token",
        description:
          "The token acts with `role` on `accountId` (a role you hold there, or a weaker one). The secret `token` is returned only in this response; send it as `Authorization: Bearer <token>`.",
        body: TokenCreateBody,
        response: { 201: TokenCreatedSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { row, userEmail, token } = await tokenCreator(app.deps.db, ctxOf(req), req.body);
      return reply.status(201).send({ ...presentToken(row, userEmail), token });
    },
  );

  app.delete(
    "/api/v1/tokens/:id",
    { schema: { tags, summary: "Revoke an API token", params: IdParams, response: { 204: NoContent, ...errorResponses } } },
    async (req, reply) => {
      await tokenRevoker(app.deps.db, ctxOf(req), req.params.id);
      return reply.status(204).send(null);
    },
  );
}
