import type { TextFilter } from "../../domain/filters.js";
import { after, decodeCursor, type Page, type PageRequest, pageLimit, textMatch, toPage } from "../paging.js";
import type { Db, PartNumbersTable, Trx } from "../schema.js";

/** A part number with the names of what it points at, as the API shows it. */
export interface PartNumberRow extends PartNumbersTable {
  product_name: string;
  product_version: string;
  license_model_name: string | null;
}

function selectPartNumbers(db: Db | Trx) {
  return db
    .selectFrom("part_numbers")
    .innerJoin("products", "products.id", "part_numbers.product_id")
    .leftJoin("license_models", "license_models.id", "part_numbers.license_model_id")
    .selectAll("part_numbers")
    .select([
      "products.name as product_name",
      "products.version as product_version",
      "license_models.name as license_model_name",
    ]);
}

export async function findPartNumber(db: Db | Trx, id: string): Promise<PartNumberRow | undefined> {
  return selectPartNumbers(db).where("part_numbers.id", "=", id).executeTakeFirst();
}

export interface PartNumberListFilter {
  q?: string | undefined;
  partId?: TextFilter | undefined;
  productId?: string | undefined;
  licenseModelId?: string | undefined;
}

/** Part numbers ordered by part ID (unique), keyset-paged. */
export async function listPartNumbers(db: Db, f: PartNumberListFilter, page: PageRequest): Promise<Page<PartNumberRow>> {
  const limit = pageLimit(page);
  const cur = decodeCursor(page.cursor, 1);
  let q = selectPartNumbers(db);
  if (f.q) {
    const term: TextFilter = { op: "CONTAINS", value: f.q };
    q = q.where((eb) => eb.or([textMatch(eb, "part_numbers.part_id", term), textMatch(eb, "part_numbers.description", term)]));
  }
  if (f.partId) q = q.where((eb) => textMatch(eb, "part_numbers.part_id", f.partId as TextFilter));
  if (f.productId) q = q.where("part_numbers.product_id", "=", f.productId);
  if (f.licenseModelId) q = q.where("part_numbers.license_model_id", "=", f.licenseModelId);
  if (cur) q = q.where((eb) => after(eb, ["part_numbers.part_id"], cur));
  const rows = await q
    .orderBy("part_numbers.part_id")
    .limit(limit + 1)
    .execute();
  return toPage(
    rows,
    limit,
    (r) => [r.part_id],
    (r) => r,
  );
}

/** A part number by the part ID users see (the SOAP facade's `partNumberPKType`). */
export async function findPartNumberByPartId(db: Db | Trx, partId: string): Promise<PartNumberRow | undefined> {
  return selectPartNumbers(db).where("part_numbers.part_id", "=", partId).executeTakeFirst();
}
