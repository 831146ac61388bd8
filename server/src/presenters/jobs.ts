import type { Job } from "../../../common/src/api/jobs.js";
import type { JobState } from "../../../common/src/enums.js";
import type { JobRow } from "../db/repos/jobs.js";
import type { JobRunner } from "../jobs/runner.js";

/** A job as JSON, with live progress (done/total, rate, ETA) when it runs in this process. */
export function presentJob(
  j: Omit<JobRow, "bulk_entitlement_id"> & { bulk_entitlement_id?: string | null },
  runner: JobRunner | undefined,
): Job {
  const live = j.state === "RUNNING" ? runner?.liveProgress(j.id) : undefined;
  const done = live?.done ?? j.done;
  const total = live?.total ?? j.total;
  const elapsed = live
    ? (Date.now() - live.startedAt) / 1000
    : j.started_at && j.finished_at
      ? (Date.parse(j.finished_at) - Date.parse(j.started_at)) / 1000
      : null;
  const rate = elapsed && elapsed > 0 && done > 0 ? done / elapsed : null;
  return {
    id: j.id,
    type: j.type,
    state: j.state as JobState,
    bulkId: j.bulk_id,
    bulkEntitlementId: j.bulk_entitlement_id ?? null,
    progress: {
      done,
      total,
      percent:
        j.state === "SUCCEEDED" || j.state === "PARTIAL_FAILURE" ? 100 : total ? Math.min(100, (100 * done) / total) : null,
      ratePerSecond: rate ? Math.round(rate) : null,
      etaSeconds: live && rate && total ? Math.max(0, Math.round((total - done) / rate)) : null,
    },
    result: j.result ? JSON.parse(j.result) : null,
    error: j.error,
    cancelRequested: j.cancel_requested === 1,
    attempts: j.attempts,
    createdBy: j.created_by_label,
    createdAt: j.created_at,
    startedAt: j.started_at,
    finishedAt: j.finished_at,
  };
}
