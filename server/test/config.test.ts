import os from "node:os";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";

describe("configuration", () => {
  it("sizes the PostgreSQL pool from the cores unless told, and refuses a size that is not a whole number in range", () => {
    expect(loadConfig({}).databasePoolSize).toBe(Math.max(4, 2 * os.availableParallelism()));
    expect(loadConfig({ DATABASE_POOL_SIZE: "7" }).databasePoolSize).toBe(7);
    for (const bad of ["0", "-1", "2.5", "lots", "1001"])
      expect(() => loadConfig({ DATABASE_POOL_SIZE: bad })).toThrow(/DATABASE_POOL_SIZE must be a whole number from 1 to 1000/);
  });
});
