import fs from "node:fs";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import cliProgress from "cli-progress";
import { type Command, InvalidArgumentError, Option } from "commander";
import { KEY_LIMITS } from "../../common/src/limits.js";
import { KEY_STATUSES, type KeyStatus, keyLoadStateProblem } from "../../common/src/rules/keys.js";
import { systemContext } from "../../server/src/actor.js";
import { keyExporter } from "../../server/src/commands/keyExporter.js";
import { keyRedeemer } from "../../server/src/commands/keyRedeemer.js";
import { loadConfig } from "../../server/src/config.js";
import { type DbHandle, migrateToLatest, openDatabase } from "../../server/src/db/connect.js";
import { findEntitlement, findEntitlementByEntitlementId } from "../../server/src/db/repos/entitlements.js";
import { keyCounts } from "../../server/src/db/repos/keys.js";
import type { EntitlementRow } from "../../server/src/db/schema.js";
import type { BadLine, LoadReport } from "../../server/src/domain/keys.js";
import { AppError, errors } from "../../server/src/errors.js";
import { type KeyExportRow, keysCsv } from "../../server/src/keyfiles/csvExport.js";
import { detectFormat, KeyFileError, type KeyFileFormat } from "../../server/src/keyfiles/readKeyFile.js";
import { deleteUnredeemedKeys } from "../../server/src/keys/keyDeleter.js";
import { exportedKeyCount } from "../../server/src/keys/keyExport.js";
import { type KeySource, runKeyLoad } from "../../server/src/keys/keyLoad.js";
import { LoadCancelled } from "../../server/src/keys/keyLoader.js";
import { presentEntitlementRecord } from "../../server/src/presenters/entitlements.js";

/** The API's ceiling for one generate request (`POST …/keys/generate`), kept for the CLI too. */
export const MAX_GENERATE = 10_000_000;
/** Bad lines printed when a load is refused; the rest are counted. */
export const REPORT_PRINT_LIMIT = 50;

/**
 * `licensor keys <verb> --bulk <entitlement>` (`redeem` needs only the key): web register keys, offline,
 * against the database named by the environment. The same commands as the API (`routes/keys.ts`,
 * `routes/redemptions.ts`), run as the system actor, so audit and history name "system".
 */
