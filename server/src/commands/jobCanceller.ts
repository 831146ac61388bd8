import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { recordEvents } from "../db/repos/events.js";
import { findJob, type JobRow } from "../db/repos/jobs.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import type { JobRunner } from "../jobs/runner.js";
import { jobFinishedEvents } from "../jobs/runner.js";
import { authorize } from "../policies/index.js";
import { nowIso } from "../util.js";

/**
 * Cancels a queued job at once, or asks a running one to stop (a running load rolls back whole);
 * `job.cancel_requested` is audited with the change. Returns the job as it now is.
 */
export async function jobCanceller(db: Db, jobs: JobRunner | undefined, ctx: RequestContext, id: string): Promise<JobRow> {
  authorize(ctx.actor, "jobs.cancel");
  // Stop a load running here first: it rolls back and frees the write lock the update below needs.
  jobs?.requestCancel(id);
  await db.transaction().execute(async (trx) => {
    const j = await trx.selectFrom("jobs").select(["id", "state"]).where("id", "=", id).executeTakeFirst();
    if (!j) throw errors.notFound("Job", id);
    if (j.state !== "QUEUED" && j.state !== "RUNNING")
      throw errors.invalidState(`The job is ${j.state}; only queued or running jobs can be cancelled.`);
    // A queued job is cancelled at once (conditionally, in case a worker claims it now); a running one is asked to stop.
    const q = await trx
      .updateTable("jobs")
      .set({ state: "CANCELLED", finished_at: nowIso(), error: "Cancelled before it started." })
      .where("id", "=", j.id)
      .where("state", "=", "QUEUED")
      .executeTakeFirst();
    if (Number(q.numUpdatedRows) === 0)
      await trx.updateTable("jobs").set({ cancel_requested: 1 }).where("id", "=", j.id).where("state", "=", "RUNNING").execute();
    else {
      // Cancelled before it ran: it has finished, so it gets its job.finished like any other end.
      const f = await trx.selectFrom("jobs").selectAll().where("id", "=", j.id).executeTakeFirstOrThrow();
      await recordEvents(trx, ctx, jobFinishedEvents(f));
    }
    await recordAudit(trx, ctx, { action: "job.cancel_requested", objectType: "job", objectId: j.id });
  });
  const job = await findJob(db, id);
  if (!job) throw errors.notFound("Job", id);
  return job;
}
