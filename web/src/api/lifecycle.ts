import { api, seg } from "./client";
import type { Entitlement, LineItem } from "./types";

/**
 * Lifecycle operations on simple entitlements (server/src/routes/lifecycle.ts, PRODUCT.md §3):
 * renew, upgrade, upsell, transfer an entitlement or N copies of a line item, merge one account's
 * entitlements into another, and the lineage of a line item. `id` is the entitlement's internal id.
 */

export interface RenewInput {
  /** A term counted from the renewal's start; absent with `expirationDate`, or both absent = as long as the parent. */
  term?: { count: number; unit: string } | null;
  expirationDate?: string | null;
  /** Default: where the parent's effective expiry ends. */
  startDate?: string | null;
  /** Default: the parent's copies. */
  numberOfCopies?: number;
}

export interface UpgradeInput {
  /** A product related as "upgrade to" from one of the line item's products. */
  productId: string;
  /** Copies to upgrade; default all. */
  count?: number;
  /** With all copies: make the original OBSOLETE (default true). Refused with a partial count. */
  retireParent?: boolean;
  licenseModelId?: string | null;
  licenseModelAttributes?: Record<string, string | number | boolean>;
}

export interface UpsellInput {
  /** Copies of the upsell; default the parent's. */
  additionalCopies?: number;
  /** A product related as "upsell to"; default the same products. */
  productId?: string | null;
  licenseModelId?: string | null;
  licenseModelAttributes?: Record<string, string | number | boolean>;
}

/** Renew, upgrade and upsell answer with the entitlement as it is now and the new line item. */
export interface LifecycleResult {
  entitlement: Entitlement;
  lineItem: LineItem;
}

/** Transfers answer with the new entitlement (held by the target account) and the source as it is now. */
export interface TransferResult {
  entitlement: Entitlement;
  source: Entitlement;
}

export interface MergeResult {
  fromAccountId: string;
  intoAccountId: string;
  /** Entitlements whose channel partners changed. */
  count: number;
  movedTiers: number;
}

/** One line item in a lineage (server/src/commands/lifecycle/lineItemLineage.ts). */
export interface LineageEntry {
  id: string;
  activationId: string;
  entitlement: { id: string; entitlementId: string; state: string };
  lineItemType: string | null;
  state: string;
  numberOfCopies: number;
  fulfilledCount: number;
  parentLineItemId: string | null;
  /** RENEWAL, UPGRADE, UPSELL, TRANSFER (the parent is on another entitlement); null for a root. */
  relation: string | null;
  /** Steps from the line item asked about (1 = parent or child). */
  depth: number;
}

export interface Lineage {
  lineItem: LineageEntry;
  /** Parent first, then its parent, up to the root. */
  ancestors: LineageEntry[];
  /** Children, grandchildren… breadth first. */
  descendants: LineageEntry[];
}

const item = (id: string, lineItemId: string) => `/entitlements/${seg(id)}/line-items/${seg(lineItemId)}`;

export const lifecycleApi = {
  renew: (id: string, lineItemId: string, body: RenewInput) =>
    api.post<LifecycleResult>(`${item(id, lineItemId)}/actions/renew`, body),
  upgrade: (id: string, lineItemId: string, body: UpgradeInput) =>
    api.post<LifecycleResult>(`${item(id, lineItemId)}/actions/upgrade`, body),
  upsell: (id: string, lineItemId: string, body: UpsellInput) =>
    api.post<LifecycleResult>(`${item(id, lineItemId)}/actions/upsell`, body),
  transferLineItem: (id: string, lineItemId: string, body: { accountId: string; count: number; keepIds?: boolean }) =>
    api.post<TransferResult>(`${item(id, lineItemId)}/actions/transfer`, body),
  transfer: (id: string, body: { accountId: string; keepIds?: boolean }) =>
    api.post<TransferResult>(`/entitlements/${seg(id)}/actions/transfer`, body),
  lineage: (id: string, lineItemId: string) => api.get<Lineage>(`${item(id, lineItemId)}/lineage`),
  mergeEntitlements: (accountId: string, intoAccountId: string) =>
    api.post<MergeResult>(`/accounts/${seg(accountId)}/actions/merge-entitlements`, { intoAccountId }),
};
