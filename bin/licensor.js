#!/usr/bin/env node
// The published entry point runs the compiled CLI; `npm run build` (run by `npm start`) produces it.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../dist/cli/src/main.js", import.meta.url));
if (!existsSync(main)) {
  console.error("licensor: not built yet. Run `npm run build` (or `npm start`) in the Licensor folder first.");
  process.exit(1);
}
await import(main);
