/**
 * FNO's vocabulary, used as-is so an FNO-compatible facade maps one to one (PRODUCT.md §2).
 * Shared by server, web and CLI.
 */
export const ACCOUNT_TYPES = ["CUSTOMER", "CHANNEL_PARTNER", "PUBLISHER", "SELF_REGISTERED"] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

export const PRODUCER_ROLES = ["PRODUCER_ADMIN", "PRODUCER_OPERATIONS", "PRODUCER_SUPPORT", "PRODUCER_VIEWER"] as const;
export const PARTNER_ROLES = ["PARTNER_PORTAL_ADMIN", "PARTNER_PORTAL_USER"] as const;
export const CUSTOMER_ROLES = ["CUSTOMER_PORTAL_ADMIN", "CUSTOMER_PORTAL_USER"] as const;
export const ROLES = [...PRODUCER_ROLES, ...PARTNER_ROLES, ...CUSTOMER_ROLES] as const;
export type Role = (typeof ROLES)[number];
export type ProducerRole = (typeof PRODUCER_ROLES)[number];
/** The producer roles that change business data (accounts, catalog, entitlements): admin and operations. */
export const PRODUCER_WRITER_ROLES = ["PRODUCER_ADMIN", "PRODUCER_OPERATIONS"] as const satisfies readonly Role[];
/** The roles that manage an account's portal users. */
export const PORTAL_ADMIN_ROLES = ["PARTNER_PORTAL_ADMIN", "CUSTOMER_PORTAL_ADMIN"] as const satisfies readonly Role[];

export const ROLE_LABELS: Record<Role, string> = {
  PRODUCER_ADMIN: "Producer admin",
  PRODUCER_OPERATIONS: "Producer operations",
  PRODUCER_SUPPORT: "Producer support",
  PRODUCER_VIEWER: "Producer viewer",
  PARTNER_PORTAL_ADMIN: "Partner portal admin",
  PARTNER_PORTAL_USER: "Partner portal user",
  CUSTOMER_PORTAL_ADMIN: "Customer portal admin",
  CUSTOMER_PORTAL_USER: "Customer portal user",
};

/** Which account types a role may be held on. */
export function roleFitsAccountType(role: Role, type: AccountType): boolean {
  if ((PRODUCER_ROLES as readonly string[]).includes(role)) return type === "PUBLISHER";
  if ((PARTNER_ROLES as readonly string[]).includes(role)) return type === "CHANNEL_PARTNER";
  return type === "CUSTOMER" || type === "SELF_REGISTERED";
}

/**
 * Roles a holder of `role` may hand to an API token: the same role or a weaker one of the same
 * family (admin > operations > support > viewer; portal admin > portal user).
 */
export function rolesAtOrBelow(role: Role): Role[] {
  for (const family of [PRODUCER_ROLES, PARTNER_ROLES, CUSTOMER_ROLES] as readonly (readonly Role[])[]) {
    const i = family.indexOf(role);
    if (i >= 0) return family.slice(i);
  }
  return [];
}

export const USER_STATUSES = ["ACTIVE", "INACTIVE"] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const STATE_TYPES = ["DRAFT", "DEPLOYED", "INACTIVE", "OBSOLETE", "TEST", "ON_HOLD"] as const;
export type StateType = (typeof STATE_TYPES)[number];

export const PRODUCT_STATES = ["DRAFT", "DEPLOYED", "OBSOLETE"] as const;
export type ProductState = (typeof PRODUCT_STATES)[number];
export const PRODUCT_TYPES = ["PRODUCT", "SUITE", "MAINTENANCE"] as const;
export type ProductType = (typeof PRODUCT_TYPES)[number];
export const PRODUCT_RELATION_KINDS = ["UPGRADE", "UPSELL"] as const;
export type ProductRelationKind = (typeof PRODUCT_RELATION_KINDS)[number];

export const LICENSE_MODEL_STATES = ["DRAFT", "DEPLOYED", "OBSOLETE"] as const;
export type LicenseModelState = (typeof LICENSE_MODEL_STATES)[number];
export const LICENSE_TECHNOLOGIES = ["CERTIFICATE", "ACTIVATION"] as const;
export type LicenseTechnology = (typeof LICENSE_TECHNOLOGIES)[number];
export const LICENSE_MODEL_TYPES = ["NODE_LOCKED_UNCOUNTED", "NODE_LOCKED_COUNTED", "FLOATING"] as const;
export type LicenseModelType = (typeof LICENSE_MODEL_TYPES)[number];
export const ATTRIBUTE_TIMES = ["ENTITLEMENT", "FULFILLMENT"] as const;
export type AttributeTime = (typeof ATTRIBUTE_TIMES)[number];
export const ATTRIBUTE_VALUE_TYPES = ["STRING", "NUMBER", "DATE", "BOOLEAN", "ENUM"] as const;
export type AttributeValueType = (typeof ATTRIBUTE_VALUE_TYPES)[number];

