import type { Handler } from "./support.js";

/** The lifecycle operations (types in ../types/lifecycle.ts). */
export const LIFECYCLE_HANDLERS: Record<string, Handler> = {};
