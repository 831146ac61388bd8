/**
 * Pure rules of splitting down the channel (PRODUCT.md §3, fno-notes splitBulkEntitlement /
 * getMatchingBulkEnts / splitLineItem). No I/O.
 */

/** The columns of a product configuration that must be equal for two of them to "match". */
export interface ConfigFacts {
  part_number_id: string | null;
  license_model_id: string | null;
  alt_license_model1_id: string | null;
  alt_license_model2_id: string | null;
  license_model_attributes: string;
  start_date_option: string;
  start_date: string | null;
  is_permanent: number;
  term_count: number | null;
  term_unit: string | null;
  expiration_date: string | null;
  version_date_option: string | null;
  version_date: string | null;
  number_of_copies: number;
  products: { product_id: string; quantity: number }[];
}

const parse = (s: string): unknown => {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
};
/** JSON with object keys sorted, so equal attribute sets compare equal whatever their order. */
const stable = (v: unknown): string =>
  v && typeof v === "object" && !Array.isArray(v)
    ? `{${Object.keys(v as object)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
        .join(",")}}`
    : JSON.stringify(v);

/**
 * Why configuration `b` does not match `a` (the first difference, in words), or null when they
 * match: same products and quantities or part number, license models, attributes, dates and term,
 * and — unless `ignoreCopies` (line items, whose count is what moves) — copies per key.
 */
export function configDifference(a: ConfigFacts, b: ConfigFacts, opts: { ignoreCopies?: boolean } = {}): string | null {
  const products = (c: ConfigFacts) =>
    c.products
      .map((p) => `${p.product_id}×${p.quantity}`)
      .sort()
      .join(",");
  const checks: [string, unknown, unknown][] = [
    ["products", products(a), products(b)],
    ["part number", a.part_number_id, b.part_number_id],
    ["license model", a.license_model_id, b.license_model_id],
    [
      "alternate license models",
      [a.alt_license_model1_id, a.alt_license_model2_id].filter(Boolean).sort().join(","),
      [b.alt_license_model1_id, b.alt_license_model2_id].filter(Boolean).sort().join(","),
    ],
    ["license model attributes", stable(parse(a.license_model_attributes)), stable(parse(b.license_model_attributes))],
    ["start date", `${a.start_date_option}:${a.start_date ?? ""}`, `${b.start_date_option}:${b.start_date ?? ""}`],
    [
      "term or expiration",
      `${a.is_permanent}:${a.term_count ?? ""}:${a.term_unit ?? ""}:${a.expiration_date ?? ""}`,
      `${b.is_permanent}:${b.term_count ?? ""}:${b.term_unit ?? ""}:${b.expiration_date ?? ""}`,
    ],
    [
      "version date",
      `${a.version_date_option ?? ""}:${a.version_date ?? ""}`,
      `${b.version_date_option ?? ""}:${b.version_date ?? ""}`,
    ],
  ];
  if (!opts.ignoreCopies) checks.push(["number of copies per key", a.number_of_copies, b.number_of_copies]);
  const diff = checks.find(([, x, y]) => x !== y);
  return diff ? `its ${diff[0]} differ${diff[0].endsWith("s") ? "" : "s"}` : null;
}

/** FNO's refusal when the target tier is already one of the entitlement's tiers; null when free. */
export function tierTakenProblem(tiersOnEntitlement: string[], tier: string, tierDisplayName: string): string | null {
  return tiersOnEntitlement.includes(tier)
    ? `Cannot split to tier ${tierDisplayName}; this tier has already been defined on the entitlement.`
    : null;
}

/** The words of a count of keys or copies. */
export const keysWord = (n: number) => `${n} unredeemed key${n === 1 ? "" : "s"}`;
export const copiesWord = (n: number) => `${n} ${n === 1 ? "copy" : "copies"}`;
