import type { Handler } from "./support.js";

/** The entitlements operations (types in ../types/entitlements.ts). */
export const ENTITLEMENTS_HANDLERS: Record<string, Handler> = {};
