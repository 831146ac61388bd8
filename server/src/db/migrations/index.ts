import type { Migration, MigrationProvider } from "kysely";
import * as m0001 from "./0001_foundation.js";

/** Static list so migrations work the same from source (tests) and from the built `dist/`. */
const migrations: Record<string, Migration> = {
  "0001_foundation": m0001,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
