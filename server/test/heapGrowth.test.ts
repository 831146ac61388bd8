import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import { describe, expect, it, vi } from "vitest";
import { HEAP_GROWING_PERCENT, heapGrowthFlag } from "../src/heapGrowth.js";
import { startServer } from "../src/server.js";
import { testConfig } from "./helpers.js";

const MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), "../src/heapGrowth.ts");

/**
 * A child process with ~25 MB live that throws away ~450 MB of 64 KB arrays, each promoted to
 * the old generation before it is dropped (as a server's longer-lived garbage is), its heap growth
 * set to `percent` once it runs; returns its full collections.
 */
function fullCollections(percent: number): Promise<number> {
  const script = `
    import { PerformanceObserver, constants } from "node:perf_hooks";
    const { tuneHeapGrowth } = await import(${JSON.stringify(MODULE)});
    const live = Array.from({ length: 250_000 }, (_, i) => ({ i, s: "k" + i }));
    globalThis.gc();
    tuneHeapGrowth([], ${percent});
    let full = 0;
    new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) full++; })
      .observe({ entryTypes: ["gc"] });
    // Each array outlives several scavenges (1 MB semi-spaces), so it is promoted, then dropped.
    const ring = new Array(64);
    for (let i = 0; i < 7_000; i++) {
      ring[i % ring.length] = new Array(8_000).fill(i);
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 50));
    console.log(JSON.stringify({ full, live: live.length }));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--expose-gc", "--max-semi-space-size=1", "--import", "tsx", "--input-type=module", "-e", script],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("exit", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code !== 0 || !line.startsWith("{")) reject(new Error(`the child failed (${code}):\n${out}`));
      else resolve(JSON.parse(line).full);
    });
  });
}

describe("heap growth between full collections", () => {
  it("is set for a server process unless node was started with its own", () => {
    expect(heapGrowthFlag([])).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    expect(heapGrowthFlag(["--enable-source-maps"])).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    expect(heapGrowthFlag(["--heap-growing-percent=50"])).toBeNull();
    expect(heapGrowthFlag(["--heap_growing_percent=50"])).toBeNull();
  });

  it("is set by a starting server", { timeout: 60_000 }, async () => {
    const flags = vi.spyOn(v8, "setFlagsFromString");
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "licensor-heap-"));
    try {
      const started = await startServer(testConfig({ dataDir, port: 0, host: "127.0.0.1" }), () => {});
      await started.stop();
      expect(flags.mock.calls).toContainEqual([`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]);
    } finally {
      flags.mockRestore();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("set while the process runs, it decides how often the heap is collected in full", { timeout: 60_000 }, async () => {
    const [low, high] = await Promise.all([fullCollections(10), fullCollections(2000)]);
    // 10 %: the heap is collected each time it grows by a tenth (~25 MB live, ~450 MB thrown away).
    expect(low).toBeGreaterThanOrEqual(10);
    // 2,000 %: twenty-one times the live size holds all of it; at most one collection.
    expect(high).toBeLessThanOrEqual(1);
  });
});
