import path from "node:path";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { loadConfig } from "../../server/src/config.js";
import { backupSqlite, restoreSqlite } from "../../server/src/db/backup.js";
import { currentKek, SECRET_FILE } from "../../server/src/licensing/secret.js";

/** The embedded database's file, as the server opens it (server/src/db/connect.ts). */
const DB_FILE = "licensor.sqlite";

const POSTGRES =
  "DATABASE_URL selects PostgreSQL: back it up and restore it with PostgreSQL's own tools, pg_dump and pg_restore (README, 'Backup and restore')";

/** `licensor backup` and `licensor restore`: the embedded SQLite database, online and checked. */
export function registerBackupCommands(program: Command): void {
  program
    .command("backup")
    .description("Copy the SQLite database while the server runs (SQLite's online backup), to a file readable by its owner only")
    .requiredOption("-o, --out <file>", "where to write the copy (written beside it first, then renamed)")
    .action(async (opts: { out: string }) => {
      const config = loadConfig();
      if (config.databaseUrl) throw new Error(POSTGRES);
      const source = path.join(config.dataDir, DB_FILE);
      const progress = new PageProgress();
      try {
        await backupSqlite(source, opts.out, (p) => progress.update(p.totalPages - p.remainingPages, p.totalPages));
      } finally {
        progress.stop();
      }
      process.stderr.write(`backed up ${source} to ${path.resolve(opts.out)} in ${progress.seconds()}\n`);
      // The backup holds the signing keys sealed, never the secret that opens them (README).
      process.stderr.write(
        config.signingKeySecret
          ? "its license signing keys are sealed under LICENSOR_SIGNING_KEY_SECRET: keep that secret too, apart from the backup\n"
          : `its license signing keys are sealed under ${path.join(config.dataDir, SECRET_FILE)}: keep a copy of that file too, apart from the backup\n`,
      );
    });

  program
    .command("restore")
    .description("Replace the SQLite database with a backup, after checking it; refuses while a server runs on the data folder")
    .argument("<file>", "a file written by licensor backup")
    .action(async (file: string) => {
      const config = loadConfig();
      if (config.databaseUrl) throw new Error(POSTGRES);
      const target = path.join(config.dataDir, DB_FILE);
      const { kept, facts } = await restoreSqlite(config.dataDir, target, file);
      console.log(`restored ${path.resolve(file)} to ${target} (schema at ${facts.newestMigration})`);
      if (kept) console.log(`the database it replaced is kept as ${kept}`);
      const kek = currentKek(config, false);
      if (facts.kekIds.length && (!kek || facts.kekIds.some((id) => id !== kek.id)))
        process.stderr.write(
          `warning: the restored signing keys are sealed under a secret this data folder does not hold (${kek ? kek.source : `no ${SECRET_FILE} and no LICENSOR_SIGNING_KEY_SECRET`}): put back the secret kept with the backup, or licenses cannot be signed\n`,
        );
    });
}

/** Pages copied, on stderr: a bar on a terminal, plain lines every 10% otherwise. */
class PageProgress {
  private readonly started = Date.now();
  private readonly bar: cliProgress.SingleBar | null = null;
  private nextStep = 0;
  private startedBar = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    if (stream.isTTY)
      this.bar = new cliProgress.SingleBar(
        {
          stream,
          format: "{bar} {percentage}% | {value}/{total} pages | ETA {eta_formatted}",
          hideCursor: true,
          gracefulExit: false,
        },
        cliProgress.Presets.shades_classic,
      );
  }

  update(done: number, total: number): void {
    if (this.bar) {
      if (!this.startedBar) {
        this.startedBar = true;
        this.bar.start(total, done);
      } else this.bar.setTotal(total);
      this.bar.update(done);
      return;
    }
    const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
    if (pct < this.nextStep) return;
    this.nextStep = Math.floor(pct / 10) * 10 + 10;
    this.stream.write(`backup: ${done} of ${total} pages (${pct}%)\n`);
  }

  stop(): void {
    if (this.startedBar) this.bar?.stop();
  }

  seconds(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(1)} s`;
  }
}