export const START_DATE_OPTIONS = [
  "DEFINE_NOW",
  "DEFINE_AT_FIRST_ACTIVATION",
  "DEFINE_AT_EACH_ACTIVATION",
  "DEFINE_ACTDATE_AT_FIRST_ACTIVATION",
  "DEFINE_ACTDATE_AT_EACH_ACTIVATION",
] as const;
export const VERSION_DATE_OPTIONS = [
  "DEFINE_NOW",
  "USE_START_DATE",
  "USE_ACTIVATION_DATE",
  "DEFINE_VERSION_STARTDATE_LATER",
  "DEFINE_VERSION_DATE_LATER",
] as const;
export const DURATION_UNITS = ["DAYS", "WEEKS", "MONTHS", "YEARS"] as const;
export const LINE_ITEM_TYPES = ["UPGRADE", "UPSELL", "RENEWAL"] as const;

export const TEXT_OPERATORS = ["STARTS_WITH", "CONTAINS", "ENDS_WITH", "EQUALS"] as const;
export type TextOperator = (typeof TEXT_OPERATORS)[number];
export const DATE_OPERATORS = ["BEFORE", "AFTER", "ON"] as const;
export type DateOperator = (typeof DATE_OPERATORS)[number];

export const BATCH_STATUSES = ["SUCCESS", "PARTIAL_FAILURE", "FAILURE"] as const;

/** PARTIAL_FAILURE: a key load in `partial` mode that kept the valid keys and refused some lines (its result says which). */
export const JOB_STATES = ["QUEUED", "RUNNING", "SUCCEEDED", "PARTIAL_FAILURE", "FAILED", "CANCELLED"] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Built-in partner tiers, stored by FNO's constants. */
export const TIER_DISTRIBUTOR = "bo.constants.partnertiernames.tier1";
export const TIER_END_CUSTOMER = "bo.constants.partnertiernames.endcustomer";

/** Host ID types a license can be bound to (docs/LICENSE-FORMAT.md §4). */
export const HOST_ID_TYPES = ["STRING", "ETHERNET", "VM_UUID", "CONTAINER_ID", "USER", "PUBLISHER_DEFINED"] as const;
export type HostIdType = (typeof HOST_ID_TYPES)[number];
/** FNO's SupportLicenseType: what a fulfillment record is to its line item. */
export const FULFILLMENT_TYPES = [
  "MASTER",
  "REHOST",
  "RETURN",
  "REPAIR",
  "STOPGAP",
  "EMERGENCY",
  "PUBLISHER_ERROR",
  "TRANSFER",
  "UPGRADE",
  "UPSELL",
  "RENEW",
] as const;
export type FulfillmentType = (typeof FULFILLMENT_TYPES)[number];
/** ACTIVE: a license in force; OBSOLETE: replaced (rehost, repair); RETURNED: its count went back to the line item. */
export const FULFILLMENT_STATES = ["ACTIVE", "OBSOLETE", "RETURNED"] as const;
export type FulfillmentState = (typeof FULFILLMENT_STATES)[number];
/** How the activation reached the server: online (portal or API) or an offline request file carried over. */
export const FULFILLMENT_SOURCES = ["ONLINE", "OFFLINE_REQUEST"] as const;
export type FulfillmentSource = (typeof FULFILLMENT_SOURCES)[number];

/**
 * Domain event types (issue 17): what webhooks deliver and `GET /api/v1/events` lists. A type is
 * `<subject>.<what happened>`; endpoints filter by exact type or by `<subject>.*`.
 */
export const EVENT_TYPES = [
  "entitlement.created",
  "entitlement.updated",
  "entitlement.state_changed",
  "entitlement.deleted",
  "entitlement.split",
  "entitlement.transferred",
  "line_item.created",
  "line_item.updated",
  "line_item.state_changed",
  "line_item.deleted",
  "key.loaded",
  "key.redeemed",
  "key.deleted",
  "fulfillment.created",
  "fulfillment.returned",
  "fulfillment.rehosted",
  "fulfillment.repaired",
  "account.created",
  "account.updated",
  "account.merged",
  "account.deleted",
  "job.finished",
  "webhook.test",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
