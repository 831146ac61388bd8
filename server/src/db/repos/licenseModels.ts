import {
  type LicenseModelState,
  type LicenseModelType,
  type LicenseTechnology,
  TIER_END_CUSTOMER,
} from "../../../../common/src/enums.js";
import type { TextFilter } from "../../domain/filters.js";
import { after, decodeCursor, type Page, type PageRequest, pageLimit, textMatch, toPage } from "../paging.js";
import type { Db, LicenseModelsTable, Trx } from "../schema.js";

export async function findLicenseModel(db: Db | Trx, id: string): Promise<LicenseModelsTable | undefined> {
  return db.selectFrom("license_models").selectAll().where("id", "=", id).executeTakeFirst();
}

/**
 * Whether a line item of an entitlement one of `accountIds` owns (end customer or current owner)
 * uses the license model, as its model or an alternate: what lets a customer's activate dialog
 * read the model's fulfillment-time attributes.
 */
export async function licenseModelUsedByAccounts(db: Db | Trx, id: string, accountIds: string[]): Promise<boolean> {
  if (accountIds.length === 0) return false;
  const row = await db
    .selectFrom("line_items as li")
    .innerJoin("entitlement_partners as ep", "ep.entitlement_id", "li.entitlement_id")
    .select("li.id")
    .where((eb) =>
      eb.or([
        eb("li.license_model_id", "=", id),
        eb("li.alt_license_model1_id", "=", id),
        eb("li.alt_license_model2_id", "=", id),
      ]),
    )
    .where("ep.account_id", "in", accountIds)
    .where((eb) => eb.or([eb("ep.current_owner", "=", 1), eb("ep.tier", "=", TIER_END_CUSTOMER)]))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function licenseModelsByIds(db: Db | Trx, ids: string[]): Promise<Map<string, LicenseModelsTable>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom("license_models").selectAll().where("id", "in", ids).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** Who uses a license model: products allowing it and part numbers naming it (first few of each). */
export async function licenseModelReferences(
  db: Db | Trx,
  id: string,
): Promise<{ products: { name: string; version: string }[]; partIds: string[] }> {
  const products = await db
    .selectFrom("product_license_models")
    .innerJoin("products", "products.id", "product_license_models.product_id")
    .select(["products.name", "products.version"])
    .where("product_license_models.license_model_id", "=", id)
    .orderBy("products.name")
    .orderBy("products.version")
    .limit(10)
    .execute();
  const parts = await db
    .selectFrom("part_numbers")
    .select("part_id")
    .where("license_model_id", "=", id)
    .orderBy("part_id")
    .limit(10)
    .execute();
  return { products, partIds: parts.map((p) => p.part_id) };
}

export interface LicenseModelListFilter {
  q?: string | undefined;
  name?: TextFilter | undefined;
  state?: LicenseModelState | undefined;
  technology?: LicenseTechnology | undefined;
  modelType?: LicenseModelType | undefined;
}

/** License models ordered by name and id, keyset-paged. */
export async function listLicenseModels(db: Db, f: LicenseModelListFilter, page: PageRequest): Promise<Page<LicenseModelsTable>> {
  const limit = pageLimit(page);
  const cur = decodeCursor(page.cursor, 2);
  let q = db.selectFrom("license_models").selectAll();
  if (f.q) {
    const term: TextFilter = { op: "CONTAINS", value: f.q };
    q = q.where((eb) => eb.or([textMatch(eb, "name", term), textMatch(eb, "description", term)]));
  }
  if (f.name) q = q.where((eb) => textMatch(eb, "name", f.name as TextFilter));
  if (f.state) q = q.where("state", "=", f.state);
  if (f.technology) q = q.where("technology", "=", f.technology);
  if (f.modelType) q = q.where("model_type", "=", f.modelType);
  if (cur) q = q.where((eb) => after(eb, ["name", "id"], cur));
  const rows = await q
    .orderBy("name")
    .orderBy("id")
    .limit(limit + 1)
    .execute();
  return toPage(
    rows,
    limit,
    (r) => [r.name, r.id],
    (r) => r,
  );
}

/** A license model by its name (the SOAP facade's `licenseModelPKType`). */
export async function findLicenseModelByName(db: Db | Trx, name: string): Promise<LicenseModelsTable | undefined> {
  return db.selectFrom("license_models").selectAll().where("name", "=", name).executeTakeFirst();
}
