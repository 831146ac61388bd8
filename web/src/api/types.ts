import type {
  AccountType,
  AttributeTime,
  AttributeValueType,
  LicenseModelState,
  LicenseModelType,
  LicenseTechnology,
  ProductState,
  ProductType,
  Role,
  UserStatus,
} from "../lib/enums";

/** Every list endpoint answers with one page and the cursor of the next one. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Membership {
  accountId: string;
  accountName: string;
  accountType: AccountType;
  role: Role;
}

export interface User {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  locale: string | null;
  timeZone: string | null;
  status: UserStatus;
  memberships: Membership[];
  lastLoginAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Session {
  user: User;
  portal: "producer" | "enduser";
  csrfToken: string | null;
  authMethod: "session" | "token";
  /** Where key cards point (LICENSOR_PUBLIC_URL); local when that is this machine only. */
  publicUrl?: { url: string; local: boolean };
}

export interface Address {
  address1: string | null;
  address2: string | null;
  city: string | null;
  state: string | null;
  zipcode: string | null;
  country: string | null;
  region: string | null;
}

export interface Account {
  id: string;
  name: string;
  type: AccountType;
  description: string | null;
  address: Address;
  visible: boolean;
  parentId: string | null;
  relatedAccountIds: string[];
  createdAt: string;
  updatedAt: string;
}

export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  accountId: string;
  role: Role;
  userId: string;
  userEmail: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface Feature {
  name: string;
  version: string;
  count: number | null;
}

export interface Product {
  id: string;
  name: string;
  version: string;
  description: string | null;
  type: ProductType;
  state: ProductState;
  features: Feature[];
  licenseModelIds: string[];
  upgradeToIds: string[];
  upsellToIds: string[];
  createdAt: string;
  updatedAt: string;
}

export interface LicenseModelAttribute {
  name: string;
  valueType: AttributeValueType;
  time: AttributeTime;
  required: boolean;
  defaultValue?: string | null;
  allowedValues?: string[] | null;
}

export interface LicenseModelPolicies {
  allowedReturns: number | null;
  allowedRehosts: number | null;
  allowedRepairs: number | null;
}

export interface LicenseModel {
  id: string;
  name: string;
  description: string | null;
  technology: LicenseTechnology;
  modelType: LicenseModelType;
  state: LicenseModelState;
  attributes: LicenseModelAttribute[];
  policies: LicenseModelPolicies;
  createdAt: string;
  updatedAt: string;
}

