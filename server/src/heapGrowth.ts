import v8 from "node:v8";

/**
 * How far a server's heap may grow past what a full collection left live before the next one:
 * 200 % (three times the live size). V8 chooses this factor itself from how fast it collects, and
 * for a server under steady load it settles near its minimum (live size + 8 MB): with ~60 MB live,
 * a full collection came every 5-15 s, and each one marked all ~60 MB while requests waited — in
 * the redemption benchmark at half the peak rate, one cluster of 20-30 requests over 25 ms per
 * collection, the largest part of the tail. At three times the live size they come about fifteen
 * times less often, each costing the same, for ~120 MB more memory under load.
 */
export const HEAP_GROWING_PERCENT = 200;

/** The V8 flag to set, or null when the process was started with its own (`node --heap-growing-percent=…`). */
export function heapGrowthFlag(execArgv: readonly string[], percent = HEAP_GROWING_PERCENT): string | null {
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a))) return null;
  return `--heap-growing-percent=${percent}`;
}

/**
 * Sets the growth factor for this process. It is read each time a full collection computes the
 * next limit, so setting it once the process runs takes effect from the next collection (node
 * accepts it on its command line, not in NODE_OPTIONS, so `licensor serve` sets it itself).
 */
export function tuneHeapGrowth(execArgv: readonly string[] = process.execArgv, percent = HEAP_GROWING_PERCENT): string | null {
  const flag = heapGrowthFlag(execArgv, percent);
  if (flag) v8.setFlagsFromString(flag);
  return flag;
}
