import { type Static, Type } from "typebox";

const Database = Type.Object({ dialect: Type.String(), reachable: Type.Boolean() });
export const HealthSchema = Type.Object({ status: Type.Literal("ok"), database: Database });
export const UnavailableSchema = Type.Object({ status: Type.Literal("unavailable"), database: Database });

export type Health = Static<typeof HealthSchema>;
export type Unavailable = Static<typeof UnavailableSchema>;
