import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { groupCommitOf, openDatabase } from "../src/db/connect.js";

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
});
