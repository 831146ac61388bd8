import type { EmailLinkAccepted } from "../../../common/src/api/accountRecovery";
import type { Account, AccountCreateBody, AccountUpdateBody, RelatedAccounts } from "../../../common/src/api/accounts";
import type { AuditEvent } from "../../../common/src/api/audit";
import type {
  EmailMessage,
  EmailMessageDetail,
  EmailPreview,
  EmailSettings,
  EmailSettingsUpdateBody,
  EmailTemplateBody,
  EmailTemplateName,
  EmailTemplateOut,
  EmailTemplateUpdateBody,
} from "../../../common/src/api/email";
import type {
  BulkProductBody,
  Entitlement,
  EntitlementCount,
  EntitlementCreateBody,
  EntitlementHistory,
  EntitlementStatesResult,
  EntitlementUpdateBody,
  LineItemBody,
  PartnerInput,
} from "../../../common/src/api/entitlements";
import type {
  ActivateBody,
  ActivationResult,
  EmailLicenseBody,
  EmailLicenseResult,
  Fulfillment,
  FulfillmentDetail,
  OfflineActivateBody,
  RehostBody,
  RepairBody,
  ReturnBody,
  SupportResult,
} from "../../../common/src/api/fulfillments";
import type { Job } from "../../../common/src/api/jobs";
import type { JobRef, KeyCounts, KeyDeleted, KeyLoadReport, LoadMode, WebRegisterKey } from "../../../common/src/api/keys";
import type { LicenseModel, LicenseModelCreateBody, LicenseModelUpdateBody } from "../../../common/src/api/licenseModels";
import type { PartNumber, PartNumberCreateBody, PartNumberUpdateBody } from "../../../common/src/api/partNumbers";
import type {
  PartnerTier,
  PartnerTierCreateBody,
  PartnerTierList,
  PartnerTierUpdateBody,
} from "../../../common/src/api/partnerTiers";
import type { Product, ProductCreateBody, ProductUpdateBody } from "../../../common/src/api/products";
import type { RedeemBody, RedeemResult, RegistrationBody, RegistrationResult } from "../../../common/src/api/redemptions";
import type { Session } from "../../../common/src/api/session";
import type { Branding, Settings, SettingsUpdateBody } from "../../../common/src/api/settings";
import type { Page } from "../../../common/src/api/shared";
import type { ApiToken, TokenCreateBody, TokenCreated } from "../../../common/src/api/tokens";
import type { PasswordReset, User, UserCreateBody, UserCreated, UserUpdateBody } from "../../../common/src/api/users";
import type { KeyStatus } from "../../../common/src/rules/keys";
import { api, type QueryParams, request, seg, upload } from "./client";

// Every request body and answer is typed by the API's own schemas (common/src/api): a field added
// there reaches these calls and the pages that use them. A form builds one body for creating and
// editing, so its input type is the create body with every field optional.

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
  emailMessages: ["email-messages"] as const,
  emailSettings: ["email-settings"] as const,
  fulfillments: ["fulfillments"] as const,
};

export const sessionApi = {
  get: () => request<Session>("GET", "/session", { quiet401: true }),
  login: (email: string, password: string) => request<Session>("POST", "/session", { body: { email, password }, quiet401: true }),
  logout: () => request<void>("DELETE", "/session", { quiet401: true }),
  /** Public: the producer's name, for the login page. */
  branding: () => request<Branding>("GET", "/branding", { quiet401: true }),
  changePassword: (currentPassword: string, newPassword: string, revokeTokens = false) =>
    api.post<void>("/session/password", { currentPassword, newPassword, revokeTokens }),
};

export type AccountInput = Partial<AccountCreateBody> & AccountUpdateBody;

export const accountsApi = {
  list: (q: QueryParams) => api.get<Page<Account>>("/accounts", q),
  get: (id: string) => api.get<Account>(`/accounts/${seg(id)}`),
  create: (body: AccountInput) => api.post<Account>("/accounts", body as AccountCreateBody),
  update: (id: string, body: AccountInput) => api.patch<Account>(`/accounts/${seg(id)}`, body),
  remove: (id: string) => api.del(`/accounts/${seg(id)}`),
  relate: (id: string, accountId: string) => api.post<RelatedAccounts>(`/accounts/${seg(id)}/related-accounts`, { accountId }),
  unrelate: (id: string, relatedId: string) =>
    api.del<RelatedAccounts>(`/accounts/${seg(id)}/related-accounts/${seg(relatedId)}`),
};

export type UserInput = Partial<UserCreateBody> & UserUpdateBody;

