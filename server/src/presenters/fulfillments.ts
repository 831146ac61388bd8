import type { ActivationResult, Fulfillment, HostId } from "../../../common/src/api/fulfillments.js";
import type { FULFILLMENT_SOURCES, FULFILLMENT_STATES, FULFILLMENT_TYPES } from "../../../common/src/enums.js";
import type { FulfillmentRecord } from "../db/repos/fulfillments.js";
import { bool } from "../util.js";

export function presentFulfillment(r: FulfillmentRecord): Fulfillment {
  return {
    id: r.fulfillment_id,
    type: r.type as (typeof FULFILLMENT_TYPES)[number],
    state: r.state as (typeof FULFILLMENT_STATES)[number],
    source: r.source as (typeof FULFILLMENT_SOURCES)[number],
    entitlementId: r.entitlement_id,
    activationId: r.activation_id,
    lineItemId: r.line_item_id,
    soldTo: r.sold_to_id ? { id: r.sold_to_id, name: r.sold_to_name ?? r.sold_to_id } : null,
    product: { name: r.product_name, version: r.product_version },
    licenseModel: { id: r.license_model_id, name: r.license_model_name, type: r.license_model_type, technology: r.technology },
    hosts: JSON.parse(r.hosts) as HostId[],
    count: r.count,
    overdraftCount: r.overdraft_count,
    startDate: r.start_date,
    expirationDate: r.expiration_date,
    versionDate: r.version_date,
    attributes: JSON.parse(r.attributes),
    shipToEmail: r.ship_to_email,
    shipToAddress: r.ship_to_address,
    parentFulfillmentId: r.parent_fulfillment_id,
    keyId: r.kid,
    reason: r.reason,
    policyOverridden: bool(r.policy_overridden),
    fulfilledAt: r.fulfilled_at,
    fulfilledBy: r.fulfilled_by,
    updatedAt: r.updated_at,
  };
}

/** The license file's name: `<FID>.lic` (the text form: `.txt`). */
export const licenseFileName = (fid: string, ext: "lic" | "txt" = "lic") => `${fid.replace(/[^A-Za-z0-9_-]/g, "_")}.${ext}`;

/** The human-readable part of a license file: everything above its BEGIN line. */
export function licenseTextOf(file: string): string {
  const i = file.indexOf("-----BEGIN LICENSOR LICENSE-----");
  return i < 0 ? file : file.slice(0, i);
}

export function presentActivation(r: FulfillmentRecord, availableCount: number, emailMessageId: string | null): ActivationResult {
  return {
    fulfillment: presentFulfillment(r),
    licenseFile: r.license,
    fileName: licenseFileName(r.fulfillment_id),
    availableCount,
    emailMessageId,
  };
}
