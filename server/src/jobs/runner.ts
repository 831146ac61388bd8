import os from "node:os";
import type { ExpressionBuilder } from "kysely";
import type { Actor, RequestContext } from "../actor.js";
import { type DomainEvent, recordEvents } from "../db/repos/events.js";
import type { Database, Db, JobsTable, Trx } from "../db/schema.js";
import { jobDuration } from "../metrics.js";
import { newId, nowIso, randomToken } from "../util.js";
import { attachStoredFile, sweepStoredFiles } from "./fileStore.js";
import { JobCancelled, type JobContext, type JobDeps, type JobKinds, JobRefused, type JobType, jobHandler } from "./registry.js";

export interface LiveProgress {
  done: number;
  total: number | null;
  startedAt: number;
}

/** This process no longer holds the job's lease (another one took it over): nothing of this attempt may commit. */
export class JobLeaseLost extends Error {
  constructor(id: string) {
    super(`Job ${id} was taken over by another process; this attempt was rolled back.`);
  }
}

const MAX_ATTEMPTS = 3;
/** How often each process looks for stored files nobody needs any more. */
const FILE_SWEEP_MS = 60_000;

/**
 * Background jobs of this process: a jobs table claimed with a conditional UPDATE (so several
 * processes on one database never run a job twice), progress kept live in memory, cancellation,
 * and leases. A running job is leased to its process (`worker`, `lease_expires_at`), which renews
 * the lease every `jobLeaseRenewMs`; every live process, not only one starting up, looks as often
 * for leases that expired (their process crashed or froze) and queues those jobs again. A job
 * interrupted that way was never committed (its effect and its SUCCEEDED state share one
 * transaction, which commits only while this process still holds the lease), so it runs again
 * whole, wherever it is claimed next. The runner knows no kind of job: it runs whichever handler
 * registered the job's type (registry.ts).
 */
export class JobRunner {
  readonly worker = `${os.hostname()}:${process.pid}:${randomToken(4)}`;
  private readonly live = new Map<string, LiveProgress>();
  /** The rows of jobs running here, so their progress can be answered without the database. */
  private readonly liveRows = new Map<string, JobsTable>();
  private readonly cancels = new Set<string>();
  /** Cancels asked for by users (the rest come from this process stopping). */
  private readonly userCancels = new Set<string>();
  /** Jobs whose lease this process lost: their attempt rolls back and writes no state. */
  private readonly lost = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private leaseTimer: NodeJS.Timeout | null = null;
  private leaseWork: Promise<void> | null = null;
  private lastFileSweep = 0;
  private running: Promise<void> | null = null;
  private stopped = false;
  private started = false;

  /**
   * `lane`: the kinds this runner takes (`only`) or leaves to another runner (`except`); all by
   * default. A runner runs one job at a time, so the server gives webhook deliveries their own lane:
   * a receiver that hangs until its timeout never holds up a key import or export, and the reverse.
   */
  constructor(
    readonly deps: JobDeps,
    private readonly lane: { only?: readonly JobType[]; except?: readonly JobType[] } = {},
  ) {}

  private get leaseMs() {
    return this.deps.config.jobLeaseMs;
  }

  async start(): Promise<void> {
    await this.recover();
    this.started = true;
    this.timer = setInterval(() => this.kick(), 500);
    this.timer.unref();
    // Renewing our leases and taking over expired ones, periodically for as long as this process
    // lives: a job whose process died while this one kept running is found without any restart.
    this.leaseTimer = setInterval(() => this.tend(), this.deps.config.jobLeaseRenewMs);
    this.leaseTimer.unref();
    this.kick();
  }