export const usersApi = {
  list: (q: QueryParams) => api.get<Page<User>>("/users", q),
  get: (id: string) => api.get<User>(`/users/${seg(id)}`),
  create: (body: UserInput) => api.post<UserCreated>("/users", body as UserCreateBody),
  update: (id: string, body: UserInput) => api.patch<User>(`/users/${seg(id)}`, body),
  deactivate: (id: string) => api.post<User>(`/users/${seg(id)}/actions/deactivate`),
  activate: (id: string) => api.post<User>(`/users/${seg(id)}/actions/activate`),
  resetPassword: (id: string, revokeTokens = false) =>
    api.post<PasswordReset>(`/users/${seg(id)}/actions/reset-password`, {
      revokeTokens,
    }),
};

export type TokenInput = TokenCreateBody;
export const tokensApi = {
  list: (q: QueryParams) => api.get<Page<ApiToken>>("/tokens", q),
  create: (body: TokenInput) => api.post<TokenCreated>("/tokens", body),
  revoke: (id: string) => api.del(`/tokens/${seg(id)}`),
};

export type ProductInput = Partial<ProductCreateBody> & ProductUpdateBody;
export const productsApi = {
  list: (q: QueryParams) => api.get<Page<Product>>("/products", q),
  get: (id: string) => api.get<Product>(`/products/${seg(id)}`),
  create: (body: ProductInput) => api.post<Product>("/products", body as ProductCreateBody),
  update: (id: string, body: ProductInput) => api.patch<Product>(`/products/${seg(id)}`, body),
  remove: (id: string) => api.del(`/products/${seg(id)}`),
  changeState: (id: string, state: string) => api.post<Product>(`/products/${seg(id)}/actions/change-state`, { state }),
};

export type LicenseModelInput = Partial<LicenseModelCreateBody> & LicenseModelUpdateBody;
export const licenseModelsApi = {
  list: (q: QueryParams) => api.get<Page<LicenseModel>>("/license-models", q),
  get: (id: string) => api.get<LicenseModel>(`/license-models/${seg(id)}`),
  create: (body: LicenseModelInput) => api.post<LicenseModel>("/license-models", body as LicenseModelCreateBody),
  update: (id: string, body: LicenseModelInput) => api.patch<LicenseModel>(`/license-models/${seg(id)}`, body),
  remove: (id: string) => api.del(`/license-models/${seg(id)}`),
  changeState: (id: string, state: string) =>
    api.post<LicenseModel>(`/license-models/${seg(id)}/actions/change-state`, { state }),
};

export type PartNumberInput = Partial<PartNumberCreateBody> & PartNumberUpdateBody;
export const partNumbersApi = {
  list: (q: QueryParams) => api.get<Page<PartNumber>>("/part-numbers", q),
  get: (id: string) => api.get<PartNumber>(`/part-numbers/${seg(id)}`),
  create: (body: PartNumberInput) => api.post<PartNumber>("/part-numbers", body as PartNumberCreateBody),
  update: (id: string, body: PartNumberInput) => api.patch<PartNumber>(`/part-numbers/${seg(id)}`, body),
  remove: (id: string) => api.del(`/part-numbers/${seg(id)}`),
};

export type PartnerTierInput = Partial<PartnerTierCreateBody> & PartnerTierUpdateBody;
export const partnerTiersApi = {
  list: () => api.get<PartnerTierList>("/partner-tiers"),
  create: (body: PartnerTierInput) => api.post<PartnerTier>("/partner-tiers", body as PartnerTierCreateBody),
  update: (name: string, body: PartnerTierInput) => api.patch<PartnerTier>(`/partner-tiers/${seg(name)}`, body),
  remove: (name: string) => api.del(`/partner-tiers/${seg(name)}`),
};

export const auditApi = {
  list: (q: QueryParams) => api.get<Page<AuditEvent>>("/audit-events", q),
};

export type SettingsInput = SettingsUpdateBody;
export const settingsApi = {
  get: () => api.get<Settings>("/settings"),
  update: (body: SettingsInput) => api.patch<Settings>("/settings", body),
};

/** A line item or bulk product configuration as the API takes it. */
export type BulkProductInput = BulkProductBody;
export type LineItemInput = LineItemBody;
export type ChannelPartnerInput = PartnerInput;
export type EntitlementHeaderInput = EntitlementUpdateBody;
export type EntitlementCreateInput = EntitlementCreateBody;

