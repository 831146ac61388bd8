import os from "node:os";
import { sql } from "kysely";
import { KEY_LOADABLE_STATES, keyLoadStateProblem } from "../../../common/src/rules/keys.js";
import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { emitKeyBatch } from "../commands/domainEvents.js";
import { recordEvent } from "../commands/entitlementSupport.js";
import type { BulkConnection, Dialect } from "../db/connect.js";
import { canonicalKeySql } from "../db/repos/keys.js";
import { loadSettings } from "../db/repos/settings.js";
import type { Trx } from "../db/schema.js";
import { canonicalKey, isTypoShaped, type KeyFormat } from "../domain/keyFormat.js";
import { type BadLine, type KeyRecord, keyProblem, type LoadReport, REPORT_LINE_LIMIT } from "../domain/keys.js";
import { errors } from "../errors.js";
import { newId, nowIso } from "../util.js";
import { recordKeyMovements } from "./keyLedger.js";

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
 * Loads keys into a bulk entitlement, all at once for every reader: on PostgreSQL in ONE
 * transaction; on SQLite staged in short transactions and made visible by one small last one (see
 * stagedSqliteLoad), so other requests go on meanwhile. Every key is validated (characters,
 * length, and — in the generated format's shape — its check symbol, since redemption would refuse
 * it as a typo for ever), duplicates inside the load, against every existing key (the unique index
 * on the canonical form decides) and against activation IDs refused with their line. Keys compare
 * by `canonicalKey()` (case, spaces, dashes, O/0 and I/L/1 ignored) and are stored as written.
 * All-or-nothing by default; `partial` keeps the valid keys. Counters, audit, history and the
 * caller's job update become visible with the keys or not at all — a killed process leaves nothing
 * anyone sees, and nothing that blocks a retry.
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
  /** The batch's keys that pass the checks made without the database, with their canonical form. */
  const validate = (batch: KeyRecord[], typoFormat: KeyFormat | null): CanonRecord[] => {
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
    return valid;
  };
  const count = (valid: CanonRecord[], reasons: (string | null)[]) => {
    for (let i = 0; i < valid.length; i++) {
      const reason = reasons[i];
      if (reason) bad({ line: (valid[i] as KeyRecord).line, key: (valid[i] as KeyRecord).key, reason });
      else report.loaded++;
    }
  };
  /** Decides the outcome once every batch is in; throws LoadRejected when nothing may be kept. */
  const decide = () => {
    if (report.read === 0 || (report.rejected > 0 && (args.mode === "all" || report.loaded === 0))) {
      report.status = "FAILURE";
      throw new LoadRejected(report);
    }
    report.status = report.rejected > 0 ? "PARTIAL_FAILURE" : "SUCCESS";
  };
  /** Counters, history, audit and the caller's job state: the load's last, small writes. */
  const finish = async (trx: Trx, entitlementId: string, now: string) => {
    // Conditional: the entitlement may not have become INACTIVE/OBSOLETE meanwhile.
    const upd = await trx
      .updateTable("entitlements")
      .set((eb) => ({ key_count: eb("key_count", "+", report.loaded), updated_at: now }))
      .where("id", "=", args.bulkPk)
      .where("state", "in", KEY_LOADABLE_STATES)
      .executeTakeFirst();
    if (Number(upd.numUpdatedRows) !== 1)
      throw errors.invalidState(`Bulk entitlement ${entitlementId} changed state during the load; nothing was loaded.`);
    await recordKeyMovements(trx, [{ bulkId: args.bulkPk, kind: "LOADED", count: report.loaded }], now);
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
    // One event for the whole load, never one per key.
    await emitKeyBatch(trx, args.ctx, "key.loaded", args.bulkPk, {
      count: report.loaded,
      rejected: report.rejected,
      verb: args.verb,
      jobId: args.jobId,
    });
    await args.beforeCommit?.(trx, report);
  };
  const opening = async (trx: Trx) => {
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
    return { entitlementId: bulk.entitlement_id, typoFormat };
  };

  try {
    if (dialect === "sqlite" && conn.raw) {
      await stagedSqliteLoad(conn, args, { opening, validate, count, decide, finish, report });
      return report;
    }
    await conn.db.transaction().execute(async (trx) => {
      // Keys are globally unique, so loads contend anyway: on PostgreSQL take them one at a time
      // (across processes too) instead of letting two loads meeting the same keys in another
      // order deadlock.
      if (dialect === "postgres") await sql`SELECT pg_advisory_xact_lock(${KEY_LOAD_LOCK})`.execute(trx);
      const { entitlementId, typoFormat } = await opening(trx);
      const now = nowIso();
      // A synchronous load has no job id; tag its rows uniquely so its own duplicates are told apart.
      const sink = postgresSink(trx, args, now, newId());
      for await (const batch of args.batches) {
        if (args.cancelled?.()) throw new LoadCancelled("cancelled");
        const valid = validate(batch, typoFormat);
        count(valid, await sink.insert(valid));
        report.read += batch.length;
        args.onProgress?.(report.read);
        await new Promise<void>((r) => setImmediate(r));
      }
      decide();
      await finish(trx, entitlementId, now);
    });
  } catch (err) {
    if (err instanceof LoadRejected) {
      report.loaded = 0;
      return report;
    }
    throw err;
  }
  return report;
}

