import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/connect.js";
import { executeWrite, groupCommitOf } from "../src/db/groupCommit.js";

describe("SQLite group commit", () => {
  it("runs the units of one turn in one commit, each in its own savepoint, and answers each after the commit", async () => {
    const h = openDatabase({ dataDir: ".", sqliteFile: ":memory:" });
    try {
      await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)`.execute(h.db);
      const group = groupCommitOf(h.db);
      if (!group) throw new Error("no group commit on SQLite");
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
    } finally {
      await h.close();
    }
  });

  it("runs a lone write in the group commit outside a transaction, and in the caller's transaction inside one", async () => {
    const h = openDatabase({ dataDir: ".", sqliteFile: ":memory:" });
    try {
      await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)`.execute(h.db);
      const insert = (v: string) => sql<{ id: number }>`INSERT INTO t (v) VALUES (${v}) RETURNING id`.compile(h.db);
      const group = groupCommitOf(h.db);
      if (!group) throw new Error("no group commit on SQLite");
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
    } finally {
      await h.close();
    }
  });
});
