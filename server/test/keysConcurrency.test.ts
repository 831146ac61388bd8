import crypto from "node:crypto";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { systemContext } from "../src/actor.js";
import { buildApp } from "../src/app.js";
import { publisherEnsurer } from "../src/commands/bootstrap.js";
import type { DbHandle, Dialect } from "../src/db/connect.js";
import type { Db } from "../src/db/schema.js";
import type { KeyRecord, LoadReport } from "../src/domain/keys.js";
import { loadKeys } from "../src/keys/keyLoader.js";
import { insertBulk } from "./factories.js";
import { DIALECTS, freshDatabase, makeEnv, PUBLISHER_ID, type TestEnv, testConfig } from "./helpers.js";
import { sharedDatabase } from "./processes.js";

/**
 * Concurrent key loads with overlapping keys, into the same and into different bulk entitlements.
 * Whatever the interleaving: no key is ever stored twice (the unique index decides, never a prior
 * SELECT), every bulk entitlement's key_count equals its rows, and each overlapping key is loaded
 * by exactly one load and reported ("already exists" / "duplicate of a key earlier in this load")
 * by every other load that returned a report.
 *
 * Three set-ups: PostgreSQL (a pool connection, so a transaction, per load: truly concurrent);
 * SQLite on a file as the server runs it (a connection per load); SQLite in memory as the other
 * tests run it (one connection, so loads queue behind each other).
 *
 * Two ways a load is refused whole today, with an error instead of a report (both leave nothing
 * behind, which these tests hold them to; both are reported as problems to fix):
 * - SQLite file: a load that meets another load's write lock fails at once with "database is
 *   locked" (its deferred transaction read first, so SQLite will not wait for the lock);
 * - PostgreSQL: loads meeting the same keys in different orders can deadlock; PostgreSQL then
 *   aborts one with "deadlock detected". Loads meeting them in the same order only wait.
 */

type Setup = "postgres" | "sqlite-file" | "sqlite-memory";
const SETUPS: Setup[] = DIALECTS.flatMap((d): Setup[] => (d === "sqlite" ? ["sqlite-file", "sqlite-memory"] : ["postgres"]));
const dialectOf = (s: Setup): Dialect => (s === "postgres" ? "postgres" : "sqlite");

async function openSetup(setup: Setup): Promise<{ handle: DbHandle; close(): Promise<void> }> {
  if (setup !== "sqlite-file") {
    const handle = await freshDatabase(dialectOf(setup));
    return { handle, close: () => handle.close() };
  }
  // A SQLite file, as the server runs it: each load gets a connection of its own.
  const shared = await sharedDatabase("sqlite");
  await publisherEnsurer(shared.db, PUBLISHER_ID, "Test Producer");
  return { handle: shared.handle, close: () => shared.close() };
}

