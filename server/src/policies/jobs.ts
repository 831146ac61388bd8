import type { Actor } from "../actor.js";
import { keyPolicy } from "./keys.js";
import { producerStaff, producerWriter } from "./predicates.js";

/** A background job as job policies see it: its type and, for key jobs, its bulk's current owner. */
export type JobRef = { type: string; bulkOwnerAccountId: string | null };

/**
 * Background jobs. Producer staff see every job. A key export is started by whoever may read the
 * bulk's keys (`keys.read`, the current-owner partner included), so the same rule decides who may
 * follow it and download its file: what starts a job must be able to finish it.
 */
export const jobPolicy = {
  "jobs.list": (a: Actor) => producerStaff(a),
  "jobs.read": (a: Actor, j: JobRef) =>
    producerStaff(a) || (j.type === "keys.export" && keyPolicy["keys.read"](a, { currentOwnerAccountId: j.bulkOwnerAccountId })),
  "jobs.cancel": (a: Actor) => producerWriter(a),
};
