import "@fastify/multipart";
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { FastifyInstance, FastifyRequest } from "fastify";
import {
  BulkRedemptionQuery,
  BulkRedemptionSchema,
  JobRefSchema as JobRef,
  KeyAddBody,
  KeyBatchBody,
  KeyCountsSchema,
  KeyDeleteBody,
  KeyDeletedSchema,
  KeyExportJobBody,
  KeyExportQuery,
  KeyGenerateBody,
  KeyListQuery,
  WebRegisterKeySchema as KeySchema,
  KeySheetQuery,
  KeyLoadReportSchema as ReportSchema,
} from "../../../common/src/api/keys.js";
import { errorResponses, fileResponse, IdParams, Page } from "../../../common/src/api/shared.js";
import { KEY_LIMITS } from "../../../common/src/limits.js";
import { bulkRedemptionReader } from "../commands/bulkRedemptionReader.js";
import { keyAdder } from "../commands/keyAdder.js";
import { keyBatchLoader } from "../commands/keyBatchLoader.js";
import { keyExporter } from "../commands/keyExporter.js";
import { keyExportJobStarter } from "../commands/keyExportJobStarter.js";
import { keyGenerator } from "../commands/keyGenerator.js";
import { keyImportStarter, type UploadedKeyFile } from "../commands/keyImportStarter.js";
import { keyRemover } from "../commands/keyRemover.js";
import { keySheetExporter } from "../commands/keySheetExporter.js";
import { keyCounts, listKeys } from "../db/repos/keys.js";
import type { Db } from "../db/schema.js";
import { AppError, errors } from "../errors.js";
import { ChunkWriter, completeStoredFile, createStoredFile, deleteStoredFile } from "../jobs/fileStore.js";
import { keysCsv } from "../keyfiles/csvExport.js";
import { writeKeySheet } from "../keyfiles/keySheet.js";
import { detectFormat, type KeyFileFormat } from "../keyfiles/readKeyFile.js";
import { bulkForKeys } from "../keys/bulkAccess.js";
import { redeemUrl, safeFileName } from "../keys/keyExport.js";
import { ctxOf } from "../plugins/auth.js";
import { presentBulkRedemption, presentKey } from "../presenters/keys.js";
import { typed } from "./typed.js";

