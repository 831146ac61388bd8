import { sql } from "kysely";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { recordEvent } from "../commands/entitlementSupport.js";
import type { BulkConnection, Dialect } from "../db/connect.js";
import { canonicalKeySql } from "../db/repos/keys.js";
import { loadSettings } from "../db/repos/settings.js";
import type { Trx } from "../db/schema.js";
import { canonicalKey, isTypoShaped } from "../domain/keyFormat.js";
import { type BadLine, keyLoadStateProblem, keyProblem, type LoadReport, REPORT_LINE_LIMIT } from "../domain/keys.js";
import { AppError, errors } from "../errors.js";
import { newId, nowIso } from "../util.js";

export interface KeyRecord {
  line: number;
  key: string;
}

/** A record that passed the checks, with its identity (canonicalKey). */
interface CanonRecord extends KeyRecord {
  canon: string;
}

export interface LoadArgs {
  ctx: RequestContext;
  bulkPk: string;
  batches: AsyncIterable<KeyRecord[]>;
  mode: "all" | "partial";
  jobId: string | null;
  /** What the audit and history call it: "imported", "generated", "added". */
  verb: "imported" | "generated" | "added";
  onProgress?: (read: number) => void;
  /** Checked between batches; a cancelled load rolls back whole. */
  cancelled?: () => boolean;
  /** Runs inside the load's transaction after the keys are in, e.g. to mark the job finished. */
  beforeCommit?: (trx: Trx, report: LoadReport) => Promise<void>;
}

/** Thrown to roll back an all-or-nothing load that found bad lines; carries the report. */
export class LoadRejected extends Error {
  constructor(readonly report: LoadReport) {
    super("load rejected");
  }
}

export class LoadCancelled extends Error {}

/** Advisory lock id for key loads ("WRK" in ASCII). */
const KEY_LOAD_LOCK = 0x57524b;

interface Sink {
  /** Inserts the batch's valid keys; returns per record the reason it was refused, or null. */
  insert(records: CanonRecord[]): Promise<(string | null)[]>;
}

/**
 * Loads keys into a bulk entitlement in ONE transaction: every key validated (characters,
 * length, and — in the generated format's shape — its check symbol, since redemption would refuse
 * it as a typo for ever), duplicates inside the load, against every existing key (the unique index
 * on the canonical form decides) and against activation IDs refused with their line. Keys compare
 * by `canonicalKey()` (case, spaces, dashes, O/0 and I/L/1 ignored) and are stored as written. All-or-nothing by default; `partial`
 * keeps the valid keys. Counters, audit, history and the caller's job update commit with the
 * keys or not at all — a killed process leaves nothing behind.
 */
