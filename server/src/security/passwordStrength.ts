import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { ESTIMATE_CHARS, type GuessEstimate, guessProblem, knownWords, passwordShapeProblem } from "../domain/passwords.js";

/**
 * zxcvbn runs in a worker thread of its own, for two reasons measured on the request thread:
 * - its dictionaries (common passwords, words, names) are ~45 MB of live heap, half a million
 *   objects that every full collection of the request thread had to mark, for the whole life of
 *   the process, to serve a check that runs at a registration or a password change: the
 *   redemption benchmark's half-rate tail had its worst stalls in those collections;
 * - a check is synchronous and takes 30-170 ms for 32 characters, which stopped every other
 *   request for that long.
 * The worker starts at a check, loads the dictionaries (~0.5 s), and stays for the checks that
 * follow (unreferenced, so it never keeps a process alive on its own). It stops once no check has
 * come for a minute: an idle worker kept its ~30 MB, and V8's memory reducer collected that heap
 * now and then for 36-53 ms of CPU, a core taken from the requests on a two-core machine (seen in
 * the redemption benchmark). One that failed is replaced at the next check.
 */
// Source text rather than a file so it runs the same from TypeScript (tests) and from the build;
// it loads the packages the main thread resolved.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { ZxcvbnFactory } = require(workerData.core);
const common = require(workerData.common);
const en = require(workerData.en);
const zxcvbn = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...en.dictionary },
  graphs: common.adjacencyGraphs,
  translations: en.translations,
});
parentPort.on("message", ({ id, password, inputs }) => {
  try {
    const r = zxcvbn.check(password, inputs);
    parentPort.postMessage({ id, score: r.score, warning: r.feedback.warning || "" });
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
});
`;

type Answer = { id: number; score: number; warning: string } | { id: number; error: string };
interface Waiting {
  resolve: (e: GuessEstimate) => void;
  reject: (e: Error) => void;
}

/** How long a worker without checks is kept. */
const IDLE_MS = 60_000;

export class Estimator {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(private readonly idleMs = IDLE_MS) {}

  /** Whether a worker is up (with its dictionaries, once it has answered). */
  get running(): boolean {
    return this.worker !== null;
  }

  estimate(password: string, inputs: string[]): Promise<GuessEstimate> {
    this.clearIdle();
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<GuessEstimate>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // Referenced while a check is out, so a CLI command waiting for one is not ended under it.
      worker.ref();
      worker.postMessage({ id, password, inputs });
    });
  }

  private start(): Worker {
    const resolve = createRequire(import.meta.url).resolve;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        core: resolve("@zxcvbn-ts/core"),
        common: resolve("@zxcvbn-ts/language-common"),
        en: resolve("@zxcvbn-ts/language-en"),
      },
    });
    worker.unref();
    worker.on("message", (a: Answer) => this.answer(a));
    worker.on("error", (err) => this.fail(worker, err));
    worker.on("exit", (code) => this.fail(worker, new Error(`the password estimator stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private answer(a: Answer): void {
    const w = this.waiting.get(a.id);
    if (!w) return;
    this.waiting.delete(a.id);
    if (this.waiting.size === 0) {
      this.worker?.unref();
      this.idleTimer = setTimeout(() => void this.stop(), this.idleMs).unref();
    }
    if ("error" in a) w.reject(new Error(`password estimate failed: ${a.error}`));
    else w.resolve({ score: a.score, warning: a.warning });
  }

  /** Everything waiting on a worker that failed is refused; the next check starts a new one. */
  private fail(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.reject(err);
  }

  /**
   * Stops the worker (idle, or asked); the next check starts another. A check still waiting on it
   * is refused, as when the worker fails.
   */
  async stop(): Promise<void> {
    this.clearIdle();
    const w = this.worker;
    if (!w) return;
    // Forgotten first: a check that comes while this one ends starts a new worker rather than
    // posting to this one.
    this.fail(w, new Error("the password estimator was stopped"));
    await w.terminate();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}

const estimator = new Estimator();

/**
 * Password rules: NIST 800-63B style — length, and not a common, guessable or trivially patterned
 * password (zxcvbn-ts: its list of common passwords, words and names, and its pattern matchers).
 * `userInputs` (email, names, company) count as known words. Returns the problem in words or null.
 */
export async function passwordProblem(password: string, email?: string, userInputs: string[] = []): Promise<string | null> {
  const shape = passwordShapeProblem(password, email);
  if (shape) return shape;
  return guessProblem(await estimator.estimate(password.slice(0, ESTIMATE_CHARS), knownWords(email, userInputs)));
}

/** Stops the estimator's worker; the next check starts a new one. */
export function stopPasswordEstimator(): Promise<void> {
  return estimator.stop();
}