export function registerKeyCommands(program: Command): void {
  const keys = program
    .command("keys")
    .description("Manage the web register keys of a bulk entitlement: generate, import, export, delete, count, redeem")
    .addHelpText(
      "after",
      "\n<entitlement> is the bulk entitlement's entitlement ID (or its internal id).\n" +
        "Loads are all-or-nothing: one bad line refuses the whole file unless --partial is given.",
    );
  const bulkOption = () =>
    new Option("-b, --bulk <entitlement>", "the bulk entitlement: its entitlement ID or internal id").makeOptionMandatory();

  keys
    .command("generate")
    .description("Generate N random keys (Crockford base32 with a check symbol) and load them")
    .addOption(bulkOption())
    .requiredOption("-n, --count <n>", `how many keys (1 to ${KEY_LIMITS.generateMax})`, countArg)
    .action(async (opts: { bulk: string; count: number }) => {
      await withDatabase(async (h) => {
        const bulk = await loadableBulk(h, opts.bulk);
        const progress = new Progress("generated", { total: opts.count, by: "keys" });
        const report = await runLoad(h, bulk, { generate: opts.count }, "all", progress);
        if (report.status === "FAILURE") refuse(report, "the generated batch");
        console.log(loadedLine(report, bulk, progress));
      });
    });

  keys
    .command("import")
    .description("Load keys from a file: FNO XML (<webregkeys>), CSV with a 'key' column, or text with one key per line")
    .argument("<file>", "the key file (read as a stream; any size)")
    .addOption(bulkOption())
    .addOption(
      new Option("-f, --format <format>", "file format (default: from the extension, else the content)").choices(FORMATS),
    )
    .option("--partial", "load the valid keys even when some lines are bad (default: all or nothing)")
    .action(async (file: string, opts: { bulk: string; format?: KeyFileFormat; partial?: boolean }) => {
      const { size, format } = await inspectFile(file, opts.format);
      await withDatabase(async (h) => {
        const bulk = await loadableBulk(h, opts.bulk);
        const progress = new Progress("imported", size > 0 ? { total: size, by: "bytes" } : { total: null, by: "keys" });
        let bytes = 0;
        async function* counted(): AsyncGenerator<Buffer> {
          for await (const chunk of fs.createReadStream(file)) {
            bytes += (chunk as Buffer).length;
            yield chunk as Buffer;
          }
        }
        let report: LoadReport;
        try {
          report = await runLoad(h, bulk, { file: counted(), format }, opts.partial ? "partial" : "all", progress, () => bytes);
        } catch (err) {
          if (err instanceof KeyFileError) throw new Error(`${file}: line ${err.line}: ${err.message}; nothing was loaded.`);
          throw err;
        }
        if (report.status === "FAILURE") refuse(report, file);
        if (report.rejected > 0) printBadLines(report);
        console.log(
          loadedLine(report, bulk, progress) +
            (report.rejected > 0 ? ` (${plural(report.rejected, "bad line")} skipped, listed on stderr)` : ""),
        );
      });
    });

  keys
    .command("export")
    .description("Write the keys as CSV (key, status, created_at, redeemed_at, redeemed_by, sold_to, owner, entitlement_id)")
    .addOption(bulkOption())
    .addOption(new Option("-s, --status <status>", "only keys with this status").choices(KEY_STATUSES))
    .option("-o, --out <file>", "write to this file (created readable by you only) instead of stdout")
    .action(async (opts: { bulk: string; status?: KeyStatus; out?: string }) => {
      await withDatabase(async (h) => {
        const bulk = await knownBulk(h, opts.bulk);
        const counts = await keyCounts(h.db, bulk.id);
        const expected = counts ? exportedKeyCount(counts, opts.status) : null;
        const exported = await keyExporter(h.db, systemContext(), bulk.id, { status: opts.status });
        // CSV on a terminal and a bar on the same terminal would garble each other.
        const progress = new Progress("exported", { total: expected, by: "keys" }, !opts.out && process.stdout.isTTY === true);
        let rows = 0;
        let closed = false;
        async function* batches(): AsyncGenerator<KeyExportRow[]> {
          for await (const b of exported.rows) {
            rows += b.length;
            yield b;
            progress.update(rows);
          }
        }
        try {
          if (opts.out) {
            const out = opts.out;
            try {
              await pipeline(keysCsv(batches()), fs.createWriteStream(out, { mode: 0o600 }));
            } catch (err) {
              await fs.promises.rm(out, { force: true });
              throw err;
            }
          } else {
            closed = await toStdout(keysCsv(batches()));
          }
        } finally {
          progress.stop();
        }
        if (closed) {
          console.error(`export stopped: the output was closed (${plural(rows, "key")} read)`);
          return;
        }
        const summary = `exported ${plural(rows, "key")} of ${bulk.entitlement_id}${opts.out ? ` to ${opts.out}` : ""} in ${progress.seconds()}`;
        // With the CSV on stdout, the summary must not end up inside it.
        if (opts.out) console.log(summary);
        else console.error(summary);
      });
    });

  keys
    .command("delete")
    .description("Delete unredeemed keys: the ones listed, or --all unredeemed ones (redeemed keys are never deleted)")
    .argument("[keys...]", "the keys to delete (all or nothing: a redeemed or unknown key refuses the whole list)")
    .addOption(bulkOption())
    .option("--all", "delete every unredeemed key of the bulk entitlement")
    .action(async (list: string[], opts: { bulk: string; all?: boolean }) => {
      if (!!opts.all === list.length > 0) {
        throw new Error(
          opts.all
            ? "give either a list of keys or --all, not both"
            : "give the keys to delete, or --all for every unredeemed key",
        );
      }
      await withDatabase(async (h) => {
        const bulk = await knownBulk(h, opts.bulk);
        const started = Date.now();
        let deleted: number;
        try {
          ({ deleted } = await deleteUnredeemedKeys(h.db, systemContext(), bulk.id, opts.all ? null : list));
        } catch (err) {
          if (err instanceof AppError && err.errors?.length) {
            const lines = err.errors.map((e) => `  ${e.message}`);
            throw new Error(`nothing was deleted:\n${lines.join("\n")}`);
          }
          throw err;
        }
        console.log(
          `deleted ${plural(deleted, "unredeemed key")} from ${bulk.entitlement_id} in ${seconds(Date.now() - started)}`,
        );
      });
    });

  keys
    .command("redeem")
    .description(
      "Register a key for a customer (activate by key): one simple entitlement, as the redeem page makes; again for the same account, the same one",
    )
    .argument("<key>", "the web register key, as printed on the card (case, spaces and dashes do not matter)")
    .requiredOption("-s, --sold-to <account>", "the account the key is registered to (account ID); it becomes the End Customer")
    .option("-o, --owner <name>", "the person at that company who owns it")
    .option("--json", "print the entitlement as the API answers it")
    .action(async (key: string, opts: { soldTo: string; owner?: string; json?: boolean }) => {
      await withDatabase(async (h) => {
        const r = await keyRedeemer(h.db, systemContext(), { key, soldTo: opts.soldTo, owner: opts.owner ?? null });
        // The CLI answers with the API's JSON of the entitlement, as `POST /redemptions` does.
        const e = presentEntitlementRecord(r.entitlement);
        if (opts.json) {
          console.log(JSON.stringify({ created: r.created, entitlement: e }, null, 2));
          return;
        }
        console.log(
          r.created
            ? `redeemed into entitlement ${e.entitlementId} (${e.state}) for ${opts.soldTo}`
            : `already registered to ${opts.soldTo}: entitlement ${e.entitlementId} (${e.state})`,
        );
        for (const li of e.lineItems) console.log(`activation ID: ${li.activationId}`);
      });
    });

  keys
    .command("count")
    .description("Print how many keys the bulk entitlement holds: total, redeemed, unredeemed")
    .addOption(bulkOption())
    .action(async (opts: { bulk: string }) => {
      await withDatabase(async (h) => {
        const bulk = await knownBulk(h, opts.bulk);
        const c = (await keyCounts(h.db, bulk.id)) ?? { total: 0, redeemed: 0, unredeemed: 0 };
        console.log(`total: ${c.total}\nredeemed: ${c.redeemed}\nunredeemed: ${c.unredeemed}`);
      });
    });
}

