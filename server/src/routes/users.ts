import type { FastifyInstance } from "fastify";
import { errorResponses, IdParams, Page } from "../../../common/src/api/shared.js";
import {
  PasswordResetBody,
  PasswordResetSchema,
  UserCreateBody,
  UserCreatedSchema,
  UserListQuery,
  UserSchema,
  UserUpdateBody,
} from "../../../common/src/api/users.js";
import { userCreator } from "../commands/userCreator.js";
import { userPasswordResetter } from "../commands/userPasswordResetter.js";
import { userStatusChanger } from "../commands/userStatusChanger.js";
import { loadVisibleUser, userUpdater } from "../commands/userUpdater.js";
import { listUsers, membershipsMany } from "../db/repos/users.js";
import { parseTextFilter } from "../domain/filters.js";
import { ctxOf, requireActor } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import { scopeUsers } from "../policies/users.js";
import { presentUser } from "../presenters/users.js";
import { typed } from "./typed.js";

const tags = ["users"];

export async function userRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);

  app.get(
    "/api/v1/users",
    {
      schema: {
        tags,
        summary: "List users",
        description: "Producer staff see every user; a portal admin sees the users of its accounts; anyone else only itself.",
        querystring: UserListQuery,
        response: { 200: Page(UserSchema), ...errorResponses },
      },
    },
    async (req) => {
      const actor = requireActor(req);
      authorize(actor, "user.list");
      const q = req.query;
      const page = await listUsers(
        app.deps.db,
        {
          ...scopeUsers(actor),
          q: q.q,
          email: q.email !== undefined ? parseTextFilter("email", q.email, "CONTAINS") : undefined,
          lastName: q.lastName !== undefined ? parseTextFilter("lastName", q.lastName, "CONTAINS") : undefined,
          accountId: q.accountId,
          role: q.role,
          status: q.status,
        },
        q,
      );
      const ms = await membershipsMany(
        app.deps.db,
        page.items.map((u) => u.id),
      );
      return { items: page.items.map((u) => presentUser(u, ms.get(u.id) ?? [])), nextCursor: page.nextCursor };
    },
  );

  app.post(
    "/api/v1/users",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Create a user",
        description: "Without `password` one is generated and returned once as `initialPassword`.",
        body: UserCreateBody,
        response: {
          201: UserCreatedSchema,
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const r = await userCreator(app.deps.db, ctxOf(req), req.body);
      const user = presentUser(r.user.row, r.user.memberships);
      return reply.status(201).send(r.initialPassword ? { ...user, initialPassword: r.initialPassword } : user);
    },
  );

  app.get(
    "/api/v1/users/:id",
    { schema: { tags, summary: "Get a user", params: IdParams, response: { 200: UserSchema, ...errorResponses } } },
    async (req) => {
      const { row, memberships } = await loadVisibleUser(app.deps.db, ctxOf(req), req.params.id);
      return presentUser(row, memberships);
    },
  );

  app.patch(
    "/api/v1/users/:id",
    {
      schema: {
        tags,
        summary: "Update a user",
        description: "`memberships`, when given, replaces the user's whole set of (account, role).",
        params: IdParams,
        body: UserUpdateBody,
        response: { 200: UserSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { row, memberships } = await userUpdater(app.deps.db, ctxOf(req), req.params.id, req.body);
      return presentUser(row, memberships);
    },
  );

  for (const [verb, status] of [
    ["deactivate", "INACTIVE"],
    ["activate", "ACTIVE"],
  ] as const) {
    app.post(
      `/api/v1/users/:id/actions/${verb}`,
      {
        schema: {
          tags,
          summary: verb === "deactivate" ? "Deactivate a user (ends its sessions; its tokens stop working)" : "Reactivate a user",
          params: IdParams,
          response: { 200: UserSchema, ...errorResponses },
        },
      },
      async (req) => {
        const { row, memberships } = await userStatusChanger(app.deps.db, ctxOf(req), req.params.id, status);
        return presentUser(row, memberships);
      },
    );
  }

  app.post(
    "/api/v1/users/:id/actions/reset-password",
    {
      schema: {
        tags,
        summary: "Set a new password for a user",
        description:
          "Generates one unless `password` is given; the generated password is returned once. A given password must pass the password policy (not common, guessable or trivially patterned; the reason is in `detail`). Ends all the user's sessions; `revokeTokens: true` also revokes all its API tokens.",
        params: IdParams,
        body: PasswordResetBody,
        response: {
          200: PasswordResetSchema,
          ...errorResponses,
        },
      },
    },
    async (req) => userPasswordResetter(app.deps.db, ctxOf(req), req.params.id, req.body ?? {}),
  );
}
