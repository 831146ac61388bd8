import { type Static, Type } from "typebox";
import { JOB_STATES } from "../enums.js";
import { PageQuery, StringEnum } from "./shared.js";

export { JOB_STATES, type JobState } from "../enums.js";

export const JobProgressSchema = Type.Object({
  done: Type.Integer(),
  total: Type.Union([Type.Integer(), Type.Null()]),
  percent: Type.Union([Type.Number(), Type.Null()]),
  ratePerSecond: Type.Union([Type.Number(), Type.Null()]),
  etaSeconds: Type.Union([Type.Number(), Type.Null()]),
});

export const JobSchema = Type.Object(
  {
    id: Type.String(),
    type: Type.String(),
    state: StringEnum(JOB_STATES),
    bulkId: Type.Union([Type.String(), Type.Null()]),
    bulkEntitlementId: Type.Union([Type.String(), Type.Null()], {
      description: "The bulk entitlement's entitlement ID, as people see it.",
    }),
    progress: JobProgressSchema,
    result: Type.Unknown(),
    error: Type.Union([Type.String(), Type.Null()]),
    cancelRequested: Type.Boolean(),
    attempts: Type.Integer(),
    createdBy: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    startedAt: Type.Union([Type.String(), Type.Null()]),
    finishedAt: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: "Job" },
);

export const JobListQuery = Type.Object(
  {
    ...PageQuery,
    bulkId: Type.Optional(Type.String()),
    state: Type.Optional(
      Type.String({
        pattern: `^(${JOB_STATES.join("|")})(,(${JOB_STATES.join("|")}))*$`,
        description: "A state or a comma-separated list.",
      }),
    ),
    type: Type.Optional(
      Type.String({
        description: "A job type. Webhook deliveries (`webhook.deliver`) are listed only when asked for by this filter.",
      }),
    ),
  },
  { additionalProperties: false },
);

export type Job = Static<typeof JobSchema>;
export type JobProgress = Static<typeof JobProgressSchema>;
export type JobListQuery = Static<typeof JobListQuery>;
