import { ConfigError } from "../../server/src/config.js";
import { buildProgram } from "./program.js";

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    const e = err as { message?: string; field?: string };
    // Every bad variable on its own line, each named, so one start shows them all.
    if (err instanceof ConfigError) for (const p of err.problems) console.error(`licensor: ${p}`);
    else console.error(`licensor: ${e.message ?? String(err)}`);
    process.exit(1);
  });
