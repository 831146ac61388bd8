import os from "node:os";
import type { Actor, RequestContext } from "../actor.js";
import type { Config } from "../config.js";
import type { BulkConnection, Dialect } from "../db/connect.js";
import type { Db, JobsTable, Trx } from "../db/schema.js";
import { newId, nowIso, randomToken } from "../util.js";
import { HANDLERS, cleanupJob as HANDLERS_CLEANUP, type JobType } from "./handlers.js";

export interface JobDeps {
  db: Db;
  dialect: Dialect;
  config: Config;
  bulk: () => BulkConnection;
}

export interface LiveProgress {
  done: number;
  total: number | null;
  startedAt: number;
}

/** What a handler gets: its row, who asked, progress and cancellation, and a way to finish in a transaction. */
export interface JobContext {
  job: JobsTable;
  ctx: RequestContext;
  deps: JobDeps;
  progress(done: number, total?: number | null): void;
  cancelled(): boolean;
  /**
   * Marks the job SUCCEEDED (or PARTIAL_FAILURE: done, with refused parts its result names) inside
   * `trx`, so the job's effect and its status commit together.
   */
  succeed(trx: Trx | Db, result: unknown, state?: "SUCCEEDED" | "PARTIAL_FAILURE"): Promise<void>;
}

export class JobCancelled extends Error {}
/** A job that ran and refused its input (a bad file): FAILED with a report, nothing applied. */
export class JobRefused extends Error {
  constructor(
    message: string,
    readonly result: unknown,
  ) {
    super(message);
  }
}

const HEARTBEAT_MS = 5_000;
const STALE_MS = 30_000;
const MAX_ATTEMPTS = 3;

/**
 * Background jobs of this process: a jobs table claimed with a conditional UPDATE (so several
 * processes on one PostgreSQL never run a job twice), progress kept live in memory and as a
 * heartbeat, cancellation, and recovery after a restart. A job interrupted by a crash was never
 * committed (its effect and its SUCCEEDED state share one transaction), so it is queued again.
 */
export class JobRunner {
  readonly worker = `${os.hostname()}:${process.pid}:${randomToken(4)}`;
  private readonly live = new Map<string, LiveProgress>();
  /** The rows of jobs running here, so their progress can be answered without the database. */
  private readonly liveRows = new Map<string, JobsTable>();
  private readonly cancels = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private started = false;

  constructor(readonly deps: JobDeps) {}