interface LoadSteps {
  opening(trx: Trx): Promise<{ entitlementId: string; typoFormat: KeyFormat | null }>;
  validate(batch: KeyRecord[], typoFormat: KeyFormat | null): CanonRecord[];
  count(valid: CanonRecord[], reasons: (string | null)[]): void;
  decide(): void;
  finish(trx: Trx, entitlementId: string, now: string): Promise<void>;
  report: LoadReport;
}

/**
 * A staged load's chunks each hold the one writer (and the event loop: the driver is synchronous)
 * for about CHUNK_MS: the number of keys per chunk adapts to how fast they go in. A request that
 * arrives during the load waits for the chunk running and one commit (see StagedWriter).
 */
const CHUNK_MS = 5;
const STAGE_CHUNK_MIN = 100;
const STAGE_CHUNK_MAX = 5_000;
/** The longest a staged load keeps one transaction open when nobody waits for the connection. */
const MAX_TX_MS = 10_000;
/** How long after someone last waited for the connection a staged load goes on committing every chunk. */
const QUIET_MS = 100;
/** A staged load whose owner has not written for this long is dead (its process was killed). */
const STAGED_STALE_MS = 120_000;
/** This process's staged loads in progress, and the tail of the queue of loads (one at a time). */
const activeLoads = new Set<string>();
let loadQueue: Promise<unknown> = Promise.resolve();
const OWNER = `${os.hostname()}:${process.pid}`;

/**
 * SQLite has one writer, and one transaction around a million keys held it — and Kysely's one
 * connection — for seconds: health, lists and redemptions all waited (issue 12.11). Here a load
 * writes in chunks of about CHUNK_MS each, each key a *staged* row: its `load_id` names a
 * `key_loads` row, and every reader ignores keys whose load is still in `key_loads`
 * (`visibleKeys()`). After a chunk, if anyone waits for the connection, the load commits and lets
 * it go, so other requests go on; if nobody does, the transaction stays open (StagedWriter). The last,
 * small transaction makes the load visible by deleting its `key_loads` row, with the counters,
 * audit, history and the job's state: all of it or none of it is seen.
 *
 * All-or-nothing: a refused or cancelled load deletes its staged rows (in chunks as well). Crash
 * safety: a killed process leaves staged rows nobody sees; the next load (in any process) deletes
 * those of dead loads first, so a retry is never blocked by them. Uniqueness is still the unique
 * index's: staged keys hold their canonical form while their load runs.
 */
