import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type SQLite from "better-sqlite3";
import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/**
 * SQLite copies the WAL back into the database file (a checkpoint, ending with an fsync) inside
 * whichever commit pushes the WAL past `wal_autocheckpoint` pages. better-sqlite3 runs on the event
 * loop, so every request waited for it: under redemption load that was a checkpoint every tenth of
 * a second, a fifth of the throughput and most of the p99 (BENCHMARKS.md).
 *
 * Here a worker thread with its own connection checkpoints in PASSIVE mode, which never waits for
 * a writer and never makes one wait. Under a steady stream of commits, though, a pass never catches
 * up with the last frame, and SQLite only starts the WAL over once a checkpoint has copied all of
 * it: the file would grow without end. So once the WAL is past `restartFrames`, the main
 * connection is held (asynchronously: queries queue, the event loop goes on) while the worker
 * copies the few frames written since its last pass; the next commit then starts the WAL over.
 * The main connection keeps an automatic checkpoint at `backstopFrames` should the worker
 * fall behind, and goes back to SQLite's default if the worker stops.
 */
// The WAL may reach 64 MB before it starts over: each start-over holds the main connection for
// the last fsync, and at 4 MB (1,000 frames) that came every tenth of a second under load.
//
// The hold lasts as long as the worker's last pass: its fsyncs of what it copied, and, as that pass
// copies everything, SQLite's truncation of the database file to its size, which makes the fsync a
// journal commit (about 10 ms on these machines, however few the frames). Taken some tens of
// milliseconds after the worker's last pass it also copied those milliseconds' frames: 13–26 ms
// holds, measured under redemption load at half the peak rate, each a cluster of requests over
// 10 ms. So the worker asks for the hold right after its catch-up passes (the last of them quick,
// FAST_MS, when the disk allows), and the main connection takes it at once (4–12 ms measured).
const DEFAULTS = { passEveryMs: 100, restartFrames: 16_000, backstopFrames: 64_000 };
/** A pass this quick left only a few frames behind it: the catch-up stops there. */
const FAST_MS = 2;
/** Catch-up passes at most, after a timed pass past restartFrames. */
const CATCH_UP_TRIES = 5;
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;

// The worker is source text rather than a file so it runs the same from TypeScript (tests) and
// from the build; it loads the driver the main thread resolved.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.file);
const pass = () => {
  const started = performance.now();
  try {
    const r = db.pragma("wal_checkpoint(PASSIVE)")[0];
    return { log: r.log, ms: performance.now() - started };
  } catch (err) {
    parentPort.postMessage({ type: "error", message: String((err && err.message) || err) });
    return null;
  }
};
const timer = setInterval(() => {
  let r = pass();
  if (!r || r.log < workerData.restartFrames) return;
  // Catch up with what was written during the pass, so what is left for the main connection to
  // wait for is small: the fsync of the copied pages is most of a checkpoint's time.
  for (let i = 0; i < workerData.catchUpTries && r && r.ms > workerData.fastMs; i++) r = pass();
  if (r) parentPort.postMessage({ type: "ready", log: r.log });
}, workerData.everyMs);
parentPort.on("message", (m) => {
  if (m === "finish") {
    pass();
    parentPort.postMessage({ type: "finished" });
  }
  if (m === "stop") {
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
`;

type WorkerMessage = { type: "ready"; log: number } | { type: "finished" } | { type: "error"; message: string };

export class Checkpointer {
  private readonly worker: Worker;
  private finishing: (() => void) | null = null;
  private stopping = false;
  private warned = false;
  private readonly exited: Promise<void>;

  constructor(
    file: string,
    private readonly db: Kysely<Database>,
    raw: SQLite.Database,
    options: Partial<typeof DEFAULTS> = {},
  ) {
    const o = { ...DEFAULTS, ...options };
    raw.pragma(`wal_autocheckpoint = ${o.backstopFrames}`);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        file,
        everyMs: o.passEveryMs,
        restartFrames: o.restartFrames,
        fastMs: FAST_MS,
        catchUpTries: CATCH_UP_TRIES,
        driver: createRequire(import.meta.url).resolve("better-sqlite3"),
      },
    });
    // It must never keep a process (a CLI command, a test) alive on its own.
    this.worker.unref();
    this.worker.on("message", (m: WorkerMessage) => this.onMessage(m));
    this.worker.on("error", (err) => this.warn(`SQLite checkpoint worker failed: ${err.message}`));
    this.exited = new Promise((resolve) => {
      this.worker.on("exit", () => {
        this.finishing?.();
        if (!this.stopping && raw.open) raw.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
        resolve();
      });
    });
  }

  private onMessage(m: WorkerMessage): void {
    if (m.type === "error") this.warn(`SQLite checkpoint failed: ${m.message}`);
    else if (m.type === "finished") this.finishing?.();
    // At once: every millisecond from the worker's last pass adds frames for the hold to copy.
    else if (!this.finishing && !this.stopping) void this.finish();
  }

  /** Holds the main connection while the worker copies what is left, so the WAL can start over. */
  private async finish(): Promise<void> {
    const done = new Promise<void>((resolve) => {
      this.finishing = resolve;
    });
    try {
      await this.db.connection().execute(async () => {
        this.worker.postMessage("finish");
        await done;
      });
    } catch {
      // The database was closed meanwhile; nothing to finish.
    } finally {
      this.finishing = null;
    }
  }

  private warn(message: string): void {
    if (this.warned) return;
    this.warned = true;
    process.emitWarning(message);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.worker.postMessage("stop");
    const timeout = setTimeout(() => void this.worker.terminate(), 5_000);
    await this.exited;
    clearTimeout(timeout);
  }
}
