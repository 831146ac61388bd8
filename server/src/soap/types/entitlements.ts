/**
 * Wire types of the entitlements operations, in schema.ts's field DSL (see there). A type another group
 * also defines must be defined identically (schema.ts checks when it loads).
 */
export const ENTITLEMENTS_DEFS: Record<string, string> = {};

/** Request and response types of the supported entitlements operations, by operation name. */
export const ENTITLEMENTS_OPERATION_TYPES: Record<string, { request: string; response: string }> = {};

/** What versions before v4 say differently in these types (see schema.ts's OVERRIDES), by version. */
export const ENTITLEMENTS_VERSION_OVERRIDES: Partial<Record<"base" | "v1" | "v2" | "v3", Record<string, string>>> = {};
