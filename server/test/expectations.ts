import type { LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import { CUSTOMER_ROLES, PARTNER_ROLES, type Role } from "../../common/src/enums.js";
import type { Caller, TestEnv } from "./helpers.js";

/** Assertions more than one suite makes about API answers. */

type Res = LightMyRequestResponse;

/**
 * Asserts a problem+json refusal and returns its body. With a field, the words must be in that
 * field's message (from `errors`), or — for single-field problems without a list — `field` must
 * match and the words be in `detail`. Without a field, the words must be in `detail`.
 */
export function expectProblem(res: Res, status: number, code: string, field?: string, ...words: string[]): any {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json();
  expect(body.code, res.body).toBe(code);
  if (field === undefined) {
    for (const w of words) expect(body.detail).toContain(w);
    return body;
  }
  const entry = (body.errors ?? []).find((e: { field: string }) => e.field === field);
  if (entry) {
    for (const w of words) expect(entry.message, res.body).toContain(w);
  } else {
    expect(body.field, res.body).toBe(field);
    for (const w of words) expect(body.detail).toContain(w);
  }
  return body;
}

const PORTAL_ROLES: Role[] = [...PARTNER_ROLES, ...CUSTOMER_ROLES];

/**
 * A catalog resource's access rule past its writers: each of `readOnly` may make every read and
 * is refused every write (403 forbidden); every portal role is refused everything. The calls are
 * made one after the other, in the order given.
 */
export async function expectReadOnlyAndHidden(
  env: TestEnv,
  readOnly: Role[],
  calls: { reads: ((c: Caller) => Promise<Res>)[]; writes: ((c: Caller) => Promise<Res>)[] },
) {
  for (const role of readOnly) {
    const c = await env.as(role);
    for (const read of calls.reads) expect((await read(c)).statusCode, role).toBe(200);
    for (const write of calls.writes) {
      const res = await write(c);
      expect(res.statusCode, role).toBe(403);
      expect(res.json().code).toBe("forbidden");
    }
  }
  for (const role of PORTAL_ROLES) {
    const c = await env.as(role);
    for (const call of [...calls.reads, ...calls.writes]) expect((await call(c)).statusCode, role).toBe(403);
  }
}