const FORMATS: KeyFileFormat[] = ["xml", "csv", "text"];

function countArg(value: string): number {
  const n = /^\d+$/.test(value.replace(/_/g, "")) ? Number(value.replace(/_/g, "")) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > KEY_LIMITS.generateMax) {
    throw new InvalidArgumentError(`give a whole number from 1 to ${KEY_LIMITS.generateMax}.`);
  }
  return n;
}

async function withDatabase(fn: (h: DbHandle) => Promise<void>): Promise<void> {
  const config = loadConfig();
  const h = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize });
  try {
    await migrateToLatest(h.db);
    await fn(h);
  } finally {
    await h.close();
  }
}

/** The bulk entitlement named by entitlement ID or internal id; refuses unknown and non-bulk ones. */
async function knownBulk(h: DbHandle, ref: string): Promise<EntitlementRow> {
  const row = (await findEntitlementByEntitlementId(h.db, ref)) ?? (await findEntitlement(h.db, ref));
  if (!row) throw errors.notFound("Bulk entitlement", ref);
  if (row.kind !== "BULK") throw new Error(keyLoadStateProblem(row.entitlement_id, row.kind, row.state) as string);
  return row;
}

/** As {@link knownBulk}, and in a state keys load into (DRAFT, TEST, DEPLOYED), as the API checks before a load. */
async function loadableBulk(h: DbHandle, ref: string): Promise<EntitlementRow> {
  const row = await knownBulk(h, ref);
  const problem = keyLoadStateProblem(row.entitlement_id, row.kind, row.state);
  if (problem) throw new Error(problem);
  return row;
}

