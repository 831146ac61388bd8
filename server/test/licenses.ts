import { expect } from "vitest";
import { ensureSigningKey } from "../src/licensing/keyring.js";
import { type Catalog, catalog, type Json, licenseModel, ok, product, simpleEntitlement } from "./factories.js";
import type { Caller, TestEnv } from "./helpers.js";

/**
 * What the license tests share: the signing key the server makes at its first start, and a
 * deployed simple entitlement whose one line item can be activated, made through the API.
 */
export async function signingKey(env: TestEnv) {
  const r = await ensureSigningKey(env.db, env.app.deps.config);
  expect(r.problem).toBeNull();
  return r.active;
}

export interface Activatable extends Catalog {
  entitlement: Json;
  lineItem: Json;
  activationId: string;
}

/**
 * A deployed (or TEST) simple entitlement for a new customer with one line item of `copies`
 * copies of a product with two features, under a license model of `modelType` (with its
 * `attributes` and `policies`); `line` adds line item fields (dates by default: DEFINE_NOW from
 * 2026-01-01, permanent).
 */
export async function activatable(
  env: TestEnv,
  admin: Caller,
  opts: {
    copies?: number;
    modelType?: string;
    attributes?: unknown[];
    policies?: Record<string, unknown>;
    line?: Record<string, unknown>;
    test?: boolean;
  } = {},
): Promise<Activatable> {
  await signingKey(env);
  const base = await catalog(env, admin);
  const lm = await licenseModel(admin, {
    name: `LM ${base.uid}`,
    modelType: opts.modelType ?? "NODE_LOCKED_UNCOUNTED",
    attributes: opts.attributes ?? [],
    ...(opts.policies ? { policies: opts.policies } : {}),
  });
  const p = await product(admin, {
    name: `Designer ${base.uid}`,
    version: "2.0",
    features: [
      { name: "design", version: "2.0", count: null },
      { name: "render", version: "2.1", count: 5 },
    ],
    licenseModelIds: [lm.id],
  });
  const c = { ...base, lm, product: p };
  const { entitlement } = await simpleEntitlement(env, admin, {
    catalog: c,
    ...(opts.test ? { test: true } : {}),
    line: {
      startDateOption: "DEFINE_NOW",
      startDate: "2026-01-01",
      isPermanent: true,
      numberOfCopies: opts.copies ?? 10,
      ...opts.line,
    },
  });
  const lineItem = entitlement.lineItems[0];
  return { ...c, entitlement, lineItem, activationId: lineItem.activationId };
}

/** Activates and expects 201. */
export async function activate(caller: Caller, body: Record<string, unknown>): Promise<Json> {
  return ok(await caller.post("/api/v1/activations", body));
}

export async function auditOf(env: TestEnv, objectId: string): Promise<{ action: string; changes: Json }[]> {
  const rows = await env.db
    .selectFrom("audit_events")
    .select(["action", "changes"])
    .where("object_id", "=", objectId)
    .orderBy("id")
    .execute();
  return rows.map((r) => ({ action: r.action, changes: JSON.parse(r.changes) }));
}
