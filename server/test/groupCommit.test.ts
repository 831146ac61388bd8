import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { type DbHandle, openDatabase } from "../src/db/connect.js";
import { executeWrite, type GroupCommit, groupCommitOf } from "../src/db/groupCommit.js";

/** An in-memory database with a table `t` (id, v unique) and its group commit, closed after `test`. */
async function withTable(test: (h: DbHandle, group: GroupCommit) => Promise<void>): Promise<void> {
  const h = openDatabase({ dataDir: ".", sqliteFile: ":memory:" });
  try {
    await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)`.execute(h.db);
    const group = groupCommitOf(h.db);
    if (!group) throw new Error("no group commit on SQLite");
    await test(h, group);
  } finally {
    await h.close();
  }
}

describe("SQLite group commit", () => {
  it("runs the units of one turn in one commit, each in its own savepoint, and answers each after the commit", () =>
    withTable(async (h, group) => {
      const insert = (v: string) => ({
        sql: "INSERT INTO t (v) VALUES (?)",
        parameters: [v],
        query: null as never,
        queryId: null as never,
      });
      const count = { sql: "SELECT count(*) AS n FROM t", parameters: [], query: null as never, queryId: null as never };
      const results = await Promise.allSettled([
        group.submit((s) => {
          s.run(insert("a"));
          return "first";
        }),
        group.submit((s) => {
          s.run(insert("b"));
          s.run(insert("a")); // a unique violation: this unit's own "b" must go too
          return "never";
        }),
        group.submit((s) => {
          s.run(insert("c"));
          return (s.all(count)[0] as { n: number }).n;
        }),
      ]);
      expect(results[0]).toEqual({ status: "fulfilled", value: "first" });
      expect(results[1]?.status).toBe("rejected");
      expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
      // The third unit saw the first one's row (same transaction) and not the rolled-back "b".
      expect(results[2]).toEqual({ status: "fulfilled", value: 2 });
      const rows = await sql<{ v: string }>`SELECT v FROM t ORDER BY v`.execute(h.db);
      expect(rows.rows.map((r) => r.v)).toEqual(["a", "c"]);
    }));

  it("applies the units in the order they were submitted and answers them in that order, commit after commit", () =>
    withTable(async (h, group) => {
      const insert = (v: string) => sql<{ id: number }>`INSERT INTO t (v) VALUES (${v}) RETURNING id`.compile(h.db);
      const countNow = sql<{ n: number }>`SELECT count(*) AS n FROM t`.compile(h.db);
      const applied: string[] = [];
      const answered: string[] = [];
      // Each unit records when it runs, inserts its name and returns the row count it saw, so the
      // rows' ids and the counts show the order the statements really ran in.
      const unit = (v: string) =>
        group
          .submit((s) => {
            applied.push(v);
            s.run(insert(v));
            return (s.all(countNow)[0] as { n: number }).n;
          })
          .then((seen) => {
            answered.push(v);
            return seen;
          });
      let late: Promise<number> | undefined;
      // Submitted in one turn: one commit. "late" is submitted when the first answer arrives, so it
      // can only join the next commit, after every unit of this one.
      const first = ["u1", "u2", "u3", "u4", "u5"].map(unit);
      void first[0]?.then(() => {
        late = unit("late");
      });
      const seen = await Promise.all(first);
      expect(seen).toEqual([1, 2, 3, 4, 5]);
      expect(answered).toEqual(["u1", "u2", "u3", "u4", "u5"]);
      expect(await late).toBe(6);
      expect(applied).toEqual(["u1", "u2", "u3", "u4", "u5", "late"]);
      expect(answered).toEqual(["u1", "u2", "u3", "u4", "u5", "late"]);
      const rows = await sql<{ id: number; v: string }>`SELECT id, v FROM t ORDER BY id`.execute(h.db);
      expect(rows.rows.map((r) => r.v)).toEqual(["u1", "u2", "u3", "u4", "u5", "late"]);
    }));

  it("commits a long batch in parts: a unit that starts past the budget waits for the next commit, and the first are answered before it runs", () =>
    withTable(async (h, group) => {
      const insert = (v: string) => sql`INSERT INTO t (v) VALUES (${v})`.compile(h.db);
      const log: string[] = [];
      // Each unit takes longer than the budget (a few milliseconds) on its own, as a backlog of redemptions does together.
      const slow = (v: string) =>
        group
          .submit((s) => {
            log.push(`ran ${v}`);
            s.run(insert(v));
            const until = performance.now() + 10;
            while (performance.now() < until);
            return v;
          })
          .then(() => log.push(`answered ${v}`));
      await Promise.all(["u1", "u2", "u3"].map(slow));
      // One commit each, in order: none waited for the units after it.
      expect(log).toEqual(["ran u1", "answered u1", "ran u2", "answered u2", "ran u3", "answered u3"]);
      const rows = await sql<{ v: string }>`SELECT v FROM t ORDER BY id`.execute(h.db);
      expect(rows.rows.map((r) => r.v)).toEqual(["u1", "u2", "u3"]);
    }));

  it("runs a lone write in the group commit outside a transaction, and in the caller's transaction inside one", () =>
    withTable(async (h, group) => {
      const insert = (v: string) => sql<{ id: number }>`INSERT INTO t (v) VALUES (${v}) RETURNING id`.compile(h.db);
      // Lone writes queue behind a unit submitted before them in the same turn, in the same batch;
      // run on their own they would have been done (in microtasks) before the batch.
      const units: number[] = [];
      const countNow = sql<{ n: number }>`SELECT count(*) AS n FROM t`.compile(h.db);
      const [, a, b] = await Promise.all([
        group.submit((s) => units.push((s.all(countNow)[0] as { n: number }).n)),
        executeWrite(h.db, insert("a")),
        executeWrite(h.db, insert("b")),
      ]);
      expect([a.rows, b.rows]).toEqual([[{ id: 1 }], [{ id: 2 }]]);
      expect(units).toEqual([0]);
      // Inside a transaction it is that transaction's: rolled back with it.
      await expect(
        h.db.transaction().execute(async (trx) => {
          await executeWrite(trx, sql<{ id: number }>`INSERT INTO t (v) VALUES ('c') RETURNING id`.compile(trx));
          throw new Error("roll back");
        }),
      ).rejects.toThrow("roll back");
      const rows = await sql<{ v: string }>`SELECT v FROM t ORDER BY v`.execute(h.db);
      expect(rows.rows.map((r) => r.v)).toEqual(["a", "b"]);
    }));
});
