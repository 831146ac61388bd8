import type { FastifyInstance } from "fastify";
import {
  BulkReportSchema,
  ChainQuery,
  ChainSchema,
  OverviewSchema,
  PartnerReportParams,
  PartnerReportSchema,
  ReportQuery,
} from "../../../common/src/api/reports.js";
import { errorResponses, fileResponse, IdParams } from "../../../common/src/api/shared.js";
import { bulkReport, chainReader, overviewReport, partnerReport } from "../commands/reportReader.js";
import { ctxOf } from "../plugins/auth.js";
import {
  chainCsv,
  presentBulkReport,
  presentChain,
  presentOverview,
  presentPartnerReport,
  reportCsv,
} from "../presenters/reports.js";
import { typed } from "./typed.js";

/**
 * Reports (issue 15 items 3–4). Each report is JSON at its path; each of its tables is CSV at
 * `<path>/<table>.csv` (the same figures: `series`, `customers` with its "Others" row,
 * `resellers`, and a partner's `bulks`), so a browser link downloads it.
 */

const tags = ["reports"];
const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 120);
const BULK_TABLES = ["series", "customers", "resellers"] as const;
const PARTNER_TABLES = ["series", "customers", "resellers", "bulks"] as const;

export async function reportRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  const db = app.deps.db;

  app.get(
    "/api/v1/reports/bulk-entitlements/:id",
    {
      schema: {
        tags,
        summary:
          "Report of a bulk entitlement and the bulk entitlements split from it: keys over time, redemptions by end customer in the period, top resellers",
        params: IdParams,
        querystring: ReportQuery,
        response: { 200: BulkReportSchema, ...errorResponses },
      },
    },
    async (req) => presentBulkReport(await bulkReport(db, ctxOf(req), req.params.id, req.query)),
  );
  for (const table of BULK_TABLES) {
    app.get(
      `/api/v1/reports/bulk-entitlements/:id/${table}.csv`,
      {
        schema: {
          tags,
          summary: `The ${table} table of a bulk entitlement's report as CSV`,
          params: IdParams,
          querystring: ReportQuery,
          response: { 200: fileResponse("text/csv", "One row per item, with a header row."), ...errorResponses },
        },
      },
      async (req, reply) => {
        const r = presentBulkReport(await bulkReport(db, ctxOf(req), req.params.id, req.query));
        reply.header("content-type", "text/csv; charset=utf-8");
        reply.header("content-disposition", `attachment; filename="report-${safe(r.entitlement.entitlementId)}-${table}.csv"`);
        return reply.send(reportCsv(r, table));
      },
    );
  }

  app.get(
    "/api/v1/reports/partners/:accountId",
    {
      schema: {
        tags,
        summary: "Report of every bulk entitlement a partner account currently owns, and those split from them",
        params: PartnerReportParams,
        querystring: ReportQuery,
        response: { 200: PartnerReportSchema, ...errorResponses },
      },
    },
    async (req) => presentPartnerReport(await partnerReport(db, ctxOf(req), req.params.accountId, req.query)),
  );
  for (const table of PARTNER_TABLES) {
    app.get(
      `/api/v1/reports/partners/:accountId/${table}.csv`,
      {
        schema: {
          tags,
          summary: `The ${table} table of a partner's report as CSV`,
          params: PartnerReportParams,
          querystring: ReportQuery,
          response: { 200: fileResponse("text/csv", "One row per item, with a header row."), ...errorResponses },
        },
      },
      async (req, reply) => {
        const r = presentPartnerReport(await partnerReport(db, ctxOf(req), req.params.accountId, req.query));
        reply.header("content-type", "text/csv; charset=utf-8");
        reply.header("content-disposition", `attachment; filename="report-${safe(r.account.id)}-${table}.csv"`);
        return reply.send(reportCsv(r, table));
      },
    );
  }

  app.get(
    "/api/v1/reports/overview",
    {
      schema: {
        tags,
        summary: "The producer's home figures: entitlements by kind and state, keys loaded and redeemed, jobs, outbox, licenses",
        response: { 200: OverviewSchema, ...errorResponses },
      },
    },
    async (req) => presentOverview(await overviewReport(db, ctxOf(req))),
  );

  app.get(
    "/api/v1/entitlements/:id/chain",
    {
      schema: {
        tags: ["entitlements"],
        summary: "The chain of a bulk entitlement: from its root down through every split, with the end customers of each",
        params: IdParams,
        querystring: ChainQuery,
        response: { 200: ChainSchema, ...errorResponses },
      },
    },
    async (req) => presentChain(await chainReader(db, ctxOf(req), req.params.id, req.query.customers)),
  );
  app.get(
    "/api/v1/entitlements/:id/chain.csv",
    {
      schema: {
        tags: ["entitlements"],
        summary: "The chain of a bulk entitlement as CSV, one row per bulk entitlement",
        params: IdParams,
        querystring: ChainQuery,
        response: {
          200: fileResponse("text/csv", "One row per bulk entitlement of the chain, with a header row."),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const c = presentChain(await chainReader(db, ctxOf(req), req.params.id, req.query.customers));
      reply.header("content-type", "text/csv; charset=utf-8");
      reply.header("content-disposition", `attachment; filename="chain-${safe(c.nodes[0]?.entitlementId ?? req.params.id)}.csv"`);
      return reply.send(chainCsv(c));
    },
  );
}
