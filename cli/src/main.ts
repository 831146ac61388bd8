import { buildProgram } from "./program.js";

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    const e = err as { message?: string; field?: string };
    console.error(`licensor: ${e.message ?? String(err)}`);
    process.exit(1);
  });