async function inspectFile(file: string, given: KeyFileFormat | undefined): Promise<{ size: number; format: KeyFileFormat }> {
  let fd: fs.promises.FileHandle;
  try {
    fd = await fs.promises.open(file, "r");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(
      e.code === "ENOENT"
        ? `${file}: no such file`
        : e.code === "EACCES"
          ? `${file}: permission denied`
          : `${file}: ${e.message}`,
    );
  }
  try {
    const st = await fd.stat();
    if (st.isDirectory()) throw new Error(`${file} is a directory, not a key file`);
    if (given) return { size: st.isFile() ? st.size : 0, format: given };
    const head = Buffer.alloc(4096);
    const { bytesRead } = await fd.read(head, 0, head.length, 0);
    return { size: st.isFile() ? st.size : 0, format: detectFormat(file, head.subarray(0, bytesRead)) };
  } finally {
    await fd.close();
  }
}

/**
 * Runs one load on the bulk connection as the system actor. Ctrl-C (or SIGTERM) between batches
 * cancels it: the transaction rolls back whole, as a cancelled job does. A second Ctrl-C exits at once.
 */
async function runLoad(
  h: DbHandle,
  bulk: EntitlementRow,
  source: KeySource,
  mode: "all" | "partial",
  progress: Progress,
  amount?: () => number,
): Promise<LoadReport> {
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) {
      progress.stop();
      process.exit(130);
    }
    interrupted = true;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    // The load lets the event loop run between its batches, so a signal and the bar's redraw get through.
    return await runKeyLoad(h, systemContext(), bulk.id, source, mode, {
      onProgress: (read) => progress.update(read, amount?.()),
      cancelled: () => interrupted,
    });
  } catch (err) {
    if (err instanceof LoadCancelled) throw new Error(`interrupted; nothing was loaded into ${bulk.entitlement_id}.`);
    throw err;
  } finally {
    progress.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Prints the refused load's bad lines on stderr and fails with the reason (exit code 1). */
function refuse(report: LoadReport, source: string): never {
  if (report.read === 0) throw new Error(`${source} has no keys; nothing was loaded.`);
  printBadLines(report);
  const hint = report.mode === "all" ? " Fix them, or use --partial to load the valid keys." : "";
  throw new Error(`${plural(report.rejected, "bad line")} of ${report.read}; nothing was loaded.${hint}`);
}

/** `line 17: 'KEY': reason` for the first {@link REPORT_PRINT_LIMIT} bad lines, in file order, then `… and N more`. */
export function badLineReport(report: Pick<LoadReport, "badLines" | "rejected">): string[] {
  const sorted = [...report.badLines].sort((a, b) => a.line - b.line);
  const shown = sorted.slice(0, REPORT_PRINT_LIMIT);
  const out = shown.map((b: BadLine) => `line ${b.line}: '${printable(b.key)}': ${b.reason}`);
  if (report.rejected > shown.length) out.push(`… and ${report.rejected - shown.length} more`);
  return out;
}

function printBadLines(report: LoadReport) {
  for (const l of badLineReport(report)) console.error(l);
}

/** A key as it can be shown on a terminal: control characters escaped, very long ones cut. */
function printable(key: string): string {
  const escaped = key.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return escaped.length > 80 ? `${escaped.slice(0, 60)}… (${key.length} characters)` : escaped;
}

function loadedLine(report: LoadReport, bulk: EntitlementRow, progress: Progress): string {
  return `loaded ${plural(report.loaded, "key")} into ${bulk.entitlement_id} in ${progress.seconds()}`;
}

/** Writes a stream to stdout without ending it; a closed pipe (`| head`) stops it and returns true. */
async function toStdout(src: Readable): Promise<boolean> {
  const out = process.stdout;
  let failure: NodeJS.ErrnoException | null = null;
  const onError = (err: NodeJS.ErrnoException) => {
    failure ??= err;
  };
  out.on("error", onError);
  try {
    for await (const chunk of src) {
      if (failure) break;
      if (!out.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            out.off("drain", done);
            out.off("close", done);
            out.off("error", done);
            resolve();
          };
          out.on("drain", done);
          out.on("close", done);
          out.on("error", done);
        });
      }
    }
  } finally {
    // The listener stays: writes still queued may report the same closed pipe.
    src.destroy();
  }
  const f = failure as NodeJS.ErrnoException | null;
  if (f && f.code !== "EPIPE") throw f;
  return f !== null;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Progress on stderr. On a terminal a cli-progress bar with keys/s and ETA; otherwise plain lines
 * (`imported 300000 keys (312000 keys/s)`) every 10% when the total is known, every 2 s when not.
 * `total` counts keys or, for a file, bytes of it read; null means unknown (a counter, no bar).
 */
