/** PARTIAL_FAILURE: a key load in `partial` mode that kept the valid keys and refused some lines (its result says which). */
export const JOB_STATES = ["QUEUED", "RUNNING", "SUCCEEDED", "PARTIAL_FAILURE", "FAILED", "CANCELLED"] as const;
export type JobState = (typeof JOB_STATES)[number];
