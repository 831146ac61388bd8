import type { FastifyInstance } from "fastify";
import { errorResponses, IdParams, NoContent, Page } from "../../../common/src/api/shared.js";
import {
  WebhookDeliveryDetailSchema,
  WebhookDeliveryListQuery,
  WebhookDeliverySchema,
  WebhookEndpointCreateBody,
  WebhookEndpointListQuery,
  WebhookEndpointSchema,
  WebhookEndpointUpdateBody,
  WebhookEndpointWithSecretSchema,
} from "../../../common/src/api/webhooks.js";
import { webhookEndpointCreator } from "../commands/webhookEndpointCreator.js";
import { webhookEndpointDeleter } from "../commands/webhookEndpointDeleter.js";
import { webhookEndpointUpdater } from "../commands/webhookEndpointUpdater.js";
import { webhookRedeliverer } from "../commands/webhookRedeliverer.js";
import { webhookSecretRevealer } from "../commands/webhookSecretRevealer.js";
import { webhookSecretRotator } from "../commands/webhookSecretRotator.js";
import { webhookTestSender } from "../commands/webhookTestSender.js";
import {
  findWebhookDelivery,
  findWebhookEndpointRecord,
  listWebhookDeliveries,
  listWebhookEndpoints,
} from "../db/repos/webhooks.js";
import { errors } from "../errors.js";
import { ctxOf, requireActor } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import { presentWebhookDelivery, presentWebhookDeliveryDetail, presentWebhookEndpoint } from "../presenters/webhooks.js";
import { nudgeWebhooks } from "../webhooks/dispatcher.js";
import { typed } from "./typed.js";

const tags = ["webhooks"];
const BASE = "/api/v1/webhook-endpoints";

/**
 * Webhook endpoints (Settings > Webhooks) and their delivery log. Deliveries are signed per
 * Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`) and sent in the
 * background; these routes configure, inspect and nudge them.
 */
export async function webhookRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);

  app.get(
    BASE,
    {
      schema: {
        tags,
        summary: "List webhook endpoints",
        querystring: WebhookEndpointListQuery,
        response: { 200: Page(WebhookEndpointSchema), ...errorResponses },
      },
    },
    async (req) => {
      authorize(requireActor(req), "webhook.read");
      const page = await listWebhookEndpoints(app.deps.db, req.query);
      return { items: page.items.map(presentWebhookEndpoint), nextCursor: page.nextCursor };
    },
  );

  app.post(
    BASE,
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Create a webhook endpoint",
        description:
          "The answer holds the endpoint's signing `secret` (`whsec_…`), shown again only by reveal-secret. The endpoint gets the events that happen from now on.",
        body: WebhookEndpointCreateBody,
        response: { 201: WebhookEndpointWithSecretSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { record, secret } = await webhookEndpointCreator(app.deps.db, app.deps.config, ctxOf(req), req.body);
      return reply.status(201).send({ ...presentWebhookEndpoint(record), secret });
    },
  );

  app.get(
    `${BASE}/:id`,
    {
      schema: {
        tags,
        summary: "Get a webhook endpoint",
        params: IdParams,
        response: { 200: WebhookEndpointSchema, ...errorResponses },
      },
    },
    async (req) => {
      authorize(requireActor(req), "webhook.read");
      const r = await findWebhookEndpointRecord(app.deps.db, req.params.id);
      if (!r) throw errors.notFound("Webhook endpoint", req.params.id);
      return presentWebhookEndpoint(r);
    },
  );

  app.patch(
    `${BASE}/:id`,
    {
      schema: {
        tags,
        summary: "Change a webhook endpoint",
        params: IdParams,
        body: WebhookEndpointUpdateBody,
        response: { 200: WebhookEndpointSchema, ...errorResponses },
      },
    },
    async (req) =>
      presentWebhookEndpoint(await webhookEndpointUpdater(app.deps.db, app.deps.config, ctxOf(req), req.params.id, req.body)),
  );

  app.delete(
    `${BASE}/:id`,
    {
      schema: {
        tags,
        summary: "Delete a webhook endpoint and its delivery log",
        params: IdParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      await webhookEndpointDeleter(app.deps.db, ctxOf(req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    `${BASE}/:id/reveal-secret`,
    {
      schema: {
        tags,
        summary: "Show a webhook endpoint's signing secret",
        description: "Producer admins only; the audit log records who looked.",
        params: IdParams,
        response: { 200: WebhookEndpointWithSecretSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { record, secret } = await webhookSecretRevealer(app.deps.db, app.deps.config, ctxOf(req), req.params.id);
      return { ...presentWebhookEndpoint(record), secret };
    },
  );

  app.post(
    `${BASE}/:id/rotate-secret`,
    {
      schema: {
        tags,
        summary: "Give a webhook endpoint a new signing secret",
        description: "Attempts from now on are signed with the new secret, returned here.",
        params: IdParams,
        response: { 200: WebhookEndpointWithSecretSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { record, secret } = await webhookSecretRotator(app.deps.db, app.deps.config, ctxOf(req), req.params.id);
      return { ...presentWebhookEndpoint(record), secret };
    },
  );

  app.post(
    `${BASE}/:id/test`,
    {
      schema: {
        tags,
        summary: "Send a test event to a webhook endpoint",
        description: "Records a `webhook.test` event and delivers it to this endpoint only, in the background.",
        params: IdParams,
        response: { 202: WebhookDeliverySchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const d = await webhookTestSender(app.deps.db, app.deps.config, ctxOf(req), req.params.id);
      nudgeWebhooks(app.deps.db);
      return reply.status(202).send(presentWebhookDelivery(d));
    },
  );

  app.get(
    `${BASE}/:id/deliveries`,
    {
      schema: {
        tags,
        summary: "List a webhook endpoint's deliveries, newest first",
        params: IdParams,
        querystring: WebhookDeliveryListQuery,
        response: { 200: Page(WebhookDeliverySchema), ...errorResponses },
      },
    },
    async (req) => {
      authorize(requireActor(req), "webhook.read");
      const { status, ...page } = req.query;
      if (!(await findWebhookEndpointRecord(app.deps.db, req.params.id)))
        throw errors.notFound("Webhook endpoint", req.params.id);
      const p = await listWebhookDeliveries(app.deps.db, req.params.id, { status }, page);
      return { items: p.items.map(presentWebhookDelivery), nextCursor: p.nextCursor };
    },
  );

  app.get(
    "/api/v1/webhook-deliveries/:id",
    {
      schema: {
        tags,
        summary: "Get a webhook delivery with its attempts",
        params: IdParams,
        response: { 200: WebhookDeliveryDetailSchema, ...errorResponses },
      },
    },
    async (req) => {
      authorize(requireActor(req), "webhook.read");
      const r = await findWebhookDelivery(app.deps.db, req.params.id);
      if (!r) throw errors.notFound("Webhook delivery", req.params.id);
      return presentWebhookDeliveryDetail(r);
    },
  );

  app.post(
    "/api/v1/webhook-deliveries/:id/redeliver",
    {
      schema: {
        tags,
        summary: "Send a webhook delivery again now",
        description: "A new attempt with the same `webhook-id`, in the background; its outcome joins the delivery's attempts.",
        params: IdParams,
        response: { 202: WebhookDeliverySchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const d = await webhookRedeliverer(app.deps.db, ctxOf(req), req.params.id);
      nudgeWebhooks(app.deps.db);
      return reply.status(202).send(presentWebhookDelivery(d));
    },
  );
}
