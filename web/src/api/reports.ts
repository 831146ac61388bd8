import type { BulkReport, Chain, Overview, PartnerReport, ReportInterval } from "../../../common/src/api/reports";
import { api, seg } from "./client";

/** Reports and the chain view (server/src/routes/reports.ts). Each table also downloads as CSV. */

export type {
  BulkReport,
  Chain,
  ChainNode,
  Overview,
  PartnerReport,
  ReportInterval,
  ReportPeriod,
} from "../../../common/src/api/reports";

export interface ReportParams {
  from?: string;
  to?: string;
  interval?: ReportInterval;
  top?: number;
}

const query = (p: ReportParams) => ({ from: p.from || undefined, to: p.to || undefined, interval: p.interval, top: p.top });
const qs = (p: ReportParams) => {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(query(p))) if (v !== undefined) sp.set(k, String(v));
  const s = sp.toString();
  return s ? `?${s}` : "";
};

export const reportsApi = {
  bulk: (id: string, p: ReportParams) => api.get<BulkReport>(`/reports/bulk-entitlements/${seg(id)}`, query(p)),
  partner: (accountId: string, p: ReportParams) => api.get<PartnerReport>(`/reports/partners/${seg(accountId)}`, query(p)),
  overview: () => api.get<Overview>("/reports/overview"),
  chain: (id: string, customers?: number) => api.get<Chain>(`/entitlements/${seg(id)}/chain`, { customers }),
  /** Where a table of a report downloads as CSV (a plain link: the session cookie goes with it). */
  bulkCsvUrl: (id: string, table: "series" | "customers" | "resellers", p: ReportParams) =>
    `/api/v1/reports/bulk-entitlements/${seg(id)}/${table}.csv${qs(p)}`,
  partnerCsvUrl: (accountId: string, table: "series" | "customers" | "resellers" | "bulks", p: ReportParams) =>
    `/api/v1/reports/partners/${seg(accountId)}/${table}.csv${qs(p)}`,
  chainCsvUrl: (id: string) => `/api/v1/entitlements/${seg(id)}/chain.csv`,
};