export interface PartNumber {
  id: string;
  partId: string;
  description: string | null;
  productId: string;
  productName: string;
  productVersion: string;
  quantity: number;
  licenseModelId: string | null;
  licenseModelName: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PartnerTier {
  name: string;
  displayName: string;
  description: string | null;
  rank: number;
  builtIn: boolean;
}

export interface AuditEvent {
  id: string;
  at: string;
  actor: { type: string; id: string | null; label: string };
  tokenId: string | null;
  action: string;
  objectType: string;
  objectId: string;
  changes: Record<string, { before: unknown; after: unknown }> | null;
  requestId: string | null;
  ip: string | null;
}

/** One configurable ID generator: prefix + groups of random characters from the alphabet. */
export interface IdTemplate {
  /** May contain the tokens {kind} (S or B), {orderId} and {year}. */
  prefix: string;
  groups: number;
  groupLength: number;
  separator: string;
  alphabet: string;
}

export interface IdTemplateOut extends IdTemplate {
  /** A freshly generated sample ID. */
  example: string;
  randomBits: number;
}

/** Generated web register keys: groups × groupLength Crockford base32 symbols, the last a check symbol. */
export interface KeyFormat {
  groups: number;
  groupLength: number;
  /** "-", " " or "". */
  separator: string;
}

export interface InstanceSettings {
  idTemplates: { entitlement: IdTemplateOut; activation: IdTemplateOut };
  allowEditDeployed: boolean;
  allowUsedItemsInactiveObsolete: boolean;
  keyFormat: KeyFormat & { example: string; randomBits: number };
  /** ID of the entitlement a redeemed key becomes; {key} is the key (default {key}ENT). */
  redeemedEntitlementIdTemplate: string;
}

/** One product of a line item or bulk configuration, with the quantity each copy includes. */
export interface ConfigProduct {
  productId: string;
  name: string;
  version: string;
  quantity: number;
}

/** What a line item or a bulk entitlement's product configuration says (server/src/presenters/entitlements.ts). */
export interface ProductConfig {
  products: ConfigProduct[];
  partNumberId: string | null;
  partId: string | null;
  licenseModelId: string | null;
  licenseModelName: string | null;
  alternateLicenseModelIds: string[];
  licenseModelAttributes: Record<string, string>;
  startDateOption: string;
  startDate: string | null;
  isPermanent: boolean;
  term: { count: number; unit: string } | null;
  expirationDate: string | null;
  /** The expiry the dates give today; null if permanent or set at activation. */
  effectiveExpirationDate: string | null;
  versionDateOption: string | null;
  versionDate: string | null;
  numberOfCopies: number;
  description: string | null;
  orderId: string | null;
  orderLineNumber: string | null;
}

export interface LineItem extends ProductConfig {
  id: string;
  activationId: string;
  state: string;
  lineItemType: string | null;
  fulfilledCount: number;
  availableCount: number;
  parentLineItemId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface BulkProduct extends ProductConfig {
  bulkEntitlementType: string | null;
}

export interface ChannelPartner {
  tier: string;
  tierName: string;
  accountId: string;
  accountName: string;
  contactUserId: string | null;
  contactEmail: string | null;
  currentOwner: boolean;
}

export interface Entitlement {
  id: string;
  entitlementId: string;
  kind: "SIMPLE" | "BULK";
  state: string;
  description: string | null;
  shipToEmail: string | null;
  shipToAddress: string | null;
  orderId: string | null;
  orderLineNumber: string | null;
  allowPortalLogin: boolean;
  customAttributes: Record<string, string>;
  /** Account ID: End Customer (simple) or Distributor (bulk). */
  soldTo: string | null;
  channelPartners: ChannelPartner[];
  /** BULK only: the one product configuration (null until "Add Product"). */
  product: BulkProduct | null;
  /** SIMPLE only. */
  lineItems: LineItem[];
  parentBulkId: string | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface EntitlementEvent {
  id: string;
  event: string;
  at: string;
  userId: string | null;
  user: string | null;
  description: string | null;
}

/** FNO batch result of the list page's multi-select Change State. */
export interface EntitlementStatesResult {
  status: "SUCCESS" | "PARTIAL_FAILURE" | "FAILURE";
  results: { id: string; entitlementId: string | null; ok: boolean; state: string | null; reason: string | null }[];
}

export type KeyStatus = "UNREDEEMED" | "REDEEMED";

/** A web register key of a bulk entitlement (server/src/routes/keys.ts KeySchema). */
export interface WebRegisterKey {
  key: string;
  status: KeyStatus;
  createdAt: string;
  redeemedAt: string | null;
  redeemedBy: string | null;
  /** Account ID of the company that redeemed it. */
  soldTo: string | null;
  owner: string | null;
  /** The simple entitlement the key produced. */
  entitlementId: string | null;
}

export interface KeyCounts {
  total: number;
  redeemed: number;
  unredeemed: number;
}

export interface KeyBadLine {
  line: number;
  /** Masked by the server (never the whole key). */
  key: string;
  reason: string;
}

/** What a key load (import, generate, batch) did; FAILURE loaded nothing. */
export interface KeyLoadReport {
  status: "SUCCESS" | "PARTIAL_FAILURE" | "FAILURE";
  mode: "all" | "partial";
  read: number;
  loaded: number;
  rejected: number;
  badLines: KeyBadLine[];
  /** More bad lines than the report lists (`rejected` counts them all). */
  truncated: boolean;
}

export interface JobRef {
  jobId: string;
  state: string;
}

/** PARTIAL_FAILURE: a partial key load that kept the valid keys and refused lines (its report names them). */
export type JobState = "QUEUED" | "RUNNING" | "SUCCEEDED" | "PARTIAL_FAILURE" | "FAILED" | "CANCELLED";

export interface JobProgress {
  done: number;
  /** Null while unknown (a file being read). */
  total: number | null;
  percent: number | null;
  ratePerSecond: number | null;
  etaSeconds: number | null;
}

export interface Job {
  id: string;
  type: string;
  state: JobState;
  /** The bulk entitlement's internal id. */
  bulkId: string | null;
  progress: JobProgress;
  /** A key load report for key loads, `{deleted}` for deletions, or null. */
  result: unknown;
  error: string | null;
  cancelRequested: boolean;
  attempts: number;
  createdBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** POST /redemptions: `created` is false when this account had already registered the key. */
export interface RedeemResult {
  created: boolean;
  entitlement: Entitlement;
}

/** POST /registrations: the new user's session (the cookie is set) and the entitlement the key became. */
export interface RegistrationResult {
  user: User;
  portal: "enduser";
  csrfToken: string;
  entitlement: Entitlement;
}
