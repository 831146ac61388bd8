import "@fastify/multipart";
import crypto from "node:crypto";
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { FastifyInstance, FastifyRequest } from "fastify";
import {
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
  type WebRegisterKey,
} from "../../../common/src/api/keys.js";
import { errorResponses, fileResponse, IdParams, Page } from "../../../common/src/api/shared.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { findEntitlement } from "../db/repos/entitlements.js";
import { keyBatches, keyCounts, listKeys } from "../db/repos/keys.js";
import { loadSettings } from "../db/repos/settings.js";
import type { Db, WebRegisterKeyRow } from "../db/schema.js";
import { canonicalKey } from "../domain/keyFormat.js";
import { type KeyStatus, keyLoadStateProblem, type LoadReport } from "../domain/keys.js";
import { AppError, errors } from "../errors.js";
import { ChunkWriter, completeStoredFile, createStoredFile, deleteStoredFile } from "../jobs/fileStore.js";
import { generatedKeyBatches, type ImportParams } from "../jobs/handlers.js";
import { keysCsv } from "../keyfiles/csvExport.js";
import { writeKeySheet } from "../keyfiles/keySheet.js";
import { detectFormat, type KeyFileFormat } from "../keyfiles/readKeyFile.js";
import { deleteUnredeemedKeys } from "../keys/keyDeleter.js";
import { type KeyRecord, loadKeys } from "../keys/keyLoader.js";
import { ctxOf } from "../plugins/auth.js";
import { authorize, can } from "../policies/index.js";
import { typed } from "./typed.js";

const tags = ["web register keys"];
/** Above these sizes a request becomes a background job. */
export const SYNC_GENERATE_MAX = 10_000;
export const SYNC_DELETE_ALL_MAX = 50_000;

const presentKey = (r: WebRegisterKeyRow): WebRegisterKey => ({
  key: r.key,
  status: r.status as KeyStatus,
  createdAt: r.created_at,
  redeemedAt: r.redeemed_at,
  redeemedBy: r.redeemed_by_label,
  soldTo: r.sold_to,
  owner: r.owner,
  entitlementId: r.entitlement_id,
});

/** The bulk entitlement, if the caller may see its keys (else 404: keys are secrets). */
export async function loadBulkForKeys(db: Db, ctx: RequestContext, pk: string, action: "keys.read" | "keys.write") {
  const row = await findEntitlement(db, pk);
  if (!row || row.kind !== "BULK") throw errors.notFound("Bulk entitlement", pk);
  const owner = await db
    .selectFrom("entitlement_partners")
    .select("account_id")
    .where("entitlement_id", "=", pk)
    .where("current_owner", "=", 1)
    .executeTakeFirst();
  const ref = { currentOwnerAccountId: owner?.account_id ?? null };
  if (!can(ctx.actor, "keys.read", ref)) throw errors.notFound("Bulk entitlement", pk);
  authorize(ctx.actor, action, ref);
  return row;
}

