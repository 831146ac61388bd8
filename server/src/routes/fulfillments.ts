import type { FastifyInstance } from "fastify";
import {
  ActivateBody,
  ActivationResultResponse,
  EmailLicenseBody,
  EmailLicenseResultSchema,
  FulfillmentDetailResponse,
  FulfillmentListQuery,
  FulfillmentRef,
  OfflineActivateBody,
  RehostBody,
  RepairBody,
  ReturnBody,
  SupportResultResponse,
} from "../../../common/src/api/fulfillments.js";
import { errorResponses, fileResponse, IdParams, Page } from "../../../common/src/api/shared.js";
import { HOST_ID_TYPES } from "../../../common/src/enums.js";
import { normalizeHostId } from "../../../verifier/src/index.js";
import { fulfillmentActivator, offlineActivator } from "../commands/fulfillmentActivator.js";
import { fulfillmentEmailer } from "../commands/fulfillmentEmailer.js";
import { fulfillmentDetail, loadVisibleFulfillment } from "../commands/fulfillmentReader.js";
import { fulfillmentSupporter } from "../commands/fulfillmentSupport.js";
import { listFulfillments } from "../db/repos/fulfillments.js";
import { parseTextFilter } from "../domain/filters.js";
import { ctxOf, requireActor } from "../plugins/auth.js";
import { scopeFulfillments } from "../policies/fulfillments.js";
import { licenseFileName, licenseTextOf, presentActivation, presentFulfillment } from "../presenters/fulfillments.js";
import { typed } from "./typed.js";

const tags = ["licenses"];

/**
 * Licenses (issue 14): activate a line item (online, or an offline request file), list and read
 * fulfillments, download the license, and return, rehost or repair one.
 */
export async function fulfillmentRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  const { db, config } = app.deps;

  app.post(
    "/api/v1/activations",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Activate a line item: generate and sign a license for the given hosts",
        body: ActivateBody,
        response: { 201: ActivationResultResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      const r = await fulfillmentActivator(db, ctxOf(req), config, req.body);
      return reply.status(201).send(presentActivation(r.record, r.availableCount, r.emailMessageId));
    },
  );

  app.post(
    "/api/v1/activations/actions/upload-request",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Activate from an offline activation request file (the same file again gives the same license)",
        body: OfflineActivateBody,
        response: { 200: ActivationResultResponse, 201: ActivationResultResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      const r = await offlineActivator(db, ctxOf(req), config, req.body);
      return reply.status(r.created ? 201 : 200).send(presentActivation(r.record, r.availableCount, r.emailMessageId));
    },
  );

  app.get(
    "/api/v1/fulfillments",
    {
      schema: {
        tags,
        summary: "List fulfillments (generated licenses), newest first",
        querystring: FulfillmentListQuery,
        response: { 200: Page(FulfillmentRef), ...errorResponses },
      },
    },
    async (req) => {
      const actor = requireActor(req);
      const q = req.query;
      const hostFilter = q.hostId !== undefined ? parseTextFilter("hostId", q.hostId, "EQUALS") : undefined;
      const page = await listFulfillments(
        db,
        {
          onlyAccountIds: scopeFulfillments(actor),
          q: q.q,
          entitlementId: q.entitlementId,
          activationId: q.activationId,
          lineItemId: q.lineItemId,
          accountId: q.accountId,
          hostId: hostFilter
            ? {
                filter: hostFilter,
                normalizedByType: Object.fromEntries(HOST_ID_TYPES.map((t) => [t, normalizeHostId(t, hostFilter.value)])),
              }
            : undefined,
          state: q.state,
          type: q.type,
        },
        q,
      );
      return { items: page.items.map(presentFulfillment), nextCursor: page.nextCursor };
    },
  );

  app.get(
    "/api/v1/fulfillments/:id",
    {
      schema: {
        tags,
        summary: "Get a fulfillment with its line item's copies left, policy usage and history chain",
        params: IdParams,
        response: { 200: FulfillmentDetailResponse, ...errorResponses },
      },
    },
    async (req) => {
      const d = await fulfillmentDetail(db, ctxOf(req), req.params.id);
      return {
        fulfillment: presentFulfillment(d.record),
        availableCount: d.availableCount,
        lineItemState: d.lineItemState,
        usage: d.usage,
        history: d.history.map(presentFulfillment),
      };
    },
  );

  app.get(
    "/api/v1/fulfillments/:id/license",
    {
      schema: {
        tags,
        summary: "Download the license file (docs/LICENSE-FORMAT.md)",
        params: IdParams,
        response: { 200: fileResponse("text/plain", "The license file."), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { record } = await loadVisibleFulfillment(db, ctxOf(req), req.params.id);
      reply.header("content-type", "text/plain; charset=utf-8");
      reply.header("content-disposition", `attachment; filename="${licenseFileName(record.fulfillment_id)}"`);
      return reply.send(record.license);
    },
  );

  app.get(
    "/api/v1/fulfillments/:id/license.txt",
    {
      schema: {
        tags,
        summary: "Download the license's human-readable text only (not a license)",
        params: IdParams,
        response: { 200: fileResponse("text/plain", "The readable part of the license."), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { record } = await loadVisibleFulfillment(db, ctxOf(req), req.params.id);
      reply.header("content-type", "text/plain; charset=utf-8");
      reply.header("content-disposition", `attachment; filename="${licenseFileName(record.fulfillment_id, "txt")}"`);
      return reply.send(licenseTextOf(record.license));
    },
  );

  app.post(
    "/api/v1/fulfillments/:id/actions/email",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Email the license (to the addresses given, or its ship-to list): queued in the outbox",
        params: IdParams,
        body: EmailLicenseBody,
        response: { 202: EmailLicenseResultSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(202).send(await fulfillmentEmailer(db, ctxOf(req), req.params.id, req.body)),
  );

  for (const [verb, body, action, summary] of [
    [
      "return",
      ReturnBody,
      "RETURN",
      "Return a license: its copies go back to the line item (a partial return reissues the rest)",
    ],
    ["rehost", RehostBody, "REHOST", "Rehost a license to other hosts: the old one becomes OBSOLETE"],
    ["repair", RepairBody, "REPAIR", "Repair a license: reissue it for the same hosts, with changed attributes if given"],
  ] as const) {
    app.post(
      `/api/v1/fulfillments/:id/actions/${verb}`,
      {
        schema: { tags, summary, params: IdParams, body, response: { 200: SupportResultResponse, ...errorResponses } },
      },
      async (req) => {
        const r = await fulfillmentSupporter(db, ctxOf(req), config, req.params.id, action, req.body as never);
        return {
          previous: presentFulfillment(r.previous),
          issued: r.issued ? presentActivation(r.issued, r.availableCount, r.emailMessageId) : null,
          availableCount: r.availableCount,
        };
      },
    );
  }
}
