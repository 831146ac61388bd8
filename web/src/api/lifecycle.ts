import type {
  LifecycleResult,
  Lineage,
  MergeResult,
  RenewBody,
  TransferBody,
  TransferLineItemBody,
  TransferResult,
  UpgradeBody,
  UpsellBody,
} from "../../../common/src/api/lifecycle";
import { api, seg } from "./client";

/**
 * Lifecycle operations on simple entitlements (server/src/routes/lifecycle.ts, PRODUCT.md §3):
 * renew, upgrade, upsell, transfer an entitlement or N copies of a line item, merge one account's
 * entitlements into another, and the lineage of a line item. `id` is the entitlement's internal id.
 * Bodies and answers are the API's schemas (common/src/api/lifecycle.ts).
 */

export type { LifecycleResult, Lineage, LineageEntry, MergeResult, TransferResult } from "../../../common/src/api/lifecycle";

const item = (id: string, lineItemId: string) => `/entitlements/${seg(id)}/line-items/${seg(lineItemId)}`;

export const lifecycleApi = {
  renew: (id: string, lineItemId: string, body: RenewBody) =>
    api.post<LifecycleResult>(`${item(id, lineItemId)}/actions/renew`, body),
  upgrade: (id: string, lineItemId: string, body: UpgradeBody) =>
    api.post<LifecycleResult>(`${item(id, lineItemId)}/actions/upgrade`, body),
  upsell: (id: string, lineItemId: string, body: UpsellBody) =>
    api.post<LifecycleResult>(`${item(id, lineItemId)}/actions/upsell`, body),
  transferLineItem: (id: string, lineItemId: string, body: TransferLineItemBody) =>
    api.post<TransferResult>(`${item(id, lineItemId)}/actions/transfer`, body),
  transfer: (id: string, body: TransferBody) => api.post<TransferResult>(`/entitlements/${seg(id)}/actions/transfer`, body),
  lineage: (id: string, lineItemId: string) => api.get<Lineage>(`${item(id, lineItemId)}/lineage`),
  mergeEntitlements: (accountId: string, intoAccountId: string) =>
    api.post<MergeResult>(`/accounts/${seg(accountId)}/actions/merge-entitlements`, { intoAccountId }),
};