const ent = (id: string) => `/entitlements/${seg(id)}`;
export const entitlementsApi = {
  list: (q: QueryParams) => api.get<Page<Entitlement>>("/entitlements", q),
  count: (q: QueryParams) => api.get<EntitlementCount>("/entitlements/count", q),
  get: (id: string) => api.get<Entitlement>(ent(id)),
  create: (body: EntitlementCreateInput) => api.post<Entitlement>("/entitlements", body),
  update: (id: string, body: EntitlementHeaderInput) => api.patch<Entitlement>(ent(id), body),
  remove: (id: string) => api.del(ent(id)),
  history: (id: string) => api.get<EntitlementHistory>(`${ent(id)}/history`),
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
  importFile: (id: string, file: File, mode: LoadMode) => {
    const form = new FormData();
    form.append("mode", mode);
    form.append("file", file, file.name);
    return upload<JobRef>(`${ent(id)}/keys/import`, form);
  },
  deleteKeys: (id: string, list: string[]) => api.post<KeyDeleted>(`${ent(id)}/keys/delete`, { keys: list }),
  /** Small sets answer at once; large ones start a job. */
  deleteAllUnredeemed: (id: string) => api.post<KeyDeleted | JobRef>(`${ent(id)}/keys/delete`, { all: true }),
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
  redeem: (body: RedeemBody) => api.post<RedeemResult>("/redemptions", body),
  /** Public: a new company account and its first user, the key redeemed into it, and a session (cookie). */
  register: (body: RegistrationBody) => request<RegistrationResult>("POST", "/registrations", { body, quiet401: true }),
};

export const emailApi = {
  list: (q: QueryParams) => api.get<Page<EmailMessage>>("/email/messages", q),
  get: (id: string) => api.get<EmailMessageDetail>(`/email/messages/${seg(id)}`),
  resend: (id: string) => api.post<EmailMessage>(`/email/messages/${seg(id)}/actions/resend`),
  /** The attachment's download address (the session cookie authenticates a plain link). */
  attachmentUrl: (id: string, n: number) => `/api/v1/email/messages/${seg(id)}/attachments/${n}`,
};

export const emailSettingsApi = {
  get: () => api.get<EmailSettings>("/settings/email"),
  update: (body: EmailSettingsUpdateBody) => api.patch<EmailSettings>("/settings/email", body),
  test: (to: string) => api.post<EmailMessage>("/settings/email/actions/test", { to }),
  templates: () => api.get<{ items: EmailTemplateOut[] }>("/settings/email/templates"),
  updateTemplate: (name: EmailTemplateName, body: EmailTemplateUpdateBody) =>
    api.patch<EmailTemplateOut>(`/settings/email/templates/${seg(name)}`, body),
  preview: (name: EmailTemplateName, body: EmailTemplateBody) =>
    api.post<EmailPreview>(`/settings/email/templates/${seg(name)}/actions/preview`, body),
};

/** Licenses (server/src/routes/fulfillments.ts): activating a line item gives a fulfillment, one signed license. */
export const activationsApi = {
  activate: (body: ActivateBody) => api.post<ActivationResult>("/activations", body),
  /** An offline activation request file (its text) carried over from an air-gapped machine. */
  uploadRequest: (body: OfflineActivateBody) => api.post<ActivationResult>("/activations/actions/upload-request", body),
};

const ful = (id: string) => `/fulfillments/${seg(id)}`;
export const fulfillmentsApi = {
  list: (q: QueryParams) => api.get<Page<Fulfillment>>("/fulfillments", q),
  get: (id: string) => api.get<FulfillmentDetail>(ful(id)),
  /** The signed license file (`<FID>.lic`) and its text form, as download addresses (the session cookie goes along). */
  licenseUrl: (id: string) => `/api/v1${ful(id)}/license`,
  textUrl: (id: string) => `/api/v1${ful(id)}/license.txt`,
  return: (id: string, body: ReturnBody) => api.post<SupportResult>(`${ful(id)}/actions/return`, body),
  rehost: (id: string, body: RehostBody) => api.post<SupportResult>(`${ful(id)}/actions/rehost`, body),
  repair: (id: string, body: RepairBody) => api.post<SupportResult>(`${ful(id)}/actions/repair`, body),
  email: (id: string, body: EmailLicenseBody) => api.post<EmailLicenseResult>(`${ful(id)}/actions/email`, body),
};

/** Password reset by email and email verification (public, but for `resendVerification`). */
export const recoveryApi = {
  requestReset: (email: string) => request<EmailLinkAccepted>("POST", "/password-resets", { body: { email }, quiet401: true }),
  confirmReset: (token: string, password: string) =>
    request<void>("POST", "/password-resets/confirm", { body: { token, password }, quiet401: true }),
  confirmVerification: (token: string) =>
    request<void>("POST", "/email-verifications/confirm", { body: { token }, quiet401: true }),
  resendVerification: () => api.post<void>("/email-verifications", {}),
};
