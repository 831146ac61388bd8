import type { RequestContext } from "../actor.js";
import type { Config } from "../config.js";
import type { BulkConnection, Dialect } from "../db/connect.js";
import type { Db, JobsTable, Trx } from "../db/schema.js";

/**
 * What a kind of background job is to the runner, and where each kind registers. The runner
 * (runner.ts) claims a job and looks its handler up here by the job's type; a handler module
 * (handlers.ts: the key jobs) registers its kinds when it is loaded. So the runner knows no kind of
 * job, and a handler knows no runner: both know only this file.
 */

export interface JobDeps {
  db: Db;
  dialect: Dialect;
  config: Config;
  bulk: () => BulkConnection;
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

/** Thrown by a handler that saw `cancelled()`: the job ends CANCELLED (or is queued again if its process is stopping). */
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

/**
 * Every kind of job, by its type, with the params it is queued with. Empty here: each handler
 * module adds its kinds by declaration merging (`declare module "./registry.js"`), so queueing a job
 * of an unknown kind, or with the wrong params, does not compile.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the handler modules through declaration merging.
export interface JobKinds {}

export type JobType = keyof JobKinds & string;

export interface JobHandler {
  /** Does the job; throws to fail it (JobRefused with a report, JobCancelled once it saw `cancelled()`). */
  run(jc: JobContext): Promise<void>;
  /**
   * Removes what the job kept once it has ended, however it ended (its upload; a failed export's
   * partial file). Also called for a job given up after too many interrupted attempts.
   */
  cleanup?(deps: Pick<JobDeps, "config" | "db">, job: JobsTable): Promise<void>;
}

const handlers = new Map<string, JobHandler>();

/** Makes `kind` runnable by every runner of this process. A kind is registered once. */
export function registerJobHandler(kind: JobType, handler: JobHandler): void {
  if (handlers.has(kind)) throw new Error(`job kind ${kind} is registered twice`);
  handlers.set(kind, handler);
}

/** The handler of a job's type, or undefined when no loaded module registered that kind. */
export function jobHandler(type: string): JobHandler | undefined {
  return handlers.get(type);
}
