import type { RelatedAccountList } from "../../../common/src/api/accounts";
import type { BulkRedemption } from "../../../common/src/api/keys";
import type { Page } from "../../../common/src/api/shared";
import { api, type QueryParams, seg } from "./client";

/** The partner portal's own reads (server/src/routes/accounts.ts, keys.ts). */
export const partnerApi = {
  /** The accounts related to this one (whom its partners may split to), with the tiers they hold. */
  relatedAccounts: (accountId: string) => api.get<RelatedAccountList>(`/accounts/${seg(accountId)}/related-accounts`),
  /** A bulk entitlement's redeemed keys, newest first; keys masked unless the caller owns the bulk now. */
  redemptions: (id: string, q: QueryParams) => api.get<Page<BulkRedemption>>(`/entitlements/${seg(id)}/redemptions`, q),
};
