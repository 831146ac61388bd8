import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import type { AccountType, Role } from "../../common/src/enums.js";
import type { Db } from "../src/db/schema.js";
import { type Caller, PUBLISHER_ID, type TestEnv } from "./helpers.js";

/**
 * The one set of test factories: what a test needs to exist before it can say anything (a deployed
 * catalog, a bulk entitlement with keys, a simple entitlement, accounts with users, a session),
 * made through the API as a user would, so a factory breaks when the behaviour it relies on does.
 * Every name is unique per call, so tests sharing a database (and a test run twice) never collide.
 */

/** An API answer, read as each test needs it. */
export type Json = any;
type Res = LightMyRequestResponse;
type State = "DRAFT" | "DEPLOYED" | "OBSOLETE";

let n = 0;
/** A short name no other call in this test process gets. */
export const uid = () => `${Date.now().toString(36)}${(++n).toString(36)}${Math.random().toString(36).slice(2, 5)}`;

/** The JSON of an answer that must have `status` (201 unless told): the body is shown when it has not. */
export function ok(res: Res, status = 201): Json {
  expect(res.statusCode, res.body).toBe(status);
  return res.json();
}

/** Moves a catalog record or entitlement (its URL) to `state` and returns it. */
export async function changeState(admin: Caller, url: string, state: string): Promise<Json> {
  return ok(await admin.post(`${url}/actions/change-state`, { state }), 200);
}

/**
 * A license model, DEPLOYED unless told (DRAFT: as created, otherwise moved to the state); any
 * other field of the create body may be given.
 */
export async function licenseModel(admin: Caller, opts: { state?: State } & Record<string, unknown> = {}): Promise<Json> {
  const { state = "DEPLOYED", ...body } = opts;
  const lm = ok(
    await admin.post("/api/v1/license-models", {
      name: `LM ${uid()}`,
      technology: "CERTIFICATE",
      modelType: "NODE_LOCKED_UNCOUNTED",
      attributes: [],
      ...body,
    }),
  );
  if (state !== "DRAFT") await changeState(admin, `/api/v1/license-models/${lm.id}`, state);
  return { ...lm, state };
}

/** A product with one feature, DEPLOYED unless told; any other field of the create body may be given. */
export async function product(admin: Caller, opts: { state?: State } & Record<string, unknown> = {}): Promise<Json> {
  const { state = "DEPLOYED", ...body } = opts;
  const p = ok(
    await admin.post("/api/v1/products", {
      name: `Product ${uid()}`,
      version: "1.0",
      features: [{ name: "f", version: "1.0", count: null }],
      licenseModelIds: [],
      ...body,
    }),
  );
  if (state !== "DRAFT") await changeState(admin, `/api/v1/products/${p.id}`, state);
  return { ...p, state };
}

export interface Catalog {
  lm: Json;
  product: Json;
  distributor: string;
  customer: string;
  uid: string;
}

/**
 * A license model and a product allowing it, both DEPLOYED unless `deploy: false` (then DRAFT),
 * a distributor (channel partner) and a customer account.
 */
export async function catalog(
  env: TestEnv,
  admin: Caller,
  opts: { deploy?: boolean; attributes?: unknown[] } = {},
): Promise<Catalog> {
  const state = (opts.deploy ?? true) ? "DEPLOYED" : "DRAFT";
  const u = uid();
  const lm = await licenseModel(admin, { name: `Node-locked ${u}`, attributes: opts.attributes ?? [], state });
  const p = await product(admin, {
    name: `Acme CAD ${u}`,
    features: [{ name: "cad_base", version: "1.0", count: null }],
    licenseModelIds: [lm.id],
    state,
  });
  const distributor = await env.makeAccount({ id: `DIST-${u}`, type: "CHANNEL_PARTNER", name: `Distributor ${u}` });
  const customer = await env.makeAccount({ id: `CUST-${u}`, type: "CUSTOMER", name: `Customer ${u}` });
  return { lm, product: p, distributor, customer, uid: u };
}

/**
 * A line item (or bulk configuration) of the catalog's product (`quantity` of it, if given) and
 * license model; `extra` adds fields.
 */
export const lineOf = (c: Pick<Catalog, "lm" | "product">, extra: Record<string, unknown> & { quantity?: number } = {}) => {
  const { quantity, ...rest } = extra;
  return {
    products: [{ productId: c.product.id, ...(quantity !== undefined ? { quantity } : {}) }],
    licenseModelId: c.lm.id,
    ...rest,
  };
};

/** Every key of a bulk entitlement, as loaded, following the pages. */
export async function keysOf(admin: Caller, bulkPk: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: { key: string }[]; nextCursor: string | null } = ok(
      await admin.get(`/api/v1/entitlements/${bulkPk}/keys?limit=200${cursor ? `&cursor=${cursor}` : ""}`),
      200,
    );
    keys.push(...page.items.map((k) => k.key));
    cursor = page.nextCursor;
  } while (cursor);
  return keys;
}

export interface BulkOptions {
  /** Generated keys (none by default). */
  keys?: number;
  /** A TEST bulk entitlement (so not deployed). */
  test?: boolean;
  /** DEPLOYED (the default) or left DRAFT. */
  deploy?: boolean;
  /** More fields of the entitlement's create body. */
  body?: Record<string, unknown>;
  /** More fields of its product configuration (`quantity`: of the product). */
  line?: Record<string, unknown> & { quantity?: number };
  /** The catalog to sell from; a new one by default. */
  catalog?: Catalog;
}

