import type { HostId } from "../../../common/src/api/fulfillments.js";
import type { AttributeValue } from "../../../common/src/rules/fulfillments.js";
import type { LicenseClaims } from "../../../verifier/src/index.js";
import { actorLabel, type RequestContext } from "../actor.js";
import { publisherName } from "../db/repos/fulfillments.js";
import type { FulfillmentRow, Trx } from "../db/schema.js";
import { generateId } from "../domain/idTemplates.js";
import { activeSigner, signLicense } from "../licensing/keyring.js";
import type { SecretConfig } from "../licensing/secret.js";
import { queueLicenseEmail, recipientsOf } from "../mail/outbox.js";
import { newId, nowIso } from "../util.js";

/** Fulfillment IDs: `FID_` and four groups of four base-32 characters (80 random bits). */
const FID_TEMPLATE = { prefix: "FID_", groups: 4, groupLength: 4, separator: "-", alphabet: "0123456789ABCDEFGHJKMNPQRSTVWXYZ" };

export interface Feature {
  name: string;
  version: string;
  count: number | null;
}

/** What one license is made of; the caller has checked every rule and taken the copies. */
export interface IssueInput {
  lineItemPk: string;
  entitlementPk: string;
  entitlementId: string;
  activationId: string;
  product: { name: string; version: string };
  /** The product's features as defined (counts not yet scaled). */
  features: Feature[];
  licenseModel: { id: string; name: string; type: string; technology: string };
  hosts: HostId[];
  count: number;
  /** Of `count`, the copies taken as extra activations (past the line item's copies). */
  overdraft: number;
  start: string;
  expiry: string | null;
  versionDate: string | null;
  attributes: Record<string, AttributeValue>;
  type: string;
  source: string;
  parentId: string | null;
  reason: string | null;
  overridden: boolean;
  nonce: string | null;
  shipToEmail: string | null;
  shipToAddress: string | null;
  sendEmail: boolean;
}

/**
 * A counted model's features carry `count` × the feature's own count (1 when it has none); an
 * uncounted model's are uncounted.
 */
export function scaledFeatures(features: Feature[], modelType: string, count: number): Feature[] {
  const counted = modelType !== "NODE_LOCKED_UNCOUNTED";
  return features.map((f) => ({ name: f.name, version: f.version, count: counted ? (f.count ?? 1) * count : null }));
}

/** A license just issued, and the email carrying it when one was queued. */
export interface IssuedLicense {
  row: FulfillmentRow;
  emailMessageId: string | null;
}

/**
 * Signs one license with the active key and stores it with its hosts, inside the caller's
 * transaction: a host already holding an active license for the line item fails the insert on the
 * one-active-host index (the caller words it), and the whole activation rolls back. With
 * `sendEmail` and a ship-to list, the license email is queued in the same transaction, so it is in
 * the outbox if and only if the license exists.
 */
export async function issueLicense(trx: Trx, ctx: RequestContext, config: SecretConfig, i: IssueInput): Promise<IssuedLicense> {
  const signer = await activeSigner(trx, config);
  const now = nowIso();
  const fid = generateId(FID_TEMPLATE);
  const claims: LicenseClaims = {
    format: "licensor-license/1",
    issuer: await publisherName(trx),
    issuedAt: now,
    fulfillmentId: fid,
    activationId: i.activationId,
    entitlementId: i.entitlementId,
    product: i.product,
    features: scaledFeatures(i.features, i.licenseModel.type, i.count),
    hosts: i.hosts,
    count: i.count,
    start: i.start,
    expiry: i.expiry,
    versionDate: i.versionDate,
    licenseModel: { name: i.licenseModel.name, type: i.licenseModel.type },
    attributes: i.attributes,
  };
  const row: FulfillmentRow = {
    id: newId(),
    fulfillment_id: fid,
    line_item_id: i.lineItemPk,
    entitlement_pk: i.entitlementPk,
    entitlement_id: i.entitlementId,
    activation_id: i.activationId,
    type: i.type,
    state: "ACTIVE",
    source: i.source,
    product_name: i.product.name,
    product_version: i.product.version,
    license_model_id: i.licenseModel.id,
    license_model_name: i.licenseModel.name,
    license_model_type: i.licenseModel.type,
    technology: i.licenseModel.technology,
    features: JSON.stringify(i.features),
    hosts: JSON.stringify(i.hosts),
    count: i.count,
    start_date: i.start,
    expiration_date: i.expiry,
    version_date: i.versionDate,
    attributes: JSON.stringify(i.attributes),
    ship_to_email: i.shipToEmail,
    ship_to_address: i.shipToAddress,
    send_email: i.sendEmail ? 1 : 0,
    parent_id: i.parentId,
    kid: signer.kid,
    license: signLicense(claims, signer),
    reason: i.reason,
    policy_overridden: i.overridden ? 1 : 0,
    overdraft_count: i.overdraft,
    request_nonce: i.nonce,
    fulfilled_at: now,
    fulfilled_by: actorLabel(ctx.actor),
    fulfilled_by_user_id: callerKey(ctx),
    updated_at: now,
  };
  await trx.insertInto("fulfillments").values(row).execute();
  await trx
    .insertInto("fulfillment_hosts")
    .values(
      i.hosts.map((h, position) => ({
        fulfillment_id: row.id,
        position,
        line_item_id: i.lineItemPk,
        host_type: h.type,
        normalized: h.id,
        active: 1,
      })),
    )
    .execute();
  const emailMessageId = i.sendEmail ? await emailLicense(trx, ctx, row, recipientsOf(i.shipToEmail)) : null;
  return { row, emailMessageId };
}

/** Queues a fulfillment's license to `to` (the `license` template, the file attached); null when `to` is empty. */
export function emailLicense(trx: Trx, ctx: RequestContext, row: FulfillmentRow, to: string[]): Promise<string | null> {
  const hosts = (JSON.parse(row.hosts) as HostId[]).map((h) => `${h.type} ${h.id}`).join(", ");
  return queueLicenseEmail(trx, ctx, {
    to,
    fulfillmentId: row.fulfillment_id,
    activationId: row.activation_id,
    entitlementId: row.entitlement_id,
    product: `${row.product_name} ${row.product_version}`,
    hosts,
    expiry: row.expiration_date,
    licenseFile: row.license,
    fileName: `${row.fulfillment_id.replace(/[^A-Za-z0-9_-]/g, "_")}.lic`,
  });
}

/** Who is calling, for recognising the same offline request uploaded twice by the same caller. */
export function callerKey(ctx: RequestContext): string | null {
  return ctx.actor.userId ?? ctx.actor.tokenId ?? (ctx.actor.type === "system" ? "system" : null);
}

/** What the audit log keeps of a fulfillment: its facts, never the license file. */
export function auditedFulfillment(r: FulfillmentRow) {
  return {
    fulfillmentId: r.fulfillment_id,
    type: r.type,
    state: r.state,
    source: r.source,
    activationId: r.activation_id,
    entitlementId: r.entitlement_id,
    hosts: JSON.parse(r.hosts),
    count: r.count,
    overdraftCount: r.overdraft_count,
    startDate: r.start_date,
    expirationDate: r.expiration_date,
    versionDate: r.version_date,
    attributes: JSON.parse(r.attributes),
    keyId: r.kid,
    parentId: r.parent_id,
    reason: r.reason,
    policyOverridden: r.policy_overridden === 1,
  };
}
