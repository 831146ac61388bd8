import type {
  AccountType,
  AttributeTime,
  AttributeValueType,
  LicenseModelType,
  LicenseTechnology,
  ProductType,
  Role,
} from "../lib/enums";
import { api, type QueryParams, request, seg, upload } from "./client";
import type {
  Account,
  Address,
  ApiToken,
  AuditEvent,
  Entitlement,
  EntitlementEvent,
  EntitlementStatesResult,
  Feature,
  IdTemplate,
  InstanceSettings,
  Job,
  JobRef,
  KeyCounts,
  KeyFormat,
  KeyLoadReport,
  KeyStatus,
  LicenseModel,
  Page,
  PartNumber,
  PartnerTier,
  Product,
  RedeemResult,
  RegistrationResult,
  Session,
  User,
  WebRegisterKey,
} from "./types";

/** Query keys: the first element names the resource so a mutation can invalidate all of it. */
export const keys = {
  session: ["session"] as const,
  accounts: ["accounts"] as const,
  users: ["users"] as const,
  tokens: ["tokens"] as const,
  products: ["products"] as const,
  licenseModels: ["license-models"] as const,
  partNumbers: ["part-numbers"] as const,
  partnerTiers: ["partner-tiers"] as const,
  audit: ["audit-events"] as const,
  settings: ["settings"] as const,
  entitlements: ["entitlements"] as const,
  /** `[...webRegisterKeys, bulkId, …]`: one bulk entitlement's keys and counts. */
  webRegisterKeys: ["web-register-keys"] as const,
  jobs: ["jobs"] as const,
};

export const sessionApi = {
  get: () => request<Session>("GET", "/session", { quiet401: true }),
  login: (email: string, password: string) => request<Session>("POST", "/session", { body: { email, password }, quiet401: true }),
  logout: () => request<void>("DELETE", "/session", { quiet401: true }),
  changePassword: (currentPassword: string, newPassword: string, revokeTokens = false) =>
    api.post<void>("/session/password", { currentPassword, newPassword, revokeTokens }),
};

export interface AccountInput {
  id?: string;
  name?: string;
  type?: Exclude<AccountType, "PUBLISHER">;
  description?: string | null;
  address?: Partial<Address>;
  visible?: boolean;
  parentId?: string | null;
}

export const accountsApi = {
  list: (q: QueryParams) => api.get<Page<Account>>("/accounts", q),
  get: (id: string) => api.get<Account>(`/accounts/${seg(id)}`),
  create: (body: AccountInput) => api.post<Account>("/accounts", body),
  update: (id: string, body: AccountInput) => api.patch<Account>(`/accounts/${seg(id)}`, body),
  remove: (id: string) => api.del(`/accounts/${seg(id)}`),
  relate: (id: string, accountId: string) =>
    api.post<{ relatedAccountIds: string[] }>(`/accounts/${seg(id)}/related-accounts`, { accountId }),
  unrelate: (id: string, relatedId: string) =>
    api.del<{ relatedAccountIds: string[] }>(`/accounts/${seg(id)}/related-accounts/${seg(relatedId)}`),
};

export interface MembershipInput {
  accountId: string;
  role: Role;
}
export interface UserInput {
  email?: string;
  firstName?: string;
  lastName?: string;
  phone?: string | null;
  locale?: string | null;
  timeZone?: string | null;
  password?: string;
  memberships?: MembershipInput[];
}

export const usersApi = {
  list: (q: QueryParams) => api.get<Page<User>>("/users", q),
  get: (id: string) => api.get<User>(`/users/${seg(id)}`),
  create: (body: UserInput) => api.post<User & { initialPassword?: string }>("/users", body),
  update: (id: string, body: UserInput) => api.patch<User>(`/users/${seg(id)}`, body),
  deactivate: (id: string) => api.post<User>(`/users/${seg(id)}/actions/deactivate`),
  activate: (id: string) => api.post<User>(`/users/${seg(id)}/actions/activate`),
  resetPassword: (id: string, revokeTokens = false) =>
    api.post<{ password: string; sessionsEnded: number; tokensRevoked: number }>(`/users/${seg(id)}/actions/reset-password`, {
      revokeTokens,
    }),
};

export interface TokenInput {
  name: string;
  accountId: string;
  role: Role;
  expiresAt?: string;
}
export const tokensApi = {
  list: (q: QueryParams) => api.get<Page<ApiToken>>("/tokens", q),
  create: (body: TokenInput) => api.post<ApiToken & { token: string }>("/tokens", body),
  revoke: (id: string) => api.del(`/tokens/${seg(id)}`),
};

export interface ProductInput {
  name?: string;
  version?: string;
  description?: string | null;
  type?: ProductType;
  features?: Feature[];
  licenseModelIds?: string[];
  upgradeToIds?: string[];
  upsellToIds?: string[];
}
export const productsApi = {
  list: (q: QueryParams) => api.get<Page<Product>>("/products", q),
  get: (id: string) => api.get<Product>(`/products/${seg(id)}`),
  create: (body: ProductInput) => api.post<Product>("/products", body),
  update: (id: string, body: ProductInput) => api.patch<Product>(`/products/${seg(id)}`, body),
  remove: (id: string) => api.del(`/products/${seg(id)}`),
  changeState: (id: string, state: string) => api.post<Product>(`/products/${seg(id)}/actions/change-state`, { state }),
};

