import { expect } from "vitest";
import { type ApiSession, deployedLicenseModel, okJson } from "./harness.js";

// The license model factory stays in harness.ts, where bench/ finds it too.
export { deployedLicenseModel };

/**
 * The factories of the suites that run the built server (e2e/, cli/test/): what a test needs to
 * exist before it starts (a deployed catalog, accounts, users, entitlements, a deployed bulk
 * entitlement with keys), made through the HTTP API with a logged-in session, as a user would.
 */

type Json = any;

/**
 * A DEPLOYED product allowing `licenseModelIds`, with one counted feature named after the product
 * unless `features` is given; any other field of the create body may be given.
 */
export async function deployedProduct(
  admin: ApiSession,
  body: { name: string; version?: string; licenseModelIds: string[] } & Record<string, unknown>,
): Promise<Json> {
  const version = body.version ?? "1.0";
  const feature = `feature_${body.name.replace(/\W+/g, "_").toLowerCase()}`;
  const p = await okJson(
    await admin.post("/api/v1/products", { features: [{ name: feature, version, count: 1 }], ...body, version }),
  );
  await okJson(await admin.post(`/api/v1/products/${p.id}/actions/change-state`, { state: "DEPLOYED" }), 200);
  return p;
}

/**
 * The catalog of the suites that upgrade: a deployed license model; product B, then product A
 * that upgrades to B (named "<name> <tag>" and "<name> Pro <tag>").
 */
export async function upgradeCatalog(admin: ApiSession, name: string, tag: string) {
  const lm = await deployedLicenseModel(admin, `${name} model ${tag}`);
  const productB = await deployedProduct(admin, { name: `${name} Pro ${tag}`, version: "2.0", licenseModelIds: [lm.id] });
  const productA = await deployedProduct(admin, {
    name: `${name} ${tag}`,
    version: "1.0",
    licenseModelIds: [lm.id],
    upgradeToIds: [productB.id],
  });
  expect(productA.upgradeToIds).toEqual([productB.id]);
  return { lm, productA, productB };
}

/** An account (a customer unless told); its JSON. */
export async function account(
  admin: ApiSession,
  id: string,
  name: string,
  type: "CUSTOMER" | "CHANNEL_PARTNER" = "CUSTOMER",
): Promise<Json> {
  return okJson(await admin.post("/api/v1/accounts", { id, name, type }));
}

/** A user with a password holding `role` on `accountId`; its JSON. */
export async function userWithPassword(
  admin: ApiSession,
  u: { email: string; password: string; accountId: string; role: string; firstName?: string; lastName?: string },
): Promise<Json> {
  return okJson(
    await admin.post("/api/v1/users", {
      email: u.email,
      firstName: u.firstName ?? "E2E",
      lastName: u.lastName ?? "User",
      password: u.password,
      memberships: [{ accountId: u.accountId, role: u.role }],
    }),
  );
}

/** A line item of one `product` (quantity 1) under `licenseModelId`: 5 copies, a year from `startDate`. */
export const yearOfFiveCopies = (productId: string, licenseModelId: string, startDate: string) => ({
  products: [{ productId, quantity: 1 }],
  licenseModelId,
  startDateOption: "DEFINE_NOW",
  startDate,
  term: { count: 1, unit: "YEARS" },
  numberOfCopies: 5,
});

/** A simple entitlement, deployed on creation; `body` is the rest of the create body. */
export async function deployedSimple(
  admin: ApiSession,
  body: { soldTo: string; lineItems: unknown[] } & Record<string, unknown>,
) {
  return okJson(await admin.post("/api/v1/entitlements", { kind: "SIMPLE", ...body, autoDeploy: true }));
}

/** Every key of a bulk entitlement, as loaded, following the pages. */
export async function keysOf(admin: ApiSession, bulkId: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: { key: string }[]; nextCursor: string | null } = await okJson(
      await admin.get(`/api/v1/entitlements/${bulkId}/keys?limit=200${cursor ? `&cursor=${cursor}` : ""}`),
      200,
    );
    keys.push(...page.items.map((k) => k.key));
    cursor = page.nextCursor;
  } while (cursor);
  return keys;
}

/**
 * A bulk entitlement sold to `soldTo` with one product under one license model (`line` adds to its
 * configuration, `body` to the entitlement), moved to DEPLOYED by its Change State action, with
 * `keys` keys generated (none unless told) and listed.
 */
export async function deployedBulk(
  admin: ApiSession,
  o: {
    soldTo: string;
    productId: string;
    licenseModelId: string;
    keys?: number;
    line?: Record<string, unknown>;
    body?: Record<string, unknown>;
  },
): Promise<{ bulk: Json; keys: string[] }> {
  const created = await okJson(
    await admin.post("/api/v1/entitlements", {
      kind: "BULK",
      soldTo: o.soldTo,
      ...o.body,
      product: { products: [{ productId: o.productId }], licenseModelId: o.licenseModelId, ...o.line },
    }),
  );
  const bulk = await okJson(
    await admin.post(`/api/v1/entitlements/${created.id}/actions/change-state`, { state: "DEPLOYED" }),
    200,
  );
  expect(bulk.state).toBe("DEPLOYED");
  if (!o.keys) return { bulk, keys: [] };
  const report = await okJson(await admin.post(`/api/v1/entitlements/${bulk.id}/keys/generate`, { count: o.keys }), 200);
  expect(report).toMatchObject({ status: "SUCCESS", loaded: o.keys });
  const keys = await keysOf(admin, bulk.id);
  expect(keys).toHaveLength(o.keys);
  return { bulk, keys };
}