export class Progress {
  private readonly started = Date.now();
  private readonly bar: cliProgress.SingleBar | null = null;
  private readonly total: number | null;
  private readonly by: "keys" | "bytes";
  private nextStep = 1;
  private lastLine = this.started;
  private stopped = false;

  constructor(
    private readonly verb: string,
    opts: { total: number | null; by: "keys" | "bytes" },
    private readonly quiet = false,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.total = opts.total && opts.total > 0 ? opts.total : null;
    this.by = opts.by;
    if (quiet || !stream.isTTY) return;
    const format =
      this.total === null
        ? "{keys} keys | {rate} keys/s | {duration_formatted}"
        : this.by === "keys"
          ? "{bar} {percentage}% | {value}/{total} keys | {rate} keys/s | ETA {eta_formatted}"
          : "{bar} {percentage}% of the file | {keys} keys | {rate} keys/s | ETA {eta_formatted}";
    this.bar = new cliProgress.SingleBar(
      { stream, format, hideCursor: true, barsize: 30, etaBuffer: 20, fps: 10, gracefulExit: false },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(this.total ?? 0, 0, { keys: 0, rate: 0 });
  }

  /** `keys` done so far; `amount` is what the total counts (bytes read for a file), default the keys. */
  update(keys: number, amount: number = keys): void {
    if (this.stopped || this.quiet) return;
    const rate = this.rate(keys);
    if (this.bar) {
      this.bar.update(this.total === null ? 0 : Math.min(amount, this.total), { keys, rate });
      return;
    }
    const now = Date.now();
    if (this.total !== null) {
      const pct = Math.floor((Math.min(amount, this.total) / this.total) * 100);
      if (pct < this.nextStep * 10) return;
      this.nextStep = Math.floor(pct / 10) + 1;
      const done = this.by === "keys" ? `${keys} of ${this.total} keys (${pct}%, ` : `${keys} keys (${pct}% of the file, `;
      this.stream.write(`${this.verb} ${done}${rate} keys/s)\n`);
    } else if (now - this.lastLine >= 2000) {
      this.lastLine = now;
      this.stream.write(`${this.verb} ${keys} keys (${rate} keys/s)\n`);
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.bar?.stop();
  }

  /** Time since the start, as `3.2 s`. */
  seconds(): string {
    return seconds(Date.now() - this.started);
  }

  private rate(keys: number): number {
    return Math.round(keys / Math.max((Date.now() - this.started) / 1000, 0.001));
  }
}