const keySet = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(5, "0")}`);

/** A seeded pseudo-random sequence in [0, 1). */
function random(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  const r = random(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** `own` and `shared` interleaved at random, each keeping its own order. */
function interleaved(own: string[], shared: string[], seed: number): string[] {
  const r = random(seed);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < own.length || j < shared.length) {
    const takeOwn = j >= shared.length || (i < own.length && r() < own.length / (own.length + shared.length));
    out.push(takeOwn ? (own[i++] as string) : (shared[j++] as string));
  }
  return out;
}

/** Batches of `size`, yielding to the event loop between them so concurrent loads interleave. */
async function* batchesOf(keys: string[], size: number): AsyncGenerator<KeyRecord[]> {
  for (let i = 0; i < keys.length; i += size) {
    await new Promise((r) => setImmediate(r));
    yield keys.slice(i, i + size).map((key, j) => ({ line: i + j + 1, key }));
  }
}

interface Load {
  bulk: string;
  keys: string[];
}
type Outcome = { report: LoadReport } | { error: string };

/** The errors a load may be refused with as a whole in this set-up and scenario (see the top). */
function wholeRefusals(setup: Setup, sharedOrder: "same" | "different"): RegExp | null {
  if (setup === "sqlite-file") return /database is locked/;
  if (setup === "postgres" && sharedOrder === "different") return /deadlock detected/;
  return null;
}

/**
 * Checks what the outcomes left: no duplicates, counters equal rows, and per load either a report
 * whose rejected lines are exactly its overlapping keys not loaded, or (SQLite file only) a whole
 * refusal that left none of its keys.
 */
async function settle(db: Db, loads: Load[], outcomes: Outcome[], mode: "all" | "partial", refusals: RegExp | null) {
  const dups = await sql<{ key: string; n: number }>`
    SELECT key, count(*) AS n FROM web_register_keys GROUP BY key HAVING count(*) > 1`.execute(db);
  expect(dups.rows).toEqual([]);

  const bulks = [...new Set(loads.map((l) => l.bulk))];
  for (const bulk of bulks) {
    const rows = await sql<{ n: number | string }>`SELECT count(*) AS n FROM web_register_keys WHERE bulk_id = ${bulk}`.execute(
      db,
    );
    const e = await db.selectFrom("entitlements").select("key_count").where("id", "=", bulk).executeTakeFirstOrThrow();
    expect(e.key_count).toBe(Number(rows.rows[0]?.n));
  }

  const stored = new Map(
    (await db.selectFrom("web_register_keys").select(["key", "bulk_id"]).execute()).map((r) => [r.key, r.bulk_id]),
  );
  /** Keys only this load has: stored if and only if this load committed. */
  const ownStored = (load: Load) => {
    const others = new Set(loads.filter((l) => l !== load).flatMap((l) => l.keys));
    return load.keys.filter((k) => !others.has(k) && stored.has(k));
  };
  let loadedTotal = 0;
  const loadedBy = new Map<string, number>();
  for (const [i, load] of loads.entries()) {
    const out = outcomes[i] as Outcome;
    if ("error" in out) {
      // Refused whole: allowed only where named (see the top), and then none of it is stored.
      expect(refusals, out.error).not.toBeNull();
      expect(out.error).toMatch(refusals as RegExp);
      expect(ownStored(load)).toEqual([]);
      continue;
    }
    const r = out.report;
    expect(r.read).toBe(load.keys.length);
    // A refused load (FAILURE) reports its bad lines and loads nothing.
    expect(r.status === "FAILURE" ? r.loaded : r.loaded + r.rejected).toBe(r.status === "FAILURE" ? 0 : r.read);
    if (mode === "all") expect(r.status === "SUCCESS" || r.status === "FAILURE").toBe(true);
    if (r.status === "FAILURE") expect(ownStored(load)).toEqual([]);
    const refused = new Map(r.badLines.map((b) => [b.line, b.reason]));
    for (const reason of refused.values()) expect(reason).toMatch(/^(already exists|duplicate of a key earlier in this load)$/);
    for (const [j, key] of load.keys.entries()) {
      const line = j + 1;
      if (refused.has(line)) {
        // Refused because another load holds it (now, committed).
        expect(stored.has(key)).toBe(true);
      } else if (r.status !== "FAILURE") {
        expect(stored.get(key)).toBe(load.bulk);
        loadedBy.set(key, (loadedBy.get(key) ?? 0) + 1);
      }
    }
    if (r.status !== "FAILURE") loadedTotal += r.loaded;
  }
  // Every stored key was loaded by exactly one load that reports having loaded it.
  for (const n of loadedBy.values()) expect(n).toBe(1);
  expect(loadedTotal).toBe(stored.size);
  expect(outcomes.some((o) => "report" in o && o.report.status !== "FAILURE")).toBe(true);
}

for (const setup of SETUPS) {
  describe(`concurrent key loads [${setup}]`, () => {
    let s: Awaited<ReturnType<typeof openSetup>>;
    let env: TestEnv;
    /** Messages of the errors the app answered with a 500 (the response itself does not say). */
    let serverErrors: string[] = [];
    beforeEach(async () => {
      s = await openSetup(setup);
      const app = await buildApp(
        { db: s.handle.db, dialect: s.handle.dialect, config: testConfig(), bulk: s.handle.bulk },
        { logger: false },
      );
      serverErrors = [];
      app.addHook("onError", async (_req, _reply, err) => {
        serverErrors.push(err.message);
      });
      await app.ready();
      env = makeEnv(s.handle.dialect, s.handle.db, app);
      for (const b of ["BULK-X", "BULK-Y"]) await insertBulk(s.handle.db, b);
    });
    afterEach(async () => {
      await env?.app.close();
      await s?.close();
    });

    /**
     * Three loads, two into BULK-X and one into BULK-Y, each of 3,000 keys of its own and the same
     * 1,000 shared keys, spread through it: in the same relative order in every load, or each load
     * in its own order.
     */
    function overlapping(sharedOrder: "same" | "different"): Load[] {
      const shared = shuffled(keySet(`SH${crypto.randomBytes(2).toString("hex")}`, 1000), 7);
      return (
        [
          ["BULK-X", "A"],
          ["BULK-X", "B"],
          ["BULK-Y", "C"],
        ] as const
      ).map(([bulk, prefix], i) => ({
        bulk,
        keys:
          sharedOrder === "same"
            ? interleaved(shuffled(keySet(prefix, 3000), i + 1), shared, i + 11)
            : shuffled([...keySet(prefix, 3000), ...shared], i + 1),
      }));
    }

    const runLoads = (loads: Load[], mode: "all" | "partial", batch: number) =>
      Promise.all(
        loads.map(async (l): Promise<Outcome> => {
          const conn = s.handle.bulk();
          try {
            const report = await loadKeys(conn, dialectOf(setup), {
              ctx: systemContext("concurrency"),
              bulkPk: l.bulk,
              batches: batchesOf(l.keys, batch),
              mode,
              jobId: null,
              verb: "imported",
            });
            return { report };
          } catch (err) {
            return { error: String(err) };
          } finally {
            await conn.release();
          }
        }),
      );

    for (const sharedOrder of ["same", "different"] as const) {
      it(`partial loads in several batches, shared keys ${sharedOrder === "same" ? "in the same order" : "in a different order in each load"}: each stored once, reported by the others`, async () => {
        const loads = overlapping(sharedOrder);
        const outcomes = await runLoads(loads, "partial", 500);
        await settle(s.handle.db, loads, outcomes, "partial", wholeRefusals(setup, sharedOrder));
        const reports = outcomes.flatMap((o) => ("report" in o ? [o.report] : []));
        if (reports.length === loads.length) {
          // All three ran: 9,000 own keys plus the 1,000 shared ones, each shared key refused twice.
          expect(reports.reduce((n, r) => n + r.loaded, 0)).toBe(10_000);
          expect(reports.reduce((n, r) => n + r.rejected, 0)).toBe(2_000);
        }
        if (wholeRefusals(setup, sharedOrder) === null) expect(reports).toHaveLength(loads.length);
      }, 60_000);
    }

    it("all-or-nothing loads: exactly one wins, the others load none of their keys and name the shared ones", async () => {
      const loads = overlapping("same");
      const outcomes = await runLoads(loads, "all", 500);
      await settle(s.handle.db, loads, outcomes, "all", wholeRefusals(setup, "same"));
      // Exactly one of the three can succeed: each overlaps both others on all 1,000 shared keys.
      const winners = outcomes.flatMap((o, i) => ("report" in o && o.report.status === "SUCCESS" ? [i] : []));
      expect(winners).toHaveLength(1);
      const winner = winners[0] as number;
      const count = await sql<{ n: number | string }>`SELECT count(*) AS n FROM web_register_keys`.execute(s.handle.db);
      expect(Number(count.rows[0]?.n)).toBe((loads[winner] as Load).keys.length);
      for (const [i, o] of outcomes.entries()) {
        if (i === winner || !("report" in o)) continue;
        expect(o.report).toMatchObject({ status: "FAILURE", loaded: 0, rejected: 1000 });
        expect(new Set(o.report.badLines.map((b) => b.reason))).toEqual(new Set(["already exists"]));
      }
    }, 60_000);

    it("the batch API called concurrently (Promise.all) keeps every key once and the counts true", async () => {
      const admin = await env.as("PRODUCER_ADMIN");
      const loads = overlapping("same");
      const responses = await Promise.all(
        loads.map((l) => admin.post(`/api/v1/entitlements/${l.bulk}/keys/batch`, { keys: l.keys, mode: "partial" })),
      );
      const outcomes = responses.map((r): Outcome => {
        if (r.statusCode === 200) return { report: r.json() as LoadReport };
        // An unexpected database error is a bare 500; the app's onError hook saw what it was.
        expect(r.statusCode).toBe(500);
        return { error: `HTTP 500: ${serverErrors.join("; ")}` };
      });
      await settle(s.handle.db, loads, outcomes, "partial", wholeRefusals(setup, "same"));
      for (const bulk of ["BULK-X", "BULK-Y"]) {
        const counts = (await admin.get(`/api/v1/entitlements/${bulk}/keys/counts`)).json();
        const rows = await sql<{
          n: number | string;
        }>`SELECT count(*) AS n FROM web_register_keys WHERE bulk_id = ${bulk}`.execute(s.handle.db);
        expect(counts).toEqual({ total: Number(rows.rows[0]?.n), redeemed: 0, unredeemed: Number(rows.rows[0]?.n) });
      }
    }, 60_000);
  });
}