export interface LicenseModelInput {
  name?: string;
  description?: string | null;
  technology?: LicenseTechnology;
  modelType?: LicenseModelType;
  attributes?: {
    name: string;
    valueType: AttributeValueType;
    time: AttributeTime;
    required: boolean;
    defaultValue?: string | null;
    allowedValues?: string[] | null;
  }[];
  policies?: { allowedReturns: number | null; allowedRehosts: number | null; allowedRepairs: number | null };
}
export const licenseModelsApi = {
  list: (q: QueryParams) => api.get<Page<LicenseModel>>("/license-models", q),
  get: (id: string) => api.get<LicenseModel>(`/license-models/${seg(id)}`),
  create: (body: LicenseModelInput) => api.post<LicenseModel>("/license-models", body),
  update: (id: string, body: LicenseModelInput) => api.patch<LicenseModel>(`/license-models/${seg(id)}`, body),
  remove: (id: string) => api.del(`/license-models/${seg(id)}`),
  changeState: (id: string, state: string) =>
    api.post<LicenseModel>(`/license-models/${seg(id)}/actions/change-state`, { state }),
};

export interface PartNumberInput {
  partId?: string;
  description?: string | null;
  productId?: string;
  quantity?: number;
  licenseModelId?: string | null;
}
export const partNumbersApi = {
  list: (q: QueryParams) => api.get<Page<PartNumber>>("/part-numbers", q),
  get: (id: string) => api.get<PartNumber>(`/part-numbers/${seg(id)}`),
  create: (body: PartNumberInput) => api.post<PartNumber>("/part-numbers", body),
  update: (id: string, body: PartNumberInput) => api.patch<PartNumber>(`/part-numbers/${seg(id)}`, body),
  remove: (id: string) => api.del(`/part-numbers/${seg(id)}`),
};

export interface PartnerTierInput {
  name?: string;
  displayName?: string;
  description?: string | null;
  rank?: number;
}
export const partnerTiersApi = {
  list: () => api.get<Page<PartnerTier>>("/partner-tiers"),
  create: (body: PartnerTierInput) => api.post<PartnerTier>("/partner-tiers", body),
  update: (name: string, body: PartnerTierInput) => api.patch<PartnerTier>(`/partner-tiers/${seg(name)}`, body),
  remove: (name: string) => api.del(`/partner-tiers/${seg(name)}`),
};

export const auditApi = {
  list: (q: QueryParams) => api.get<Page<AuditEvent>>("/audit-events", q),
};

export interface SettingsInput {
  idTemplates?: { entitlement?: IdTemplate; activation?: IdTemplate };
  allowEditDeployed?: boolean;
  allowUsedItemsInactiveObsolete?: boolean;
  keyFormat?: KeyFormat;
  redeemedEntitlementIdTemplate?: string;
}
export const settingsApi = {
  get: () => api.get<InstanceSettings>("/settings"),
  update: (body: SettingsInput) => api.patch<InstanceSettings>("/settings", body),
};

/** A line item or bulk product configuration as the API takes it (server/src/routes/entitlements.ts ProductConfigBody). */
export interface ProductConfigInput {
  products?: { productId: string; quantity?: number }[];
  partNumberId?: string | null;
  licenseModelId?: string | null;
  alternateLicenseModelIds?: string[];
  licenseModelAttributes?: Record<string, string | number | boolean>;
  startDateOption?: string;
  startDate?: string | null;
  isPermanent?: boolean;
  term?: { count: number; unit: string } | null;
  expirationDate?: string | null;
  versionDateOption?: string | null;
  versionDate?: string | null;
  numberOfCopies?: number;
  description?: string | null;
  orderId?: string | null;
  orderLineNumber?: string | null;
}
export interface BulkProductInput extends ProductConfigInput {
  bulkEntitlementType?: string | null;
}
export interface LineItemInput extends ProductConfigInput {
  lineItemType?: string | null;
  /** Specify an activation ID; absent = Auto Generate. */
  activationId?: string | null;
}
export interface ChannelPartnerInput {
  tier: string;
  accountId: string;
  contactUserId?: string | null;
  currentOwner?: boolean;
}
export interface EntitlementHeaderInput {
  /** Specify an ID; absent = Auto Generate. */
  entitlementId?: string | null;
  description?: string | null;
  shipToEmail?: string | null;
  shipToAddress?: string | null;
  orderId?: string | null;
  orderLineNumber?: string | null;
  soldTo?: string | null;
  channelPartners?: ChannelPartnerInput[];
  allowPortalLogin?: boolean;
  customAttributes?: Record<string, string>;
}
export interface EntitlementCreateInput extends EntitlementHeaderInput {
  kind: "SIMPLE" | "BULK";
  test?: boolean;
  product?: BulkProductInput | null;
  lineItems?: LineItemInput[];
  autoDeploy?: boolean;
}

