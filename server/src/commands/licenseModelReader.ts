import { type Actor, accountIdsOf, isProducerStaff } from "../actor.js";
import { findLicenseModel, licenseModelUsedByAccounts } from "../db/repos/licenseModels.js";
import type { Db, LicenseModelsTable } from "../db/schema.js";
import { errors } from "../errors.js";
import { authorize } from "../policies/index.js";

/**
 * A license model the caller may read: producer staff any; a customer or partner user one that a
 * line item of their own entitlements uses (its fulfillment-time attributes are what their activate
 * dialog asks for). Anyone else is refused before the lookup, so an ID's existence does not leak.
 */
export async function loadVisibleLicenseModel(db: Db, actor: Actor, id: string): Promise<LicenseModelsTable> {
  const usedByOwnEntitlement = !isProducerStaff(actor) && (await licenseModelUsedByAccounts(db, id, accountIdsOf(actor)));
  authorize(actor, "licenseModel.read", { usedByOwnEntitlement });
  const row = await findLicenseModel(db, id);
  if (!row) throw errors.notFound("License model", id);
  return row;
}