export async function loadKeys(conn: BulkConnection, dialect: Dialect, args: LoadArgs): Promise<LoadReport> {
  const report: LoadReport = {
    status: "SUCCESS",
    mode: args.mode,
    read: 0,
    loaded: 0,
    rejected: 0,
    badLines: [],
    truncated: false,
  };
  const bad = (b: BadLine) => {
    report.rejected++;
    if (report.badLines.length < REPORT_LINE_LIMIT) report.badLines.push(b);
    else report.truncated = true;
  };
  try {
    await conn.db.transaction().execute(async (trx) => {
      // Keys are globally unique, so loads contend anyway: on PostgreSQL take them one at a time
      // (across processes too) instead of letting two loads meeting the same keys in another
      // order deadlock.
      if (dialect === "postgres") await sql`SELECT pg_advisory_xact_lock(${KEY_LOAD_LOCK})`.execute(trx);
      const bulk = await trx
        .selectFrom("entitlements")
        .select(["entitlement_id", "kind", "state"])
        .where("id", "=", args.bulkPk)
        .executeTakeFirst();
      if (!bulk) throw errors.notFound("Bulk entitlement", args.bulkPk);
      const sp = keyLoadStateProblem(bulk.entitlement_id, bulk.kind, bulk.state);
      if (sp) throw errors.invalidState(sp);
      // Generated keys are right by construction; anything else in their shape must pass the check.
      const typoFormat = args.verb === "generated" ? null : (await loadSettings(trx)).keyFormat;
      const now = nowIso();
      // A synchronous load has no job id; tag its rows uniquely so its own duplicates are told apart.
      const syncTag = newId();
      const sink =
        dialect === "sqlite" && conn.raw ? sqliteSink(conn, args, now, syncTag) : postgresSink(trx, args, now, syncTag);
      for await (const batch of args.batches) {
        if (args.cancelled?.()) throw new LoadCancelled("cancelled");
        const valid: CanonRecord[] = [];
        for (const r of batch) {
          const p = keyProblem(r.key);
          if (p) {
            bad({ line: r.line, key: r.key, reason: `key ${p}` });
            continue;
          }
          const canon = canonicalKey(r.key);
          if (canon === "") bad({ line: r.line, key: r.key, reason: "key has no characters but spaces and dashes" });
          else if (typoFormat && isTypoShaped(canon, typoFormat))
            bad({ line: r.line, key: r.key, reason: TYPO_SHAPED(typoFormat.groups * typoFormat.groupLength) });
          else valid.push({ line: r.line, key: r.key, canon });
        }
        const reasons = await sink.insert(valid);
        for (let i = 0; i < valid.length; i++) {
          const reason = reasons[i];
          if (reason) bad({ line: (valid[i] as KeyRecord).line, key: (valid[i] as KeyRecord).key, reason });
          else report.loaded++;
        }
        report.read += batch.length;
        args.onProgress?.(report.read);
        // Generation and SQLite inserts are synchronous: let other requests (progress polls, a
        // cancel) in between batches instead of freezing the server for the whole load.
        await new Promise<void>((r) => setImmediate(r));
      }
      if (report.read === 0) {
        report.status = "FAILURE";
        throw new LoadRejected(report);
      }
      if (report.rejected > 0 && (args.mode === "all" || report.loaded === 0)) {
        report.status = "FAILURE";
        throw new LoadRejected(report);
      }
      report.status = report.rejected > 0 ? "PARTIAL_FAILURE" : "SUCCESS";
      // Conditional: the entitlement may not have become INACTIVE/OBSOLETE meanwhile.
      const upd = await trx
        .updateTable("entitlements")
        .set((eb) => ({ key_count: eb("key_count", "+", report.loaded), updated_at: now }))
        .where("id", "=", args.bulkPk)
        .where("state", "in", ["DRAFT", "TEST", "DEPLOYED"])
        .executeTakeFirst();
      if (Number(upd.numUpdatedRows) !== 1)
        throw errors.invalidState(`Bulk entitlement ${bulk.entitlement_id} changed state during the load; nothing was loaded.`);
      await recordEvent(
        trx,
        args.ctx,
        args.bulkPk,
        "EVENT_PROPERTY_CHANGED",
        `${report.loaded} web register key${report.loaded === 1 ? "" : "s"} ${args.verb}`,
      );
      await recordAudit(trx, args.ctx, {
        action: `keys.${args.verb}`,
        objectType: "entitlement",
        objectId: args.bulkPk,
        after: { loaded: report.loaded, rejected: report.rejected, mode: args.mode, jobId: args.jobId },
      });
      await args.beforeCommit?.(trx, report);
    });
  } catch (err) {
    if (err instanceof LoadRejected) {
      report.loaded = 0;
      return report;
    }
    if (err instanceof AppError || err instanceof LoadCancelled) throw err;
    throw err;
  }
  return report;
}

/** Why a key in the generated shape with a wrong check symbol is refused (PRODUCT.md §3). */
const TYPO_SHAPED = (n: number) =>
  `key has the shape of a generated key (${n} symbols of the key alphabet) but its check symbol is wrong, so redemption would refuse it as a typo; correct it, or change the generated key format in Settings if these are legacy keys`;