const tags = ["web register keys"];
export async function keyRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  const { db } = app.deps;
  const runner = () => {
    if (!app.deps.jobs)
      throw new AppError(503, "service_unavailable", "Jobs unavailable", "Background jobs are not running in this process.");
    return app.deps.jobs;
  };
  app.get(
    "/api/v1/entitlements/:id/keys",
    {
      schema: {
        tags,
        summary: "List a bulk entitlement's web register keys (load order, keyset paging)",
        params: IdParams,
        querystring: KeyListQuery,
        response: { 200: Page(KeySchema), ...errorResponses },
      },
    },
    async (req) => {
      await bulkForKeys(db, ctxOf(req), req.params.id, "keys.read");
      const page = await listKeys(db, req.params.id, { status: req.query.status, prefix: req.query.prefix }, req.query);
      return { items: page.items.map(presentKey), nextCursor: page.nextCursor };
    },
  );

  app.get(
    "/api/v1/entitlements/:id/redemptions",
    {
      schema: {
        tags,
        summary: "A bulk entitlement's redeemed keys: when, which customer account, the entitlement each became (newest first)",
        description:
          "For producer staff and members of the accounts in its channel-partner tiers (404 for anyone else, end customers too). The key itself only for who may read the keys (the current owner, producer staff); others see its last 4 characters.",
        params: IdParams,
        querystring: BulkRedemptionQuery,
        response: { 200: Page(BulkRedemptionSchema), ...errorResponses },
      },
    },
    async (req) => {
      const { page, showKeys } = await bulkRedemptionReader(db, ctxOf(req), req.params.id, req.query);
      return { items: page.items.map((r) => presentBulkRedemption(r, showKeys)), nextCursor: page.nextCursor };
    },
  );

  app.get(
    "/api/v1/entitlements/:id/keys/counts",
    {
      schema: {
        tags,
        summary: "Key counts: total, redeemed, unredeemed",
        params: IdParams,
        response: {
          200: KeyCountsSchema,
          ...errorResponses,
        },
      },
    },
    async (req) => {
      await bulkForKeys(db, ctxOf(req), req.params.id, "keys.read");
      return (await keyCounts(db, req.params.id)) as { total: number; redeemed: number; unredeemed: number };
    },
  );

  app.post(
    "/api/v1/entitlements/:id/keys",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Add a web register key by hand",
        description:
          "Refused (409) when the same key — case, spaces and dashes ignored — is already loaded anywhere or is an activation ID, and (400) when it has the generated format's shape but a wrong check symbol.",
        params: IdParams,
        body: KeyAddBody,
        response: { 201: KeySchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const row = await keyAdder(app.deps, ctxOf(req), req.params.id, req.body);
      return reply.status(201).send(presentKey(row));
    },
  );

  app.post(
    "/api/v1/entitlements/:id/keys/batch",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Load keys given in the request (up to 10,000)",
        description:
          "All-or-nothing unless mode is `partial`; the report names every refused key by its position (line = index + 1).",
        params: IdParams,
        body: KeyBatchBody,
        response: { 200: ReportSchema, ...errorResponses },
      },
    },
    async (req) => {
      return keyBatchLoader(app.deps, ctxOf(req), req.params.id, req.body);
    },
  );

  app.post(
    "/api/v1/entitlements/:id/keys/generate",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Generate N keys (CSPRNG, Crockford base32, check symbol)",
        description: `Up to ${KEY_LIMITS.syncGenerateMax} keys answer at once (200 with the report); more run as a background job (202 with the job).`,
        params: IdParams,
        body: KeyGenerateBody,
        response: { 200: ReportSchema, 202: JobRef, ...errorResponses },
      },
    },
    async (req, reply) => {
      const r = await keyGenerator(app.deps, runner, ctxOf(req), req.params.id, req.body);
      return "job" in r ? reply.status(202).send(r.job) : r.report;
    },
  );

  app.post(
    "/api/v1/entitlements/:id/keys/import",
    {
      schema: {
        tags,
        summary: "Import keys from a file (multipart field `file`): FNO XML, CSV with a `key` column, or text",
        description:
          "Runs as a background job (202); its result is the load report naming each bad line. Form field `mode=partial` keeps the valid keys.",
        params: IdParams,
        consumes: ["multipart/form-data"],
        response: { 202: JobRef, ...errorResponses },
      },
    },
    async (req, reply) => {
      const job = await keyImportStarter(db, runner, ctxOf(req), req.params.id, () => receiveUpload(req, db));
      return reply.status(202).send(job);
    },
  );

  app.post(
    "/api/v1/entitlements/:id/keys/delete",
    {
      schema: {
        tags,
        summary: "Delete unredeemed keys: a list, or all unredeemed ones",
        description: `A list is all-or-nothing (a redeemed or unknown key refuses it). \`all: true\` deletes every unredeemed key; above ${KEY_LIMITS.syncDeleteAllMax} keys it runs as a job (202).`,
        params: IdParams,
        body: KeyDeleteBody,
        response: { 200: KeyDeletedSchema, 202: JobRef, ...errorResponses },
      },
    },
    async (req, reply) => {
      const r = await keyRemover(db, runner, ctxOf(req), req.params.id, req.body);
      return "job" in r ? reply.status(202).send(r.job) : r;
    },
  );

  app.get(
    "/api/v1/entitlements/:id/keys/export.csv",
    {
      schema: {
        tags,
        summary: "Export keys as CSV (streamed)",
        params: IdParams,
        querystring: KeyExportQuery,
        response: { 200: fileResponse("text/csv", "One row per key, with a header row."), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { bulk, rows } = await keyExporter(db, ctxOf(req), req.params.id, req.query);
      reply.header("content-type", "text/csv; charset=utf-8");
      reply.header("content-disposition", `attachment; filename="keys-${safeFileName(bulk.entitlement_id)}.csv"`);
      return reply.send(keysCsv(rows));
    },
  );

  app.post(
    "/api/v1/entitlements/:id/keys/exports",
    {
      schema: {
        tags,
        summary: "Export keys to a CSV file as a background job (for large sets); download it from the job when done",
        params: IdParams,
        body: KeyExportJobBody,
        response: { 202: JobRef, ...errorResponses },
      },
    },
    async (req, reply) => {
      return reply.status(202).send(await keyExportJobStarter(db, runner, ctxOf(req), req.params.id, req.body));
    },
  );

  app.get(
    "/api/v1/entitlements/:id/keys/export.pdf",
    {
      schema: {
        tags,
        summary: "Printable sheet of key cards with QR codes that open the redeem page (streamed PDF)",
        description:
          "Ten cards per A4 page, in load order. `limit` keys (default 1000, at most 20,000) starting after `afterKeyNumber` (the count of keys already printed) — print a large set in parts.",
        params: IdParams,
        querystring: KeySheetQuery,
        response: { 200: fileResponse("application/pdf", "A4 pages of key cards."), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { bulk, title, keys } = await keySheetExporter(db, ctxOf(req), req.params.id, {
        status: req.query.status ?? "UNREDEEMED",
        limit: req.query.limit ?? 1000,
        skip: req.query.afterKeyNumber ?? 0,
      });
      const out = new PassThrough();
      reply.header("content-type", "application/pdf");
      reply.header("content-disposition", `inline; filename="key-cards-${safeFileName(bulk.entitlement_id)}.pdf"`);
      const publicUrl = app.deps.config.publicUrl;
      writeKeySheet(
        keys,
        {
          title,
          subtitle: bulk.entitlement_id,
          redeemUrl: (k) => redeemUrl(publicUrl, k),
        },
        out,
      ).catch((err) => {
        req.log.error({ err }, "key sheet failed");
        out.destroy(err as Error);
      });
      return reply.send(out);
    },
  );
}

/**
 * Streams the multipart `file` into the database's file store (chunk by chunk, never whole in
 * memory), where every server process finds it, and reads the `mode`/`format` fields. A refused or
 * cut-short upload leaves nothing stored.
 */
async function receiveUpload(req: FastifyRequest, db: Db): Promise<UploadedKeyFile> {
  if (!req.isMultipart()) throw errors.validation("file", "send the key file as multipart/form-data in the field 'file'");
  let upload: string | null = null;
  let head: Buffer = Buffer.alloc(0);
  let fileName: string | null = null;
  let mode: "all" | "partial" = "all";
  let format: KeyFileFormat | null = null;
  try {
    for await (const part of req.parts()) {
      if (part.type === "file") {
        if (part.fieldname !== "file" || upload) {
          part.file.resume();
          continue;
        }
        fileName = part.filename || null;
        upload = await createStoredFile(db, { kind: "upload", jobId: null, name: fileName });
        const out = new ChunkWriter(db, upload);
        await pipeline(part.file, out);
        if (part.file.truncated) throw errors.validation("file", "is larger than the upload limit");
        head = out.head;
        await completeStoredFile(db, upload, out.bytes);
      } else if (part.fieldname === "mode") {
        const v = String(part.value);
        if (v !== "all" && v !== "partial") throw errors.validation("mode", "must be 'all' or 'partial'");
        mode = v;
      } else if (part.fieldname === "format") {
        const v = String(part.value);
        if (!["xml", "csv", "text"].includes(v)) throw errors.validation("format", "must be xml, csv or text");
        format = v as KeyFileFormat;
      }
    }
    if (!upload) throw errors.validation("file", "is required (multipart field 'file')");
    if (!format) format = detectFormat(fileName ?? undefined, head);
    return { upload, fileName, format, mode };
  } catch (err) {
    if (upload) await deleteStoredFile(db, upload);
    throw err;
  }
}
