import { defineConfig } from "vitest/config";

// VITEST_JSON=<file> additionally writes a machine-readable report there (.ci/run uses it for its summary line).
const jsonReport = process.env.VITEST_JSON;

export default defineConfig({
  test: {
    include: ["server/**/*.test.ts", "cli/**/*.test.ts", "common/**/*.test.ts", "verifier/**/*.test.ts", "e2e/**/*.test.ts"],
    globalSetup: ["server/test/globalSetup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    ...(jsonReport ? { reporters: ["default", "json"], outputFile: { json: jsonReport } } : {}),
  },
});