/** SQLite: prepared statements on the load's own connection, inside the open transaction. */
function sqliteSink(conn: BulkConnection, args: LoadArgs, now: string, syncTag: string): Sink {
  const raw = conn.raw as NonNullable<BulkConnection["raw"]>;
  const insert = raw.prepare(
    "INSERT INTO web_register_keys (bulk_id, key, key_canon, status, created_at, job_id) VALUES (?, ?, ?, 'UNREDEEMED', ?, ?) ON CONFLICT (key_canon) DO NOTHING",
  );
  const activation = raw.prepare(`SELECT 1 FROM line_items WHERE ${canonicalKeySql(false, "activation_id")} = ?`).pluck();
  const holder = raw.prepare("SELECT bulk_id, job_id, created_at FROM web_register_keys WHERE key_canon = ?");
  const jobTag = args.jobId ?? `sync:${syncTag}`;
  return {
    async insert(records) {
      const out: (string | null)[] = new Array(records.length);
      for (let i = 0; i < records.length; i++) {
        const { key, canon } = records[i] as CanonRecord;
        if (activation.get(canon) !== undefined) {
          out[i] = "is already an activation ID";
          continue;
        }
        if (insert.run(args.bulkPk, key, canon, now, jobTag).changes === 1) {
          out[i] = null;
          continue;
        }
        const h = holder.get(canon) as { bulk_id: string; job_id: string | null; created_at: string } | undefined;
        out[i] = h && h.job_id === jobTag && h.created_at === now ? "duplicate of a key earlier in this load" : "already exists";
      }
      return out;
    },
  };
}

/** PostgreSQL: one multi-row INSERT … SELECT FROM unnest per batch, inside the transaction. */
function postgresSink(trx: Trx, args: LoadArgs, now: string, syncTag: string): Sink {
  const jobTag = args.jobId ?? `sync:${syncTag}`;
  const activationCanon = sql.raw(canonicalKeySql(true, "activation_id"));
  return {
    async insert(records) {
      const out: (string | null)[] = new Array(records.length).fill(null);
      if (records.length === 0) return out;
      const canons = records.map((r) => r.canon);
      const act = await sql<{
        c: string;
      }>`SELECT ${activationCanon} AS c FROM line_items WHERE ${activationCanon} = ANY(${canons}::text[])`.execute(trx);
      const isActivation = new Set(act.rows.map((r) => r.c));
      const toInsert = isActivation.size ? records.filter((r) => !isActivation.has(r.canon)) : records;
      const ins = toInsert.length
        ? await sql<{ key_canon: string }>`INSERT INTO web_register_keys (bulk_id, key, key_canon, status, created_at, job_id)
            SELECT ${args.bulkPk}, k, c, 'UNREDEEMED', ${now}, ${jobTag}
            FROM unnest(${toInsert.map((r) => r.key)}::text[], ${toInsert.map((r) => r.canon)}::text[]) AS t(k, c)
            ON CONFLICT (key_canon) DO NOTHING RETURNING key_canon`.execute(trx)
        : { rows: [] };
      if (ins.rows.length === toInsert.length) {
        // The usual case: every key went in (so none repeats another), nothing to look up.
        if (isActivation.size)
          for (let i = 0; i < records.length; i++)
            if (isActivation.has(canons[i] as string)) out[i] = "is already an activation ID";
        return out;
      }
      const inserted = new Set(ins.rows.map((r) => r.key_canon));
      const missing = toInsert.filter((r) => !inserted.has(r.canon)).map((r) => r.canon);
      const holders = missing.length
        ? new Map(
            (
              await sql<{
                key_canon: string;
                job_id: string | null;
                created_at: string;
              }>`SELECT key_canon, job_id, created_at FROM web_register_keys WHERE key_canon = ANY(${missing}::text[])`.execute(
                trx,
              )
            ).rows.map((r) => [r.key_canon, r]),
          )
        : new Map();
      const claimed = new Set<string>();
      for (let i = 0; i < records.length; i++) {
        const canon = canons[i] as string;
        if (isActivation.has(canon)) out[i] = "is already an activation ID";
        else if (inserted.has(canon) && !claimed.has(canon)) claimed.add(canon);
        else {
          const h = holders.get(canon) as { job_id: string | null; created_at: string } | undefined;
          out[i] =
            inserted.has(canon) || (h && h.job_id === jobTag && h.created_at === now)
              ? "duplicate of a key earlier in this load"
              : "already exists";
        }
      }
      return out;
    },
  };
}
