import crypto from "node:crypto";
import { sql } from "kysely";
import { describe, expect, it, vi } from "vitest";
import { openDatabase } from "../src/db/connect.js";
import { isUniqueViolation } from "../src/db/constraints.js";
import { namedStatements, runPrepared, runPreparedWrite } from "../src/db/prepared.js";
import { DIALECTS, freshDatabase } from "./helpers.js";

describe("prepared queries", () => {
  it("compiles once per shape and binds each run's own values, including nulls and absent columns", async () => {
    const h = openDatabase({ dataDir: ".", sqliteFile: ":memory:" });
    try {
      await sql`CREATE TABLE settings2 (key TEXT PRIMARY KEY, value TEXT, note TEXT)`.execute(h.db);
      const db = h.db.withTables<{ settings2: { key: string; value: string | null; note: string | null } }>();
      // The cache lives for the process: names of this run only, so no other test's compilations count.
      const run = crypto.randomUUID();
      // Every build is a compilation: the builder is called only when the cache has no compiled form.
      const builds = { insert: 0, read: 0 };
      const insert = (rows: { key: string; value: string | null; note?: string }[]) =>
        runPrepared(db as never, `test.insert.${run}`, rows, (d, v) => {
          builds.insert++;
          return (d as unknown as typeof db).insertInto("settings2").values(v);
        });
      await insert([{ key: "a", value: "1" }]);
      await insert([{ key: "b", value: null }]); // the same shape: a null is a value like any other
      expect(builds.insert).toBe(1);
      await insert([
        { key: "c", value: "3", note: "n" },
        { key: "d", value: "4", note: "m" },
      ]);
      await insert([
        { key: "e", value: "5", note: "o" },
        { key: "f", value: null, note: "p" },
      ]);
      expect(builds.insert).toBe(2); // two rows with a note: one more shape, compiled once
      const read = (key: string) =>
        runPrepared(db as never, `test.read.${run}`, { key }, (d, v) => {
          builds.read++;
          return (d as unknown as typeof db).selectFrom("settings2").selectAll().where("key", "=", v.key);
        });
      expect((await read("a")).rows).toEqual([{ key: "a", value: "1", note: null }]);
      expect((await read("b")).rows).toEqual([{ key: "b", value: null, note: null }]);
      expect((await read("d")).rows).toEqual([{ key: "d", value: "4", note: "m" }]);
      expect((await read("f")).rows).toEqual([{ key: "f", value: null, note: "p" }]);
      expect(builds.read).toBe(1);
    } finally {
      await h.close();
    }
  });

  it("tells shapes apart by key order, absent values and nesting, and binds each to its own form", async () => {
    const h = openDatabase({ dataDir: ".", sqliteFile: ":memory:" });
    try {
      await sql`CREATE TABLE settings3 (key TEXT PRIMARY KEY, value TEXT, note TEXT)`.execute(h.db);
      const db = h.db.withTables<{ settings3: { key: string; value: string | null; note: string | null } }>();
      const run = crypto.randomUUID();
      let builds = 0;
      const insert = (rows: Record<string, string | null | undefined>[]) =>
        runPrepared(db as never, `test.shapes.${run}`, rows, (d, v) => {
          builds++;
          return (d as unknown as typeof db).insertInto("settings3").values(v as never);
        });
      await insert([{ key: "a", value: "1", note: "x" }]);
      // The same keys in another order are another form: each value must land in its own column.
      await insert([{ note: "y", value: "2", key: "b" }]);
      await insert([{ key: "c", value: undefined, note: "z" }]); // an absent value leaves its column out
      await insert([{ key: "d", value: "4" }]);
      await insert([{ note: "w", value: "5", key: "e" }]); // the second form again
      await insert([{ key: "f", value: "6", note: "v" }]); // the first again
      expect(builds).toBe(4);
      const rows = await db.selectFrom("settings3").selectAll().orderBy("key").execute();
      expect(rows).toEqual([
        { key: "a", value: "1", note: "x" },
        { key: "b", value: "2", note: "y" },
        { key: "c", value: null, note: "z" },
        { key: "d", value: "4", note: null },
        { key: "e", value: "5", note: "w" },
        { key: "f", value: "6", note: "v" },
      ]);
      // A nested value of another shape (a list where a value was) never takes a scalar's form.
      let reads = 0;
      const read = (v: { keys: string[] }) =>
        runPrepared(db as never, `test.nested.${run}`, v, (d, x) => {
          reads++;
          return (d as unknown as typeof db).selectFrom("settings3").select("key").where("key", "in", x.keys).orderBy("key");
        });
      expect((await read({ keys: ["a"] })).rows).toEqual([{ key: "a" }]);
      expect((await read({ keys: ["b", "f"] })).rows).toEqual([{ key: "b" }, { key: "f" }]);
      expect((await read({ keys: ["c"] })).rows).toEqual([{ key: "c" }]);
      expect(reads).toBe(2);
    } finally {
      await h.close();
    }
  });

  it("refuses a query that computes a value from a placeholder instead of binding it", async () => {
    const h = openDatabase({ dataDir: ".", sqliteFile: ":memory:" });
    try {
      const run = () =>
        runPrepared(h.db, "test.derived", { id: "x" }, (d, v) =>
          d.selectFrom("accounts").select("id").where("id", "=", `${v.id}-1`),
        );
      expect(run).toThrow(/derived from a placeholder/);
    } finally {
      await h.close();
    }
  });

  for (const dialect of DIALECTS)
    it(`[${dialect}] compiles a hot query once, and on PostgreSQL runs it as a statement the connection prepared`, async () => {
      const h = await freshDatabase(dialect);
      try {
        const name = `test.account.${crypto.randomUUID()}`;
        let builds = 0;
        const before = new Set(namedStatements.keys());
        const account = (db: typeof h.db, id: string) =>
          runPrepared(db, name, { id }, (d, v) => {
            builds++;
            return d.selectFrom("accounts").select(["id", "type"]).where("id", "=", v.id);
          });
        await h.db.transaction().execute(async (trx) => {
          // One transaction holds one connection: the statements PostgreSQL prepared on it can be listed.
          expect((await account(trx, "PUBLISHER")).rows).toEqual([{ id: "PUBLISHER", type: "PUBLISHER" }]);
          expect((await account(trx, "NOBODY")).rows).toEqual([]);
          expect((await account(trx, "PUBLISHER")).rows).toHaveLength(1);
          expect(builds).toBe(1);
          if (dialect !== "postgres") return;
          const compiled = [...namedStatements].filter(([text]) => !before.has(text));
          expect(compiled).toHaveLength(1);
          const [text, statement] = compiled[0] as [string, string];
          const prepared = await sql<{ name: string; statement: string }>`
            SELECT name, statement FROM pg_prepared_statements WHERE name = ${statement}`.execute(trx);
          expect(prepared.rows).toEqual([{ name: statement, statement: text }]);
        });
      } finally {
        await h.close();
      }
    });
  for (const dialect of DIALECTS)
    it(`[${dialect}] answers alike on either path: PostgreSQL's pool outside a transaction, Kysely's executor elsewhere`, async () => {
      const h = await freshDatabase(dialect);
      const executor = h.db.getExecutor();
      const viaKysely = vi.spyOn(executor, "executeQuery");
      try {
        const run = crypto.randomUUID();
        const insert = (id: string) =>
          runPrepared(h.db, `test.fast.insert.${run}`, { id }, (d, v) =>
            d.insertInto("rate_counters").values({ bucket: v.id, window_start: 0, count: 1 }).returning("bucket"),
          );
        const rename = (id: string, to: number) =>
          runPrepared(h.db, `test.fast.update.${run}`, { id, to }, (d, v) =>
            d.updateTable("rate_counters").set({ count: v.to }).where("bucket", "=", v.id),
          );
        const first = await insert(`t1-${run}`);
        expect(first.rows).toEqual([{ bucket: `t1-${run}` }]);
        expect((await rename(`t1-${run}`, 5)).numAffectedRows).toBe(1n);
        expect((await rename("no such bucket", 5)).numAffectedRows).toBe(0n);
        // A constraint's failure keeps the driver's code, which callers decide on (a lost race).
        const clash = await insert(`t1-${run}`).catch((err: unknown) => err);
        expect(isUniqueViolation(clash)).toBe(true);
        // A write through the guard's entry point: SQLite's group commit, or the pool.
        const counted = await runPreparedWrite(h.db, `test.fast.count.${run}`, { b: `b-${run}` }, (d, v) =>
          d
            .insertInto("rate_counters")
            .values({ bucket: v.b, window_start: 0, count: 1 })
            .onConflict((oc) => oc.columns(["bucket", "window_start"]).doUpdateSet({ count: sql`rate_counters.count + 1` }))
            .returning("count"),
        );
        expect(counted.rows.map((r) => Number(r.count))).toEqual([1]);
        // Skipping Kysely's executor is the point on PostgreSQL (it cost as much CPU as the driver).
        expect(viaKysely.mock.calls.length > 0).toBe(dialect === "sqlite");
        // Inside a transaction the query runs on the transaction's connection, and is rolled back with it.
        viaKysely.mockClear();
        await h.db
          .transaction()
          .execute(async (trx) => {
            await runPrepared(trx, `test.fast.insert.${run}`, { id: `t2-${run}` }, (d, v) =>
              d.insertInto("rate_counters").values({ bucket: v.id, window_start: 0, count: 1 }).returning("bucket"),
            );
            throw new Error("roll back");
          })
          .catch(() => {});
        const left = await h.db.selectFrom("rate_counters").select("bucket").where("bucket", "=", `t2-${run}`).execute();
        expect(left).toEqual([]);
      } finally {
        viaKysely.mockRestore();
        await h.close();
      }
    });
});

describe("PostgreSQL connections", () => {
  if (DIALECTS.includes("postgres"))
    it("[postgres] are kept when idle, with the statements they prepared", async () => {
      const h = await freshDatabase("postgres");
      const backend = async () => (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(h.db)).rows[0]?.pid;
      try {
        const name = `test.kept.${crypto.randomUUID()}`;
        const prepared = () =>
          runPrepared(h.db, name, { id: "PUBLISHER" }, (d, v) => d.selectFrom("accounts").select("id").where("id", "=", v.id));
        expect((await prepared()).rows).toEqual([{ id: "PUBLISHER" }]);
        // Only the timers the pool sets when a connection goes back to it idle (pg's default: 10 s).
        vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
        let first: number | undefined;
        try {
          first = await backend();
          vi.advanceTimersByTime(10 * 60_000);
        } finally {
          vi.useRealTimers();
        }
        // The same backend answers after ten idle minutes (so the statements it prepared are still
        // there): pg's default would have closed it after ten seconds.
        expect(first).toBeTypeOf("number");
        expect(await backend()).toBe(first);
        expect((await prepared()).rows).toEqual([{ id: "PUBLISHER" }]);
      } finally {
        await h.close();
      }
    });
});
