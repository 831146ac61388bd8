import type SQLite from "better-sqlite3";
import type { CompiledQuery } from "kysely";
import type { Db, Trx } from "./schema.js";

/** Runs compiled statements synchronously on the connection a group commit holds. */
export interface SyncRunner {
  all(q: CompiledQuery): unknown[];
  run(q: CompiledQuery): void;
  /** Runs `work` in a savepoint of its own: if it throws, only its statements are rolled back. */
  savepoint<T>(work: () => T): T;
}

interface Pending {
  work: (s: SyncRunner) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * How long a batch's units may run before their commit. A batch answers all its units at once,
 * when it commits: after a pause (a checkpoint's hold, a collection) the whole backlog ran as one
 * batch, and its first units waited for its last. Measured under redemption load, a redemption's
 * unit runs 0.3–0.5 ms, so a batch is still several redemptions to one commit.
 */
const BATCH_BUDGET_MS = 3;

/**
 * Group commit for the embedded database. Each SQLite commit appends the pages it changed to the
 * WAL with a write call per page, which on these machines cost about a millisecond per
 * redemption, more than its statements. Work submitted while the connection is busy is gathered
 * and run in one transaction, each unit in its own savepoint: a unit that throws rolls back alone,
 * and every caller is answered only after the commit that holds its work, so nothing is reported
 * done before it is durable (with synchronous=NORMAL, as every other commit here). The units run synchronously on Kysely's connection, held through
 * `db.connection()`, so no other query can slip in between.
 */
export class GroupCommit {
  private pending: Pending[] = [];
  private flushing = false;
  private scheduled = false;
  private readonly runner: SyncRunner;
  private readonly runAll: (batch: Pending[]) => { ok: boolean; value: unknown }[];

  constructor(
    private readonly db: Db,
    raw: SQLite.Database,
    prepare: (sql: string) => SQLite.Statement,
  ) {
    // better-sqlite3 runs a transaction function called inside another as a savepoint.
    const nested = raw.transaction((work: () => unknown) => work());
    this.runner = {
      savepoint: <T>(work: () => T) => nested(work) as T,
      all: (q) => prepare(q.sql).all(...(q.parameters as unknown[])),
      run: (q) => {
        prepare(q.sql).run(...(q.parameters as unknown[]));
      },
    };
    const one = raw.transaction((work: Pending["work"]) => work(this.runner));
    this.runAll = raw.transaction((batch: Pending[]) => {
      const results: { ok: boolean; value: unknown }[] = [];
      const started = performance.now();
      for (const p of batch) {
        // No unit of a batch is answered before its commit: past the budget, the rest wait for the next.
        if (results.length > 0 && performance.now() - started > BATCH_BUDGET_MS) break;
        this.ran = results.length + 1;
        try {
          results.push({ ok: true, value: one(p.work) });
        } catch (error) {
          results.push({ ok: false, value: error });
        }
      }
      return results;
    });
  }

  /** Units of the batch being committed that have run (if its commit fails, they are the ones it fails). */
  private ran = 0;

  /** Units gathered for the next commit, not yet running. */
  get waiting(): number {
    return this.pending.length;
  }

  /** Units submitted so far (tests count a redemption's commits with it). */
  submitted = 0;

  submit<T>(work: (s: SyncRunner) => T): Promise<T> {
    this.submitted++;
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  /**
   * The commit runs on the next turn of the event loop. SQLite's driver answers without I/O, so a
   * request runs from its arrival to its submit() in one go; the requests whose bytes arrived in
   * the same turn get there before the commit, and share it.
   */
  private schedule(): void {
    if (this.flushing || this.scheduled || this.pending.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    let batch: Pending[] = [];
    try {
      await this.db.connection().execute(async () => {
        // What queued while we waited for the connection goes in this commit, as far as the budget
        // allows; the rest goes first in the next one.
        batch = this.pending.splice(0);
        this.ran = 0;
        let results: { ok: boolean; value: unknown }[];
        try {
          results = this.runAll(batch);
        } finally {
          this.pending.unshift(...batch.splice(this.ran));
        }
        results.forEach((r, i) => {
          const p = batch[i] as Pending;
          if (r.ok) p.resolve(r.value);
          else p.reject(r.value);
        });
      });
    } catch (err) {
      // The commit itself failed (disk full, I/O error): nothing of the units it ran was written.
      for (const p of batch) p.reject(err);
    } finally {
      this.flushing = false;
      this.schedule();
    }
  }
}

const registry = new WeakMap<Db, GroupCommit>();

/** Makes `group` the group commit of the embedded database `db` (see connect.ts). */
export function registerGroupCommit(db: Db, group: GroupCommit): void {
  registry.set(db, group);
}

/** The embedded database's group commit; undefined on PostgreSQL. */
export function groupCommitOf(db: Db): GroupCommit | undefined {
  return registry.get(db);
}

/**
 * One write statement. On SQLite outside a transaction it joins the next group commit: on its own
 * it would be a commit of its own, which costs more than the statement. Elsewhere it runs as is.
 */
export async function executeWrite<R>(db: Db | Trx, q: CompiledQuery<R>): Promise<{ rows: R[] }> {
  const group = db.isTransaction ? undefined : registry.get(db as Db);
  if (!group) return db.executeQuery(q);
  return group.submit((s) => ({ rows: s.all(q) as R[] }));
}