  /**
   * Stops taking jobs. A job running here is rolled back and handed back to the queue (its lease
   * released, the attempt not counted), so another process, or this one after a restart, runs it.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    for (const id of this.live.keys()) this.cancels.add(id);
    await this.running?.catch(() => {});
    await this.leaseWork?.catch(() => {});
  }

  /**
   * Queues a job (inside the caller's transaction when given) and wakes the worker. `files` are
   * stored files (an upload) the job reads: they become the job's in the same transaction, kept
   * while it may run and removed when it ends.
   */
  async enqueue<K extends JobType>(
    db: Db | Trx,
    ctx: RequestContext,
    type: K,
    bulkId: string | null,
    params: JobKinds[K],
    total: number | null,
    opts: { files?: string[] } = {},
  ): Promise<string> {
    const files = opts.files ?? [];
    if (files.length > 0 && !db.isTransaction) {
      const id = await (db as Db).transaction().execute((trx) => this.enqueue(trx, ctx, type, bulkId, params, total, opts));
      setImmediate(() => this.kick());
      return id;
    }
    const id = newId();
    for (const f of files) await attachStoredFile(db, f, id);
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
        lease_expires_at: null,
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
    this.userCancels.add(id);
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
      let queued = db.selectFrom("jobs").select("id").where("state", "=", "QUEUED");
      if (this.lane.only?.length) queued = queued.where("type", "in", this.lane.only);
      if (this.lane.except?.length) queued = queued.where("type", "not in", this.lane.except);
      const next = await queued.orderBy("created_at").limit(1).executeTakeFirst();
      if (!next) return undefined;
      const now = new Date();
      const res = await db
        .updateTable("jobs")
        .set((eb) => ({
          state: "RUNNING",
          worker: this.worker,
          started_at: now.toISOString(),
          heartbeat_at: now.toISOString(),
          lease_expires_at: new Date(now.getTime() + this.leaseMs).toISOString(),
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
    let outcome = "succeeded";
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
        // The final state and its job.finished event commit together (a transaction of their own
        // when the handler gave none).
        if (!trx.isTransaction) return (trx as Db).transaction().execute((t) => jc.succeed(t, result, state));
        // Only while this process still holds the job: if another one took it over, throwing here
        // rolls this attempt's whole transaction back, so the job's effect is applied once.
        const final = {
          state,
          done: live.done,
          total: live.total,
          result: JSON.stringify(result),
          finished_at: nowIso(),
          lease_expires_at: null,
        };
        const res = await trx
          .updateTable("jobs")
          .set(final)
          .where("id", "=", job.id)
          .where("state", "=", "RUNNING")
          .where("worker", "=", this.worker)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) !== 1) throw new JobLeaseLost(job.id);
        await recordEvents(trx as Trx, ctx, jobFinishedEvents({ ...job, ...final, error: null }));
        finished = true;
      },
    };
    try {
      const handler = jobHandler(job.type);
      if (!handler) throw new Error(`unknown job type ${job.type}`);
      await handler.run(jc);
      if (!finished) await jc.succeed(db, null);
    } catch (err) {
      if (this.lost.has(job.id) || err instanceof JobLeaseLost) {
        // Another process owns the job now; its state is theirs to write.
        outcome = "lost";
      } else if (err instanceof JobCancelled && this.stopped && !this.userCancelled(job.id)) {
        outcome = "released";
        await this.release(job.id);
      } else {
        outcome = err instanceof JobCancelled ? "cancelled" : "failed";
        await this.fail(job, live, err);
      }
    } finally {
      jobDuration.labels(job.type, outcome).observe((Date.now() - live.startedAt) / 1000);
      this.live.delete(job.id);
      this.liveRows.delete(job.id);
      this.cancels.delete(job.id);
      this.userCancels.delete(job.id);
      this.lost.delete(job.id);
      await this.cleanup(job);
    }
  }

  /** Lets the job's handler remove what the job kept, now that it has ended. */
  private async cleanup(job: JobsTable): Promise<void> {
    try {
      await jobHandler(job.type)?.cleanup?.(this.deps, job);
    } catch (err) {
      // Never fatal: what an ended job kept is swept later anyway (sweepStoredFiles takes the
      // files of ended jobs), while an error escaping here would be an unhandled rejection.
      process.emitWarning(`job ${job.id}: cleanup failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Whether a cancel of this job was asked for by someone (not by this process stopping). */
  private userCancelled(id: string): boolean {
    return this.userCancels.has(id);
  }

  private async fail(job: JobsTable, live: LiveProgress, err: unknown): Promise<void> {
    const state = err instanceof JobCancelled ? "CANCELLED" : "FAILED";
    const result = err instanceof JobRefused ? JSON.stringify(err.result) : null;
    const message = err instanceof JobCancelled ? "Cancelled; nothing was applied." : (err as Error).message || String(err);
    const final = {
      state,
      error: message,
      result,
      done: live.done,
      total: live.total,
      finished_at: nowIso(),
      lease_expires_at: null,
    };
    await this.deps.db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable("jobs")
        .set(final)
        .where("id", "=", job.id)
        .where("state", "=", "RUNNING")
        .where("worker", "=", this.worker)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 1) await recordEvents(trx, jobContext(job.id), jobFinishedEvents({ ...job, ...final }));
    });
  }

  /** Hands a job interrupted by this process stopping back to the queue, its attempt not counted. */
  private async release(id: string): Promise<void> {
    // Someone asked to cancel it meanwhile (through another process): that wins over a retry.
    const cancelled = await this.deps.db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable("jobs")
        .set({ state: "CANCELLED", error: "Cancelled; nothing was applied.", finished_at: nowIso(), lease_expires_at: null })
        .where("id", "=", id)
        .where("state", "=", "RUNNING")
        .where("worker", "=", this.worker)
        .where("cancel_requested", "=", 1)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) {
        const f = await trx.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
        await recordEvents(trx, jobContext(id), jobFinishedEvents(f));
      }
      return r;
    });
    if (Number(cancelled.numUpdatedRows) === 1) return;
    await this.deps.db
      .updateTable("jobs")
      .set((eb) => ({
        state: "QUEUED",
        worker: null,
        lease_expires_at: null,
        done: 0,
        attempts: eb("attempts", "-", 1),
        error: `Interrupted (server stopped) at ${nowIso()}; nothing was applied; queued again.`,
      }))
      .where("id", "=", id)
      .where("state", "=", "RUNNING")
      .where("worker", "=", this.worker)
      .execute();
  }

  /** One round of lease work at a time: renewing ours, then taking over expired ones. */
  private tend() {
    if (this.stopped || this.leaseWork) return;
    this.leaseWork = (async () => {
      await this.renew();
      if (this.stopped) return;
      if ((await this.recover()) > 0) this.kick();
      if (Date.now() - this.lastFileSweep >= FILE_SWEEP_MS) {
        this.lastFileSweep = Date.now();
        await sweepStoredFiles(this.deps.db);
      }
    })()
      // A database hiccup is retried on the next round; the lease outlives a missed renewal.
      .catch(() => {})
      .finally(() => {
        this.leaseWork = null;
      });
  }

  /**
   * Extends the lease of every job running here, records its progress, and picks up a cancel asked
   * for through another process. A lease found gone (expired and taken over: this process was
   * frozen or cut off for longer than the lease) stops the attempt, which then rolls back.
   */
  private async renew() {
    for (const id of [...this.live.keys()]) {
      const now = new Date();
      const res = await this.deps.db
        .updateTable("jobs")
        .set({
          heartbeat_at: now.toISOString(),
          lease_expires_at: new Date(now.getTime() + this.leaseMs).toISOString(),
          done: this.live.get(id)?.done ?? 0,
        })
        .where("id", "=", id)
        .where("state", "=", "RUNNING")
        .where("worker", "=", this.worker)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) {
        // Finished meanwhile (no longer live), or no longer ours: then let go of it.
        if (this.live.has(id)) {
          this.lost.add(id);
          this.cancels.add(id);
        }
        continue;
      }
      const row = await this.deps.db.selectFrom("jobs").select("cancel_requested").where("id", "=", id).executeTakeFirst();
      if (row?.cancel_requested) {
        this.cancels.add(id);
        this.userCancels.add(id);
      }
    }
  }

  /**
   * Jobs whose lease expired (their process died or froze): their transaction never committed, so
   * nothing of them is in the database. Queue them again (their input is kept) or, after three
   * tries, fail them. Jobs of this process are never taken from it. Runs at start and then every
   * renewal interval; the conditional UPDATE makes one process win when several find the same job.
   * Returns how many jobs were taken over.
   */
  async recover(): Promise<number> {
    const { db } = this.deps;
    const now = new Date();
    const nowS = now.toISOString();
    // Rows written before leases existed carry only a heartbeat: judged by it, with the same length.
    const legacyCutoff = new Date(now.getTime() - this.leaseMs).toISOString();
    const expired = (eb: ExpressionBuilder<Database, "jobs">) =>
      eb.and([
        eb("state", "=", "RUNNING"),
        eb.or([eb("worker", "is", null), eb("worker", "<>", this.worker)]),
        eb.or([
          eb("lease_expires_at", "<", nowS),
          eb.and([
            eb("lease_expires_at", "is", null),
            eb.or([eb("heartbeat_at", "is", null), eb("heartbeat_at", "<", legacyCutoff)]),
          ]),
        ]),
      ]);
    const orphans = await db.selectFrom("jobs").selectAll().where(expired).execute();
    let taken = 0;
    for (const j of orphans) {
      const retry = j.attempts < MAX_ATTEMPTS && j.cancel_requested === 0;
      const res = await db.transaction().execute(async (trx) => {
        const r = await trx
          .updateTable("jobs")
          .set(
            retry
              ? {
                  state: "QUEUED",
                  worker: null,
                  lease_expires_at: null,
                  done: 0,
                  error: `Interrupted (its server stopped answering) at ${nowIso()}; nothing was applied; restarted.`,
                }
              : {
                  state: j.cancel_requested === 1 ? "CANCELLED" : "FAILED",
                  lease_expires_at: null,
                  finished_at: nowIso(),
                  error:
                    j.cancel_requested === 1
                      ? "Cancelled; nothing was applied."
                      : "Interrupted by server stops too many times; nothing was applied.",
                },
          )
          .where("id", "=", j.id)
          // The same job, still expired and held by the same process: not renewed or taken meanwhile.
          .where(expired)
          .where("worker", j.worker === null ? "is" : "=", j.worker)
          .executeTakeFirst();
        // Given up: its final state and job.finished commit together.
        if (!retry && Number(r.numUpdatedRows) === 1) {
          const f = await trx.selectFrom("jobs").selectAll().where("id", "=", j.id).executeTakeFirstOrThrow();
          await recordEvents(trx, jobContext(j.id), jobFinishedEvents(f));
        }
        return r;
      });
      if (Number(res.numUpdatedRows) !== 1) continue;
      taken++;
      if (!retry) await this.cleanup(j);
    }
    return taken;
  }
}

/** The context of what the runner itself writes about a job (its request id names the job). */
export const jobContext = (id: string): RequestContext => ({
  actor: { type: "system", userId: null, email: null, tokenId: null, memberships: [] },
  requestId: `job:${id}`,
  ip: null,
});

/**
 * Kinds that are the event machinery's own plumbing, not work someone asked for: their end is no
 * event. A webhook delivery's job.finished would itself be delivered by another webhook job, whose
 * end would be another event, for ever.
 */
const PLUMBING_KINDS: ReadonlySet<string> = new Set(["webhook.deliver", "mail.send"]);

/** The job.finished event of a job that ended, or none for the plumbing kinds. */
export function jobFinishedEvents(j: Parameters<typeof jobFinishedEvent>[0]): DomainEvent[] {
  return PLUMBING_KINDS.has(j.type) ? [] : [jobFinishedEvent(j)];
}

/**
 * job.finished (issue 17): the job's final state, written in the transaction that sets it. Built
 * here, where jobs end, since the runner stands below the presenters (docs/EVENTS.md).
 */
function jobFinishedEvent(
  j: Pick<JobsTable, "id" | "type" | "state" | "bulk_id" | "total" | "done" | "result" | "error" | "finished_at">,
): DomainEvent {
  let result: unknown = null;
  try {
    result = j.result ? JSON.parse(j.result) : null;
  } catch {
    result = j.result;
  }
  return {
    type: "job.finished",
    subjectType: "job",
    subjectId: j.id,
    entitlementId: j.bulk_id,
    data: {
      job: {
        id: j.id,
        type: j.type,
        state: j.state,
        bulkId: j.bulk_id,
        total: j.total,
        done: j.done,
        result,
        error: j.error,
        finishedAt: j.finished_at,
      },
    },
  };
}
