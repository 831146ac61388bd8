import type { MatchingBulkList, SplitBulkBody, SplitLineItemBody, SplitResult } from "../../../common/src/api/splits";
import { api, seg } from "./client";

/**
 * Splitting down the channel (server/src/routes/splits.ts, PRODUCT.md §3): N unredeemed keys of a
 * bulk entitlement or part of a line item's count, to a related account in another tier.
 */

export type { SplitResult } from "../../../common/src/api/splits";

export const splitsApi = {
  splitBulk: (id: string, body: SplitBulkBody) => api.post<SplitResult>(`/entitlements/${seg(id)}/actions/split`, body),
  splitLineItem: (id: string, lineItemId: string, body: SplitLineItemBody) =>
    api.post<SplitResult>(`/entitlements/${seg(id)}/line-items/${seg(lineItemId)}/actions/split`, body),
  matchingBulk: (id: string, accountId: string) =>
    api.get<MatchingBulkList>(`/entitlements/${seg(id)}/matching-bulk-entitlements`, { accountId }),
};