export async function keyRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  const { db } = app.deps;
  const runner = () => {
    if (!app.deps.jobs)
      throw new AppError(503, "service_unavailable", "Jobs unavailable", "Background jobs are not running in this process.");
    return app.deps.jobs;
  };
  const syncLoad = async (
    ctx: RequestContext,
    pk: string,
    batches: AsyncIterable<KeyRecord[]>,
    mode: "all" | "partial",
    verb: "generated" | "added" | "imported",
  ): Promise<LoadReport> => {
    const conn = app.deps.bulk();
    try {
      return await loadKeys(conn, app.deps.dialect, { ctx, bulkPk: pk, batches, mode, jobId: null, verb });
    } finally {
      await conn.release();
    }
  };
  async function* once(records: KeyRecord[]) {
    yield records;
  }

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
      await loadBulkForKeys(db, ctxOf(req), req.params.id, "keys.read");
      const page = await listKeys(db, req.params.id, { status: req.query.status, prefix: req.query.prefix }, req.query);
      return { items: page.items.map(presentKey), nextCursor: page.nextCursor };
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
      await loadBulkForKeys(db, ctxOf(req), req.params.id, "keys.read");
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
      const ctx = ctxOf(req);
      await loadBulkForKeys(db, ctx, req.params.id, "keys.write");
      const key = req.body.key.trim();
      const report = await syncLoad(ctx, req.params.id, once([{ line: 1, key }]), "all", "added");
      if (report.status !== "SUCCESS") {
        const reason = report.badLines[0]?.reason ?? "was refused";
        throw reason === "already exists" || reason.startsWith("is already")
          ? errors.alreadyExists("key", `The key ${reason}.`)
          : errors.validation("key", reason.replace(/^key /, ""));
      }
      const row = await db
        .selectFrom("web_register_keys")
        .selectAll()
        .where("key_canon", "=", canonicalKey(key))
        .executeTakeFirstOrThrow();
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
      const ctx = ctxOf(req);
      await loadBulkForKeys(db, ctx, req.params.id, "keys.write");
      return syncLoad(
        ctx,
        req.params.id,
        once(req.body.keys.map((k, i) => ({ line: i + 1, key: k.trim() }))),
        req.body.mode ?? "all",
        "imported",
      );
    },
  );

  app.post(
    "/api/v1/entitlements/:id/keys/generate",
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: "Generate N keys (CSPRNG, Crockford base32, check symbol)",
        description: `Up to ${SYNC_GENERATE_MAX} keys answer at once (200 with the report); more run as a background job (202 with the job).`,
        params: IdParams,
        body: KeyGenerateBody,
        response: { 200: ReportSchema, 202: JobRef, ...errorResponses },
      },
    },
    async (req, reply) => {
      const ctx = ctxOf(req);
      const bulk = await loadBulkForKeys(db, ctx, req.params.id, "keys.write");
      const sp = keyLoadStateProblem(bulk.entitlement_id, bulk.kind, bulk.state);
      if (sp) throw errors.invalidState(sp);
      if (req.body.count <= SYNC_GENERATE_MAX)
        return syncLoad(
          ctx,
          req.params.id,
          generatedKeyBatches(req.body.count, (await loadSettings(db)).keyFormat),
          "all",
          "generated",
        );
      const jobId = await runner().enqueue(
        db,
        ctx,
        "keys.generate",
        req.params.id,
        { bulkPk: req.params.id, count: req.body.count },
        req.body.count,
      );
      return reply.status(202).send({ jobId, state: "QUEUED" });
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
      const ctx = ctxOf(req);
      const bulk = await loadBulkForKeys(db, ctx, req.params.id, "keys.write");
      const sp = keyLoadStateProblem(bulk.entitlement_id, bulk.kind, bulk.state);
      if (sp) throw errors.invalidState(sp);
      const { upload, fileName, format, mode } = await receiveUpload(req, db);
      const params: ImportParams = { bulkPk: req.params.id, upload, fileName, format, mode };
      const jobId = await runner().enqueue(db, ctx, "keys.import", req.params.id, params, null, { files: [upload] });
      return reply.status(202).send({ jobId, state: "QUEUED" });
    },
  );

  app.post(
    "/api/v1/entitlements/:id/keys/delete",
    {
      schema: {
        tags,
        summary: "Delete unredeemed keys: a list, or all unredeemed ones",
        description: `A list is all-or-nothing (a redeemed or unknown key refuses it). \`all: true\` deletes every unredeemed key; above ${SYNC_DELETE_ALL_MAX} keys it runs as a job (202).`,
        params: IdParams,
        body: KeyDeleteBody,
        response: { 200: KeyDeletedSchema, 202: JobRef, ...errorResponses },
      },
    },
    async (req, reply) => {
      const ctx = ctxOf(req);
      const bulk = await loadBulkForKeys(db, ctx, req.params.id, "keys.write");
      if (!!req.body.keys === !!req.body.all) throw errors.validation("keys", "give either a list of keys or all: true");
      const unredeemed = req.body.all ? ((await keyCounts(db, bulk.id))?.unredeemed ?? 0) : 0;
      if (unredeemed > SYNC_DELETE_ALL_MAX) {
        const jobId = await runner().enqueue(db, ctx, "keys.delete", req.params.id, { bulkPk: req.params.id }, unredeemed);
        return reply.status(202).send({ jobId, state: "QUEUED" });
      }
      return deleteUnredeemedKeys(db, ctx, req.params.id, req.body.all ? null : (req.body.keys as string[]));
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
      const ctx = ctxOf(req);
      const bulk = await loadBulkForKeys(db, ctx, req.params.id, "keys.read");
      await auditExport(db, ctx, req.params.id, "csv");
      const rows = mapBatches(keyBatches(db, req.params.id, { status: req.query.status }), (r) => ({
        key: r.key,
        status: r.status,
        createdAt: r.created_at,
        redeemedAt: r.redeemed_at,
        redeemedBy: r.redeemed_by_label,
        soldTo: r.sold_to,
        owner: r.owner,
        entitlementId: r.entitlement_id,
      }));
      reply.header("content-type", "text/csv; charset=utf-8");
      reply.header("content-disposition", `attachment; filename="keys-${safeName(bulk.entitlement_id)}.csv"`);
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
      const ctx = ctxOf(req);
      const bulk = await loadBulkForKeys(db, ctx, req.params.id, "keys.read");
      const output = `${safeName(bulk.entitlement_id)}-${Date.now()}-${crypto.randomBytes(4).toString("hex")}.csv`;
      await auditExport(db, ctx, req.params.id, "csv-job");
      const jobId = await runner().enqueue(
        db,
        ctx,
        "keys.export",
        req.params.id,
        { bulkPk: req.params.id, status: req.body.status ?? null, output },
        null,
      );
      return reply.status(202).send({ jobId, state: "QUEUED" });
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
      const ctx = ctxOf(req);
      const bulk = await loadBulkForKeys(db, ctx, req.params.id, "keys.read");
      await auditExport(db, ctx, req.params.id, "pdf");
      const status = req.query.status ?? "UNREDEEMED";
      const limit = req.query.limit ?? 1000;
      const skip = req.query.afterKeyNumber ?? 0;
      const product = await db
        .selectFrom("line_items as li")
        .innerJoin("line_item_products as lp", "lp.line_item_id", "li.id")
        .innerJoin("products as p", "p.id", "lp.product_id")
        .select(["p.name", "p.version"])
        .where("li.entitlement_id", "=", req.params.id)
        .where("li.role", "=", "BULK_CONFIG")
        .executeTakeFirst();
      async function* slice(): AsyncGenerator<{ key: string }[]> {
        let seen = 0;
        let sent = 0;
        for await (const batch of keyBatches(db, req.params.id, { status }, 1000)) {
          const from = Math.max(0, skip - seen);
          seen += batch.length;
          const part = batch.slice(from, from + (limit - sent));
          if (part.length) {
            sent += part.length;
            yield part.map((r) => ({ key: r.key }));
          }
          if (sent >= limit) return;
        }
      }
      const out = new PassThrough();
      reply.header("content-type", "application/pdf");
      reply.header("content-disposition", `inline; filename="key-cards-${safeName(bulk.entitlement_id)}.pdf"`);
      const publicUrl = app.deps.config.publicUrl;
      writeKeySheet(
        slice(),
        {
          title: product ? `${product.name} ${product.version}` : "Web register key",
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

/** The end-user portal's redeem page with the key filled in (what a key card's QR code opens). */
export const redeemUrl = (publicUrl: string, key: string) => `${publicUrl}/redeem?key=${encodeURIComponent(key)}`;

async function auditExport(db: Db, ctx: RequestContext, pk: string, format: string) {
  await db
    .transaction()
    .execute((trx) =>
      recordAudit(trx, ctx, { action: "keys.exported", objectType: "entitlement", objectId: pk, after: { format } }),
    );
}

export async function* mapBatches<T, U>(src: AsyncIterable<T[]>, f: (t: T) => U): AsyncGenerator<U[]> {
  for await (const b of src) yield b.map(f);
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, "_");

/**
 * Streams the multipart `file` into the database's file store (chunk by chunk, never whole in
 * memory), where every server process finds it, and reads the `mode`/`format` fields. A refused or
 * cut-short upload leaves nothing stored.
 */
async function receiveUpload(
  req: FastifyRequest,
  db: Db,
): Promise<{ upload: string; fileName: string | null; format: KeyFileFormat; mode: "all" | "partial" }> {
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