/** A bulk entitlement sold to a distributor, DEPLOYED unless told, with `keys` generated keys. */
export async function bulkEntitlement(env: TestEnv, admin: Caller, opts: BulkOptions = {}) {
  const c = opts.catalog ?? (await catalog(env, admin));
  const bulk = ok(
    await admin.post("/api/v1/entitlements", {
      kind: "BULK",
      soldTo: c.distributor,
      ...(opts.test ? { test: true } : { autoDeploy: opts.deploy ?? true }),
      ...opts.body,
      product: lineOf(c, opts.line),
    }),
  );
  let keys: string[] = [];
  if (opts.keys) {
    const gen = await admin.post(`/api/v1/entitlements/${bulk.id}/keys/generate`, { count: opts.keys });
    expect(gen.statusCode, gen.body).toBeLessThan(300);
    keys = await keysOf(admin, bulk.id);
    expect(keys).toHaveLength(opts.keys);
  }
  return { ...c, bulk, keys };
}

/** A simple entitlement for the catalog's customer with one line item, DEPLOYED unless `test` or `deploy: false`. */
export async function simpleEntitlement(env: TestEnv, admin: Caller, opts: Omit<BulkOptions, "keys"> = {}) {
  const c = opts.catalog ?? (await catalog(env, admin));
  const entitlement = ok(
    await admin.post("/api/v1/entitlements", {
      kind: "SIMPLE",
      soldTo: c.customer,
      ...(opts.test ? { test: true } : { autoDeploy: opts.deploy ?? true }),
      lineItems: [lineOf(c, opts.line)],
      ...opts.body,
    }),
  );
  return { ...c, entitlement };
}

export interface Member {
  role: Role;
  userId: string;
  email: string;
  token: string;
  /** Calls with the member's API token. */
  caller: Caller;
}

/**
 * An account (a customer unless told; the producer's own for producer roles) with one user per
 * role listed, each with an API token.
 */
export async function accountWithUsers(
  env: TestEnv,
  roles: Role[],
  opts: { type?: AccountType; id?: string; name?: string } = {},
): Promise<{ accountId: string; users: Member[] }> {
  const producer = roles.length > 0 && roles.every((r) => r.startsWith("PRODUCER_"));
  const type = opts.type ?? (roles.some((r) => r.startsWith("PARTNER_")) ? "CHANNEL_PARTNER" : "CUSTOMER");
  const accountId = producer && !opts.type ? PUBLISHER_ID : await env.makeAccount({ ...opts, type });
  const users: Member[] = [];
  for (const role of roles) {
    const u = await env.makeUser({ role, accountId });
    users.push({ role, ...u, caller: env.caller(u.token) });
  }
  return { accountId, users };
}

export const PASSWORD = "correct horse battery staple";

/**
 * A user with a password, made by a producer admin through the API (so it can log in), holding
 * `role` on `accountId` (the producer for producer roles, a new customer or partner otherwise).
 */
export async function userWithPassword(
  env: TestEnv,
  role: Role,
  opts: { accountId?: string; email?: string; password?: string; admin?: Caller } = {},
) {
  const admin = opts.admin ?? (await env.as("PRODUCER_ADMIN"));
  const accountId =
    opts.accountId ??
    (role.startsWith("PRODUCER_")
      ? PUBLISHER_ID
      : await env.makeAccount({ type: role.startsWith("PARTNER_") ? "CHANNEL_PARTNER" : "CUSTOMER" }));
  const password = opts.password ?? PASSWORD;
  const user = ok(
    await admin.post("/api/v1/users", {
      email: opts.email ?? `login-${uid()}@example.com`,
      firstName: "Log",
      lastName: "In",
      password,
      memberships: [{ accountId, role }],
    }),
  ) as { id: string; email: string };
  return { admin, user, accountId, password };
}

/** The session cookie (`name=value`) an answer sets. */
export function cookieOf(res: { headers: Record<string, unknown> }): string {
  const set = res.headers["set-cookie"];
  return String(Array.isArray(set) ? set[0] : set).split(";")[0] as string;
}

/** Logs in through the API; the answer, and when it succeeded the session's cookie and CSRF token. */
export async function logIn(app: FastifyInstance, email: string, password: string, headers: Record<string, string> = {}) {
  const res = await app.inject({ method: "POST", url: "/api/v1/session", payload: { email, password }, headers });
  const good = res.statusCode === 200;
  return { res, cookie: good ? cookieOf(res) : "", csrfToken: good ? (res.json().csrfToken as string) : "" };
}

/** A logged-in session of a new user holding `role`: its cookie and CSRF token, and the user. */
export async function sessionAs(env: TestEnv, role: Role, opts: { accountId?: string } = {}) {
  const made = await userWithPassword(env, role, opts);
  const s = await logIn(env.app, made.user.email, made.password);
  expect(s.res.statusCode, s.res.body).toBe(200);
  return { ...made, cookie: s.cookie, csrfToken: s.csrfToken, headers: { cookie: s.cookie, "x-csrf-token": s.csrfToken } };
}

/**
 * A DEPLOYED bulk entitlement inserted straight into the database, for tests below the API (key
 * loads, jobs, other processes) that need only its row.
 */
export async function insertBulk(db: Db, pk: string) {
  const now = new Date().toISOString();
  await db
    .insertInto("entitlements")
    .values({
      id: pk,
      entitlement_id: pk,
      id_generated: 0,
      kind: "BULK",
      state: "DEPLOYED",
      description: null,
      ship_to_email: null,
      ship_to_address: null,
      order_id: null,
      order_line_number: null,
      allow_portal_login: 0,
      custom_attributes: "{}",
      parent_bulk_id: null,
      created_by: null,
      created_by_label: null,
      created_at: now,
      updated_by: null,
      updated_at: now,
    })
    .execute();
}