async function stagedSqliteLoad(conn: BulkConnection, args: LoadArgs, steps: LoadSteps): Promise<void> {
  const raw = conn.raw as NonNullable<BulkConnection["raw"]>;
  // One staged load at a time in this process: a load's own duplicates are told apart by its tag.
  const previous = loadQueue;
  let release = () => {};
  loadQueue = new Promise<void>((r) => {
    release = r;
  });
  await previous.catch(() => {});
  const loadId = newId();
  activeLoads.add(loadId);
  const owner = `${OWNER}:${loadId}`;
  try {
    await removeDeadStagedLoads(conn);
    const now = nowIso();
    const opened = await conn.db.transaction().execute(async (trx) => {
      const o = await steps.opening(trx);
      const afterId = Number((raw.prepare("SELECT max(id) FROM web_register_keys").pluck().get() as number | null) ?? 0);
      await trx
        .insertInto("key_loads")
        .values({ id: loadId, bulk_id: args.bulkPk, owner, after_id: afterId, heartbeat_at: now, created_at: now })
        .execute();
      return o;
    });
    const jobTag = args.jobId ?? `sync:${loadId}`;
    const sink = sqliteSink(conn, args, now, jobTag, loadId);
    const heartbeat = raw.prepare("UPDATE key_loads SET heartbeat_at = ? WHERE id = ?");
    // Row ids only grow past the load's first key while it is staged (nobody else deletes staged
    // keys), so the first key's id bounds the range a clean-up walks.
    const firstRow = raw.prepare("UPDATE key_loads SET after_id = ? WHERE id = ?");
    let firstRecorded = false;
    let chunk = STAGE_CHUNK_MIN * 5;
    const writer = new StagedWriter(conn);
    try {
      const batches = args.batches[Symbol.asyncIterator]();
      for (;;) {
        // A file read may wait on I/O: the writer lets go meanwhile as soon as anyone waits for it.
        const next = await writer.idle(batches.next());
        if (next.done) break;
        const batch = next.value;
        if (args.cancelled?.()) throw new LoadCancelled("cancelled");
        for (let i = 0; i < batch.length; ) {
          const piece = batch.slice(i, i + chunk);
          i += piece.length;
          const started = performance.now();
          const part = steps.validate(piece, opened.typoFormat);
          await writer.begin();
          heartbeat.run(nowIso(), loadId);
          const reasons = sink.insertSync(part);
          if (!firstRecorded && sink.firstId != null) {
            firstRow.run(sink.firstId - 1, loadId);
            firstRecorded = true;
          }
          steps.count(part, reasons);
          // The next chunk holds the writer about CHUNK_MS (its commit included, when it commits),
          // however fast this machine is right now.
          const ms = await writer.between(started);
          chunk = Math.max(STAGE_CHUNK_MIN, Math.min(STAGE_CHUNK_MAX, Math.round((chunk * CHUNK_MS) / ms)));
        }
        steps.report.read += batch.length;
        args.onProgress?.(steps.report.read);
      }
      writer.commit();
      steps.decide();
      await conn.db.transaction().execute(async (trx) => {
        await steps.finish(trx, opened.entitlementId, now);
        // The one write that makes every staged key of the load visible.
        await trx.deleteFrom("key_loads").where("id", "=", loadId).execute();
      });
    } catch (err) {
      // What this transaction staged goes with it; the committed chunks are deleted below.
      writer.rollback();
      await removeStagedLoad(conn, loadId);
      if (err instanceof LoadRejected) steps.report.loaded = 0;
      else throw err;
    }
  } finally {
    activeLoads.delete(loadId);
    release();
  }
}

/**
 * The staged load's hold on SQLite's one connection. Each commit writes again every index page the
 * chunk touched (random keys touch a page of the `key_canon` index per key), which cost the load
 * as much CPU as its inserts. So the transaction stays open across chunks while nobody waits for
 * the connection, and is committed (and the connection let go) as soon as someone does; while
 * requests keep coming the load commits every chunk and pauses after it (see between()).
 * Uncommitted chunks are staged rows like the others: a crash loses them with the load.
 */
