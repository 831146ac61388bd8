import { type Static, Type } from "typebox";

const Database = Type.Object({ dialect: Type.String(), reachable: Type.Boolean() });
export const HealthSchema = Type.Object({ status: Type.Literal("ok"), database: Database });
export const UnavailableSchema = Type.Object({ status: Type.Literal("unavailable"), database: Database });

/** The liveness probe: the process answers. */
export const LiveSchema = Type.Object({ status: Type.Literal("ok") });
/** The readiness probe: `ready`, or why not (database unreachable, schema not yet at this build's migrations). */
export const ReadySchema = Type.Object({
  status: Type.Union([Type.Literal("ready"), Type.Literal("unreachable"), Type.Literal("migrating")]),
});

export type Health = Static<typeof HealthSchema>;
export type Unavailable = Static<typeof UnavailableSchema>;
export type Live = Static<typeof LiveSchema>;
export type Ready = Static<typeof ReadySchema>;
