import type { FastifyInstance } from "fastify";
import {
  AccountCreateBody,
  AccountListQuery,
  AccountSchema,
  AccountUpdateBody,
  RelateAccountBody,
  RelatedAccountListSchema,
  RelatedAccountParams,
  RelatedAccountsSchema,
} from "../../../common/src/api/accounts.js";
import { errorResponses, IdParams, NoContent, Page } from "../../../common/src/api/shared.js";
import { accountCreator } from "../commands/accountCreator.js";
import { accountDeleter } from "../commands/accountDeleter.js";
import { accountRelator } from "../commands/accountRelator.js";
import { accountUpdater } from "../commands/accountUpdater.js";
import { relatedAccountsReader } from "../commands/relatedAccountsReader.js";
import { findAccount, listAccounts, relatedAccountIds, relatedAccountIdsMany } from "../db/repos/accounts.js";
import { parseDateFilter, parseTextFilter } from "../domain/filters.js";
import { errors } from "../errors.js";
import { ctxOf, requireActor } from "../plugins/auth.js";
import { scopeAccounts } from "../policies/accounts.js";
import { authorize, can } from "../policies/index.js";
import { presentAccount, presentRelatedAccount } from "../presenters/accounts.js";
import { typed } from "./typed.js";

const tags = ["accounts"];

export async function accountRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  app.get(
    "/api/v1/accounts",
    {
      schema: {
        tags,
        summary: "List accounts",
        description: "Producer staff see every account; portal users see the accounts they belong to.",
        querystring: AccountListQuery,
        response: { 200: Page(AccountSchema), ...errorResponses },
      },
    },
    async (req) => {
      const actor = requireActor(req);
      authorize(actor, "account.list");
      const q = req.query;
      const page = await listAccounts(
        app.deps.db,
        {
          onlyIds: scopeAccounts(actor),
          q: q.q,
          id: q.id !== undefined ? parseTextFilter("id", q.id) : undefined,
          name: q.name !== undefined ? parseTextFilter("name", q.name, "CONTAINS") : undefined,
          country: q.country !== undefined ? parseTextFilter("country", q.country) : undefined,
          type: q.type,
          parentId: q.parentId,
          createdAt: q.createdAt !== undefined ? parseDateFilter("createdAt", q.createdAt) : undefined,
        },
        q,
      );
      const related = await relatedAccountIdsMany(
        app.deps.db,
        page.items.map((a) => a.id),
      );
      return { items: page.items.map((a) => presentAccount(a, related.get(a.id) ?? [])), nextCursor: page.nextCursor };
    },
  );

  app.post(
    "/api/v1/accounts",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Create an account",
        body: AccountCreateBody,
        response: { 201: AccountSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const row = await accountCreator(app.deps.db, ctxOf(req), req.body);
      return reply.status(201).send(presentAccount(row, await relatedAccountIds(app.deps.db, row.id)));
    },
  );

  app.get(
    "/api/v1/accounts/:id",
    { schema: { tags, summary: "Get an account", params: IdParams, response: { 200: AccountSchema, ...errorResponses } } },
    async (req) => {
      const actor = requireActor(req);
      const row = await findAccount(app.deps.db, req.params.id);
      if (!row || !can(actor, "account.read", row)) throw errors.notFound("Account", req.params.id);
      return presentAccount(row, await relatedAccountIds(app.deps.db, row.id));
    },
  );

  app.patch(
    "/api/v1/accounts/:id",
    {
      schema: {
        tags,
        summary: "Update an account",
        params: IdParams,
        body: AccountUpdateBody,
        response: { 200: AccountSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { row, relatedAccountIds } = await accountUpdater(app.deps.db, ctxOf(req), req.params.id, req.body);
      return presentAccount(row, relatedAccountIds);
    },
  );

  app.delete(
    "/api/v1/accounts/:id",
    {
      schema: { tags, summary: "Delete an unused account", params: IdParams, response: { 204: NoContent, ...errorResponses } },
    },
    async (req, reply) => {
      await accountDeleter(app.deps.db, ctxOf(req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    "/api/v1/accounts/:id/related-accounts",
    {
      schema: {
        tags,
        summary: "Relate another account (partner↔partner, partner↔customer)",
        params: IdParams,
        body: RelateAccountBody,
        response: { 200: RelatedAccountsSchema, ...errorResponses },
      },
    },
    async (req) => ({
      relatedAccountIds: await accountRelator(app.deps.db, ctxOf(req), req.params.id, req.body.accountId, "relate"),
    }),
  );

  app.get(
    "/api/v1/accounts/:id/related-accounts",
    {
      schema: {
        tags,
        summary: "The accounts related to this one (whom its partners may split to), with the tiers they hold",
        description: "For producer staff and the account's own users; 404 for others.",
        params: IdParams,
        response: { 200: RelatedAccountListSchema, ...errorResponses },
      },
    },
    async (req) => ({
      items: (await relatedAccountsReader(app.deps.db, ctxOf(req), req.params.id)).map(presentRelatedAccount),
    }),
  );

  app.delete(
    "/api/v1/accounts/:id/related-accounts/:relatedId",
    {
      schema: {
        tags,
        summary: "Remove a relation between two accounts",
        params: RelatedAccountParams,
        response: { 200: RelatedAccountsSchema, ...errorResponses },
      },
    },
    async (req) => ({
      relatedAccountIds: await accountRelator(app.deps.db, ctxOf(req), req.params.id, req.params.relatedId, "unrelate"),
    }),
  );
}