class StagedWriter {
  private lease: { release: () => void } | null = null;
  private since = 0;
  private contendedUntil = 0;
  /** `acquisitions()` when last looked at. */
  private seen = 0;

  constructor(private readonly conn: BulkConnection) {}

  private get raw() {
    return this.conn.raw as NonNullable<BulkConnection["raw"]>;
  }

  private waiting(): boolean {
    return (this.conn.waiting?.() ?? 1) > 0;
  }

  /** Holds the connection (queued behind whoever has it) with a transaction open. */
  async begin(): Promise<void> {
    if (this.lease) return;
    // Notes who took the connection since the last chunk, before this one takes it.
    this.contended();
    this.lease = await new Promise<{ release: () => void }>((resolve, reject) => {
      this.conn.db
        .connection()
        .execute(() => new Promise<void>((release) => resolve({ release })))
        .catch(reject);
    });
    this.raw.exec("BEGIN");
    this.since = performance.now();
    // Its own taking of the connection is not someone else's use.
    this.seen = this.conn.acquisitions?.() ?? 0;
  }

  /** Commits what is staged and lets the connection go. */
  commit(): void {
    if (!this.lease) return;
    try {
      if (this.raw.inTransaction) this.raw.exec("COMMIT");
    } finally {
      this.lease.release();
      this.lease = null;
    }
  }

  rollback(): void {
    if (!this.lease) return;
    try {
      if (this.raw.inTransaction) this.raw.exec("ROLLBACK");
    } finally {
      this.lease.release();
      this.lease = null;
    }
  }

  /**
   * After a chunk begun at `started`; returns how long it held the writer. While nobody has used
   * the connection for QUIET_MS, the transaction stays open for the next chunk (up to MAX_TX_MS).
   * Once someone waits, the load goes back to a commit per chunk and a pause after it, as long as
   * requests keep coming: a request then waits for at most one small chunk and its commit, and
   * its next query finds the connection free during the pause.
   */
  async between(started: number): Promise<number> {
    if (!this.contended()) {
      const ms = Math.max(performance.now() - started, 0.5);
      // Holding the transaction, the event loop takes in what arrived meanwhile.
      await new Promise<void>((r) => setImmediate(r));
      if (!this.contended()) {
        if (performance.now() - this.since >= MAX_TX_MS) this.commit();
        return ms;
      }
    }
    this.commit();
    const ms = Math.max(performance.now() - started, 0.5);
    // A timer, not setImmediate: a request between two of its queries gets the connection
    // before the next chunk.
    await new Promise<void>((r) => setTimeout(r, Math.max(1, Math.round(ms / 2))));
    return ms;
  }

  /** Whether anyone waits for the connection, or took it, in the last QUIET_MS. */
  private contended(): boolean {
    const now = performance.now();
    const used = this.conn.acquisitions?.() ?? 0;
    if (this.waiting() || used !== this.seen) this.contendedUntil = now + QUIET_MS;
    this.seen = used;
    return now < this.contendedUntil;
  }

  /** Awaits `p` (the next batch); while it is pending, lets the connection go once anyone waits for it. */
  async idle<T>(p: Promise<T>): Promise<T> {
    if (!this.lease) return p;
    const timer = setInterval(() => {
      if (!this.waiting()) return;
      this.contendedUntil = performance.now() + QUIET_MS;
      this.commit();
    }, 1);
    try {
      return await p;
    } finally {
      clearInterval(timer);
    }
  }
}

/** Deletes a staged load's keys in short transactions, then its `key_loads` row. */
async function removeStagedLoad(conn: BulkConnection, loadId: string): Promise<void> {
  const raw = conn.raw as NonNullable<BulkConnection["raw"]>;
  const row = await conn.db.selectFrom("key_loads").select("after_id").where("id", "=", loadId).executeTakeFirst();
  if (!row) return;
  // Its keys all come after `after_id`: a range of the integer key, never a scan of the table.
  const del = raw.prepare(
    "DELETE FROM web_register_keys WHERE id IN (SELECT id FROM web_register_keys WHERE id > ? AND load_id = ? ORDER BY id LIMIT 5000)",
  );
  for (;;) {
    const n = await conn.db.transaction().execute(async () => del.run(row.after_id, loadId).changes);
    if (n === 0) break;
    await new Promise<void>((r) => setImmediate(r));
  }
  await conn.db.deleteFrom("key_loads").where("id", "=", loadId).execute();
}