  async start(): Promise<void> {
    await this.recover();
    this.started = true;
    this.timer = setInterval(() => this.kick(), 500);
    this.timer.unref();
    if (this.deps.dialect === "postgres") {
      // SQLite is one process: a RUNNING job found at start is orphaned by definition. On shared
      // PostgreSQL other processes judge liveness by this heartbeat.
      this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
      this.heartbeat.unref();
    }
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const id of this.live.keys()) this.cancels.add(id);
    await this.running?.catch(() => {});
  }

  /** Queues a job (inside the caller's transaction when given) and wakes the worker. */
  async enqueue(
    db: Db | Trx,
    ctx: RequestContext,
    type: JobType,
    bulkId: string | null,
    params: unknown,
    total: number | null,
  ): Promise<string> {
    const id = newId();
    await db
      .insertInto("jobs")
      .values({
        id,
        type,
        state: "QUEUED",
        bulk_id: bulkId,
        params: JSON.stringify(params),
        total,
        done: 0,
        result: null,
        error: null,
        cancel_requested: 0,
        worker: null,
        attempts: 0,
        created_by: ctx.actor.userId,
        created_by_label: ctx.actor.email,
        created_at: nowIso(),
        started_at: null,
        heartbeat_at: null,
        finished_at: null,
      })
      .execute();
    setImmediate(() => this.kick());
    return id;
  }

  /** A job running in this process, as claimed (its state RUNNING), or undefined. */
  liveJob(id: string): JobsTable | undefined {
    return this.liveRows.get(id);
  }

  liveProgress(id: string): LiveProgress | undefined {
    return this.live.get(id);
  }

  /** Asks a running job of this process to stop; the caller has recorded the request in the table. */
  requestCancel(id: string) {
    this.cancels.add(id);
  }

  kick() {
    if (!this.started || this.stopped || this.running) return;
    this.running = this.runNext().finally(() => {
      this.running = null;
    });
  }

  /** Claims and runs queued jobs one after another until none is left. */
  private async runNext(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const job = await this.claim();
      if (!job) return;
      await this.run(job);
    }
  }

  private async claim(): Promise<JobsTable | undefined> {
    const { db } = this.deps;
    for (let i = 0; i < 5; i++) {
      const next = await db
        .selectFrom("jobs")
        .select("id")
        .where("state", "=", "QUEUED")
        .orderBy("created_at")
        .limit(1)
        .executeTakeFirst();
      if (!next) return undefined;
      const now = nowIso();
      const res = await db
        .updateTable("jobs")
        .set((eb) => ({
          state: "RUNNING",
          worker: this.worker,
          started_at: now,
          heartbeat_at: now,
          attempts: eb("attempts", "+", 1),
        }))
        .where("id", "=", next.id)
        .where("state", "=", "QUEUED")
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 1)
        return db.selectFrom("jobs").selectAll().where("id", "=", next.id).executeTakeFirstOrThrow();
    }
    return undefined;
  }

  private async run(job: JobsTable): Promise<void> {
    const { db } = this.deps;
    const live: LiveProgress = { done: 0, total: job.total, startedAt: Date.now() };
    this.live.set(job.id, live);
    this.liveRows.set(job.id, job);
    const actor: Actor = { type: "user", userId: job.created_by, email: job.created_by_label, tokenId: null, memberships: [] };
    const ctx: RequestContext = { actor, requestId: `job:${job.id}`, ip: null };
    let finished = false;
    const jc: JobContext = {
      job,
      ctx,
      deps: this.deps,
      progress: (done, total) => {
        live.done = done;
        if (total !== undefined) live.total = total;
      },
      cancelled: () => this.cancels.has(job.id),
      succeed: async (trx, result, state = "SUCCEEDED") => {
        await trx
          .updateTable("jobs")
          .set({ state, done: live.done, total: live.total, result: JSON.stringify(result), finished_at: nowIso() })
          .where("id", "=", job.id)
          .execute();
        finished = true;
      },
    };
    try {
      const handler = HANDLERS[job.type as JobType];
      if (!handler) throw new Error(`unknown job type ${job.type}`);
      await handler(jc);
      if (!finished) await jc.succeed(db, null);
    } catch (err) {
      const state = err instanceof JobCancelled ? "CANCELLED" : "FAILED";
      const result = err instanceof JobRefused ? JSON.stringify(err.result) : null;
      const message = err instanceof JobCancelled ? "Cancelled; nothing was applied." : (err as Error).message || String(err);
      await db
        .updateTable("jobs")
        .set({ state, error: message, result, done: live.done, total: live.total, finished_at: nowIso() })
        .where("id", "=", job.id)
        .where("state", "=", "RUNNING")
        .execute();
    } finally {
      this.live.delete(job.id);
      this.liveRows.delete(job.id);
      this.cancels.delete(job.id);
      await HANDLERS_CLEANUP(this.deps, job);
    }
  }

  private async beat() {
    const ids = [...this.live.keys()];
    if (ids.length === 0) return;
    for (const id of ids) {
      const p = this.live.get(id);
      await this.deps.db
        .updateTable("jobs")
        .set({ heartbeat_at: nowIso(), done: p?.done ?? 0 })
        .where("id", "=", id)
        .where("state", "=", "RUNNING")
        .execute()
        .catch(() => {});
      const row = await this.deps.db.selectFrom("jobs").select("cancel_requested").where("id", "=", id).executeTakeFirst();
      if (row?.cancel_requested) this.cancels.add(id);
    }
  }

  /**
   * Jobs left RUNNING by a dead process: their transaction never committed, so nothing of them is
   * in the database. Queue them again (their input is kept) or, after three tries, fail them.
   */
  async recover(): Promise<number> {
    const { db, dialect } = this.deps;
    let q = db.selectFrom("jobs").selectAll().where("state", "=", "RUNNING");
    if (dialect === "postgres") q = q.where("heartbeat_at", "<", new Date(Date.now() - STALE_MS).toISOString());
    const orphans = await q.execute();
    for (const j of orphans) {
      const retry = j.attempts < MAX_ATTEMPTS && j.cancel_requested === 0;
      await db
        .updateTable("jobs")
        .set(
          retry
            ? {
                state: "QUEUED",
                worker: null,
                done: 0,
                error: `Interrupted (server stopped) at ${nowIso()}; nothing was applied; restarted.`,
              }
            : {
                state: "FAILED",
                finished_at: nowIso(),
                error: "Interrupted by server stops too many times; nothing was applied.",
              },
        )
        .where("id", "=", j.id)
        .where("state", "=", "RUNNING")
        .execute();
      if (!retry) await HANDLERS_CLEANUP(this.deps, j);
    }
    return orphans.length;
  }
}
