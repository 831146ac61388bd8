import { type Static, Type } from "typebox";
import { DateFilterParam, PageQuery, StringEnum, TextFilterParam } from "./shared.js";

export const AuditEventSchema = Type.Object(
  {
    id: Type.String(),
    at: Type.String(),
    actor: Type.Object({
      type: Type.String(),
      id: Type.Union([Type.String(), Type.Null()]),
      label: Type.Union([Type.String(), Type.Null()]),
    }),
    tokenId: Type.Union([Type.String(), Type.Null()]),
    action: Type.String(),
    objectType: Type.String(),
    objectId: Type.String(),
    changes: Type.Record(Type.String(), Type.Object({ before: Type.Unknown(), after: Type.Unknown() })),
    requestId: Type.Union([Type.String(), Type.Null()]),
    ip: Type.Union([Type.String(), Type.Null()]),
    interface: Type.Union([StringEnum(["REST", "SOAP"] as const), Type.Null()], {
      description: "The interface the change came through; null for events before it was recorded, and the CLI's.",
    }),
  },
  { $id: "AuditEvent" },
);

export const AuditEventListQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(Type.String({ description: "Simple search in object ID, action and actor." })),
    objectType: Type.Optional(Type.String()),
    objectId: TextFilterParam("Object ID"),
    action: TextFilterParam("Action, e.g. account.created"),
    actorId: Type.Optional(Type.String()),
    actor: TextFilterParam("Actor label (email)"),
    requestId: Type.Optional(Type.String()),
    at: DateFilterParam("When"),
    interface: Type.Optional(StringEnum(["REST", "SOAP"] as const, { description: "Only changes made through this interface." })),
  },
  { additionalProperties: false },
);

export type AuditEvent = Static<typeof AuditEventSchema>;
export type AuditEventListQuery = Static<typeof AuditEventListQuery>;