/**
 * Removes the staged keys of loads whose process is gone (killed mid-load): not running here, and
 * either owned by a process of this host that no longer exists or silent for STAGED_STALE_MS.
 */
async function removeDeadStagedLoads(conn: BulkConnection): Promise<void> {
  const rows = await conn.db.selectFrom("key_loads").select(["id", "owner", "heartbeat_at"]).execute();
  const host = os.hostname();
  for (const r of rows) {
    if (activeLoads.has(r.id)) continue;
    const [h, pid] = r.owner.split(":");
    let dead = Date.now() - Date.parse(r.heartbeat_at) > STAGED_STALE_MS;
    if (!dead && h === host) {
      if (Number(pid) === process.pid) dead = true;
      else
        try {
          process.kill(Number(pid), 0);
        } catch (e) {
          dead = (e as NodeJS.ErrnoException).code === "ESRCH";
        }
    }
    if (dead) await removeStagedLoad(conn, r.id);
  }
}

/** Why a key in the generated shape with a wrong check symbol is refused (PRODUCT.md §3). */
const TYPO_SHAPED = (n: number) =>
  `key has the shape of a generated key (${n} symbols of the key alphabet) but its check symbol is wrong, so redemption would refuse it as a typo; correct it, or change the generated key format in Settings if these are legacy keys`;

/** SQLite's sink runs synchronously, inside the transaction the staged load holds. */
interface SqliteSink {
  insertSync(records: CanonRecord[]): (string | null)[];
  /** The row id of the first key this sink inserted. */
  firstId: number | null;
}

/** SQLite: prepared statements on the load's own connection, inside the open transaction. */
function sqliteSink(conn: BulkConnection, args: LoadArgs, now: string, jobTag: string, loadId: string): SqliteSink {
  const raw = conn.raw as NonNullable<BulkConnection["raw"]>;
  // A key that is an activation ID (in any spelling) is refused; the check is a probe of the
  // expression index inside the insert, so a key costs one call into the driver, not two.
  const activationCanon = canonicalKeySql(false, "activation_id");
  const insert = raw.prepare(
    `INSERT INTO web_register_keys (bulk_id, key, key_canon, status, created_at, job_id, load_id)
     SELECT ?, ?, ?, 'UNREDEEMED', ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM line_items WHERE ${activationCanon} = ?)
     ON CONFLICT (key_canon) DO NOTHING`,
  );
  const activation = raw.prepare(`SELECT 1 FROM line_items WHERE ${activationCanon} = ?`).pluck();
  const holder = raw.prepare("SELECT bulk_id, job_id, created_at FROM web_register_keys WHERE key_canon = ?");
  const sink: SqliteSink = {
    firstId: null,
    insertSync(records) {
      const out: (string | null)[] = new Array(records.length);
      for (let i = 0; i < records.length; i++) {
        const { key, canon } = records[i] as CanonRecord;
        const ins = insert.run(args.bulkPk, key, canon, now, jobTag, loadId, canon);
        if (ins.changes === 1) {
          sink.firstId ??= Number(ins.lastInsertRowid);
          out[i] = null;
          continue;
        }
        // Not inserted (rare): an activation ID, or the key is already there.
        if (activation.get(canon) !== undefined) {
          out[i] = "is already an activation ID";
          continue;
        }
        const h = holder.get(canon) as { bulk_id: string; job_id: string | null; created_at: string } | undefined;
        out[i] = h && h.job_id === jobTag && h.created_at === now ? "duplicate of a key earlier in this load" : "already exists";
      }
      return out;
    },
  };
  return sink;
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
