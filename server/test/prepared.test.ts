import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/connect.js";
import { runPrepared } from "../src/db/prepared.js";

describe("prepared queries", () => {
  it("compiles once per shape and binds each run's own values, including nulls and absent columns", async () => {
    const h = openDatabase({ dataDir: ".", sqliteFile: ":memory:" });
    try {
      await sql`CREATE TABLE settings2 (key TEXT PRIMARY KEY, value TEXT, note TEXT)`.execute(h.db);
      const db = h.db.withTables<{ settings2: { key: string; value: string | null; note: string | null } }>();
      const insert = (rows: { key: string; value: string | null; note?: string }[]) =>
        runPrepared(db as never, "test.insert", rows, (d, v) => (d as unknown as typeof db).insertInto("settings2").values(v));
      await insert([{ key: "a", value: "1" }]);
      await insert([{ key: "b", value: null }]);
      await insert([
        { key: "c", value: "3", note: "n" },
        { key: "d", value: "4", note: "m" },
      ]);
      const read = (key: string) =>
        runPrepared(db as never, "test.read", { key }, (d, v) =>
          (d as unknown as typeof db).selectFrom("settings2").selectAll().where("key", "=", v.key),
        );
      expect((await read("a")).rows).toEqual([{ key: "a", value: "1", note: null }]);
      expect((await read("b")).rows).toEqual([{ key: "b", value: null, note: null }]);
      expect((await read("d")).rows).toEqual([{ key: "d", value: "4", note: "m" }]);
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
});