const ent = (id: string) => `/entitlements/${seg(id)}`;
export const entitlementsApi = {
  list: (q: QueryParams) => api.get<Page<Entitlement>>("/entitlements", q),
  count: (q: QueryParams) => api.get<{ count: number }>("/entitlements/count", q),
  get: (id: string) => api.get<Entitlement>(ent(id)),
  create: (body: EntitlementCreateInput) => api.post<Entitlement>("/entitlements", body),
  update: (id: string, body: EntitlementHeaderInput) => api.patch<Entitlement>(ent(id), body),
  remove: (id: string) => api.del(ent(id)),
  history: (id: string) => api.get<{ items: EntitlementEvent[] }>(`${ent(id)}/history`),
  changeState: (id: string, state: string) => api.post<Entitlement>(`${ent(id)}/actions/change-state`, { state }),
  changeStates: (ids: string[], state: string) =>
    api.post<EntitlementStatesResult>("/entitlements/actions/change-state", { ids, state }),
  regenerateIds: (id: string) => api.post<Entitlement>(`${ent(id)}/actions/regenerate-ids`),
  copy: (id: string) => api.post<Entitlement>(`${ent(id)}/actions/copy`),
  /** Add Product: sets the bulk configuration (replaces it whole). */
  setProduct: (id: string, body: BulkProductInput) => request<Entitlement>("PUT", `${ent(id)}/product`, { body }),
  /** Edit product: merges the given fields onto the bulk configuration. */
  patchProduct: (id: string, body: BulkProductInput) => api.patch<Entitlement>(`${ent(id)}/product`, body),
  addLineItems: (id: string, lineItems: LineItemInput[]) => api.post<Entitlement>(`${ent(id)}/line-items`, { lineItems }),
  updateLineItem: (id: string, lineItemId: string, body: LineItemInput) =>
    api.patch<Entitlement>(`${ent(id)}/line-items/${seg(lineItemId)}`, body),
  removeLineItem: (id: string, lineItemId: string) => api.del<Entitlement>(`${ent(id)}/line-items/${seg(lineItemId)}`),
  changeLineItemState: (id: string, lineItemId: string, state: string) =>
    api.post<Entitlement>(`${ent(id)}/line-items/${seg(lineItemId)}/actions/change-state`, { state }),
};

/** Web register keys of a bulk entitlement (server/src/routes/keys.ts); `id` is the entitlement's internal id. */
export const webRegisterKeysApi = {
  list: (id: string, q: QueryParams) => api.get<Page<WebRegisterKey>>(`${ent(id)}/keys`, q),
  counts: (id: string) => api.get<KeyCounts>(`${ent(id)}/keys/counts`),
  add: (id: string, key: string) => api.post<WebRegisterKey>(`${ent(id)}/keys`, { key }),
  /** Up to 10,000 keys answer at once with the report; more start a job. */
  generate: (id: string, count: number) => api.post<KeyLoadReport | JobRef>(`${ent(id)}/keys/generate`, { count }),
  /** Always a job; its result is the load report. */
  importFile: (id: string, file: File, mode: "all" | "partial") => {
    const form = new FormData();
    form.append("mode", mode);
    form.append("file", file, file.name);
    return upload<JobRef>(`${ent(id)}/keys/import`, form);
  },
  deleteKeys: (id: string, list: string[]) => api.post<{ deleted: number }>(`${ent(id)}/keys/delete`, { keys: list }),
  /** Small sets answer at once; large ones start a job. */
  deleteAllUnredeemed: (id: string) => api.post<{ deleted: number } | JobRef>(`${ent(id)}/keys/delete`, { all: true }),
  csvUrl: (id: string, status?: KeyStatus) =>
    `/api/v1${ent(id)}/keys/export.csv${status ? `?status=${encodeURIComponent(status)}` : ""}`,
  pdfUrl: (id: string, limit: number, afterKeyNumber = 0) =>
    `/api/v1${ent(id)}/keys/export.pdf?status=UNREDEEMED&limit=${limit}${afterKeyNumber > 0 ? `&afterKeyNumber=${afterKeyNumber}` : ""}`,
};

export const isJobRef = (x: unknown): x is JobRef => !!x && typeof x === "object" && typeof (x as JobRef).jobId === "string";

export const jobsApi = {
  list: (q: QueryParams) => api.get<Page<Job>>("/jobs", q),
  get: (id: string) => api.get<Job>(`/jobs/${seg(id)}`),
  cancel: (id: string) => api.post<Job>(`/jobs/${seg(id)}/actions/cancel`),
};

/** Redeeming web register keys (server/src/routes/redemptions.ts). */
export const redemptionsApi = {
  /** 201 `created: true` with the new entitlement; 200 `created: false` with the one this account already has. */
  redeem: (body: { key: string; soldTo?: string | null; owner?: string | null }) => api.post<RedeemResult>("/redemptions", body),
  /** Public: a new company account and its first user, the key redeemed into it, and a session (cookie). */
  register: (body: { key: string; company: string; firstName: string; lastName: string; email: string; password: string }) =>
    request<RegistrationResult>("POST", "/registrations", { body, quiet401: true }),
};
