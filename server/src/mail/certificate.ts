import { TIER_END_CUSTOMER } from "../../../common/src/enums.js";
import type { LineItemFull, PartnerRow } from "../db/repos/entitlements.js";
import type { MailEnvironment } from "./environment.js";

/** What an entitlement certificate shows: the entitlement and each line item to activate. */
export interface CertificateData {
  entitlementId: string;
  soldTo: string;
  lineItems: { activationId: string; products: string; copies: number; start: string; expiry: string }[];
}

type ItemLike = Pick<
  LineItemFull,
  | "activation_id"
  | "products"
  | "number_of_copies"
  | "start_date"
  | "start_date_option"
  | "is_permanent"
  | "expiration_date"
  | "term_count"
  | "term_unit"
>;

/** The certificate's facts from an entitlement as read (deploy) or as planned (redemption): no query. */
export function certificateDataOf(
  entitlementId: string,
  partners: Pick<PartnerRow, "tier" | "account_id" | "account_name" | "current_owner">[],
  items: ItemLike[],
): CertificateData {
  const sold = partners.find((p) => p.tier === TIER_END_CUSTOMER) ?? partners.find((p) => p.current_owner === 1);
  return {
    entitlementId,
    soldTo: sold ? `${sold.account_name} (${sold.account_id})` : "—",
    lineItems: items.map((i) => ({
      activationId: i.activation_id ?? "—",
      products: i.products.map((p) => `${p.name} ${p.version}${p.quantity > 1 ? ` ×${p.quantity}` : ""}`).join(", ") || "—",
      copies: i.number_of_copies,
      start: i.start_date ?? (i.start_date_option === "DEFINE_NOW" ? "—" : "at activation"),
      expiry: i.is_permanent
        ? "permanent"
        : (i.expiration_date ?? (i.term_count ? `${i.term_count} ${String(i.term_unit ?? "").toLowerCase()} after start` : "—")),
    })),
  };
}

/** The placeholders of the `entitlementCertificate` template. */
export function certificateValues(d: CertificateData, env: MailEnvironment): Record<string, string> {
  return {
    entitlementId: d.entitlementId,
    soldTo: d.soldTo,
    activationIds: d.lineItems.map((i) => i.activationId).join(", "),
    products: [...new Set(d.lineItems.map((i) => i.products))].join(", "),
    lineItems: d.lineItems
      .map((i) => `${i.activationId}  ${i.products}  ${i.copies} ${i.copies === 1 ? "copy" : "copies"}  ${i.start} – ${i.expiry}`)
      .join("\n"),
    portalUrl: env.portalUrl,
    producer: env.producer,
  };
}

/** The attached certificate, plain text (cheap on the redemption path, readable anywhere). */
export function certificateText(d: CertificateData, env: MailEnvironment): string {
  const lines = [
    "ENTITLEMENT CERTIFICATE",
    "=======================",
    "",
    `Issued by:       ${env.producer}`,
    `Entitlement ID:  ${d.entitlementId}`,
    `Sold to:         ${d.soldTo}`,
    `Activate at:     ${env.portalUrl}`,
    "",
  ];
  d.lineItems.forEach((i, n) => {
    lines.push(
      `Line item ${n + 1}`,
      `  Activation ID: ${i.activationId}`,
      `  Products:      ${i.products}`,
      `  Copies:        ${i.copies}`,
      `  Starts:        ${i.start}`,
      `  Expires:       ${i.expiry}`,
      "",
    );
  });
  lines.push("Keep this certificate: the activation IDs above activate your licenses.", "");
  return lines.join("\n");
}

/** A file name from an ID: letters, digits, dot, dash and underscore only. */
export const safeFileName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 120);
