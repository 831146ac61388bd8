import type { FastifyInstance } from "fastify";
import { systemContext } from "./actor.js";
import { buildApp, buildMetricsApp } from "./app.js";
import { adminCreator, hasProducerAdmin, publisherEnsurer } from "./commands/bootstrap.js";
import type { Config } from "./config.js";
import { type DbHandle, migrateToLatest, openDatabase } from "./db/connect.js";
import { markRunning } from "./db/running.js";
import { AppError } from "./errors.js";
import { tuneHeapGrowth } from "./heapGrowth.js";
import { JobRunner } from "./jobs/runner.js";
import { ensureSigningKey } from "./licensing/keyring.js";
import { MailDispatcher } from "./mail/dispatcher.js";
import { WebhookDispatcher } from "./webhooks/dispatcher.js";

export interface Started {
  app: FastifyInstance;
  handle: DbHandle;
  url: string;
  /** Stops as a signal does, without exiting: no new requests, in-flight ones finish, jobs handed back, database closed. */
  stop: () => Promise<void>;
}

/**
 * Opens the database, migrates, makes sure the producer account and a first admin exist, and
 * listens. A generated admin password is printed once on the console, never logged.
 */
export async function startServer(config: Config, print: (line: string) => void = console.log): Promise<Started> {
  // Fewer, not longer, full collections under load (see heapGrowth.ts).
  tuneHeapGrowth();
  const handle = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize });
  // Before it migrates: `licensor restore` must not replace a database a server is opening.
  const unmark = handle.dialect === "sqlite" ? markRunning(config.dataDir) : () => {};
  await migrateToLatest(handle.db);
  const publisherId = await publisherEnsurer(handle.db, config.publisherId, config.publisherName);
  // The first admin exists before the port opens, so nobody can reach a server without one.
  const created = (await hasProducerAdmin(handle.db)) ? null : await createFirstAdmin(handle, config, publisherId);
  // The license signing key exists from the first start (docs/LICENSE-FORMAT.md §5).
  const signing = await ensureSigningKey(handle.db, config);
  const jobDeps = { db: handle.db, dialect: handle.dialect, config, bulk: handle.bulk };
  const jobs = new JobRunner(jobDeps, { except: ["webhook.deliver"] });
  // Webhook deliveries in their own lane (see JobRunner): a dead receiver never delays a key load.
  const webhookJobs = new JobRunner(jobDeps, { only: ["webhook.deliver"] });
  const app = await buildApp({ db: handle.db, dialect: handle.dialect, config, bulk: handle.bulk, jobs });
  await jobs.start();
  await webhookJobs.start();
  // Outbox messages whose turn has come become mail.send jobs (server/src/mail/).
  const mail = new MailDispatcher({ db: handle.db, config }, jobs);
  mail.start();
  // New events fan out to webhook endpoints; due deliveries become webhook.deliver jobs (server/src/webhooks/).
  const webhooks = new WebhookDispatcher({ db: handle.db, config }, webhookJobs);
  webhooks.start();
  const address = await app.listen({ port: config.port, host: config.host });
  const metricsApp = config.metricsListen ? await buildMetricsApp(app.deps) : null;
  if (metricsApp && config.metricsListen) {
    const at = await metricsApp.listen(config.metricsListen);
    app.log.info({ address: at }, "metrics listening");
  }
  const url = `http://localhost:${(app.server.address() as { port: number }).port}`;
  const stop = gracefulStop(app, [jobs, webhookJobs], mail, webhooks, handle, async () => {
    await metricsApp?.close();
    unmark();
  });
  process.once("SIGINT", () => exitAfter(stop, "SIGINT", config.shutdownGraceMs, app));
  process.once("SIGTERM", () => exitAfter(stop, "SIGTERM", config.shutdownGraceMs, app));
  app.log.info({ address, database: handle.dialect, location: handle.location }, "licensor listening");
  if (signing.created) app.log.info({ kid: signing.created.kid }, "license signing key created");
  if (signing.rewrapped.length) app.log.info({ kids: signing.rewrapped }, "signing keys moved under LICENSOR_SIGNING_KEY_SECRET");
  // Not fatal: everything but signing licenses works, and the operator reads what to set.
  if (signing.problem) app.log.error(signing.problem);
  else if (handle.dialect === "postgres" && !config.signingKeySecret)
    app.log.warn(
      "LICENSOR_SIGNING_KEY_SECRET is not set: the signing keys are sealed under this data folder's secret, which other server processes on other machines do not have",
    );
  if (created) {
    print("");
    print("  Licensor is ready. First producer admin created:");
    print(`    portal:   ${url}`);
    print(`    email:    ${created.email}`);
    print(
      created.generatedPassword
        ? `    password: ${created.generatedPassword}   (shown once; change it under Settings > Password)`
        : "    password: the one in LICENSOR_ADMIN_PASSWORD",
    );
    print("");
  } else {
    print(`Licensor is running at ${url} (${handle.dialect}: ${handle.location})`);
  }
  return { app, handle, url, stop };
}

async function createFirstAdmin(handle: DbHandle, config: Config, publisherId: string) {
  const email = config.adminEmail ?? "admin@licensor.local";
  try {
    // The password policy applies to LICENSOR_ADMIN_PASSWORD here, when it is used: once an admin
    // exists the variable is not read, and no check (nor the estimator's worker) runs at start.
    return await adminCreator(handle.db, systemContext(), publisherId, { email, password: config.adminPassword });
  } catch (err) {
    // Another process starting at the same moment created it first: nothing to print here.
    if (err instanceof AppError && err.code === "already_exists") return null;
    if (err instanceof AppError && err.field === "password" && config.adminPassword)
      throw new Error(`LICENSOR_ADMIN_PASSWORD ${err.errors?.[0]?.message ?? err.message}`);
    throw err;
  }
}

/**
 * The orderly stop, once however often it is asked: the listener closes (Fastify answers 503 to
 * requests arriving on kept-alive connections) and in-flight requests finish, while the job runner
 * hands a job running here back to the queue; the database closes last, after both, because
 * finishing requests and handing jobs back still write to it.
 */
function gracefulStop(
  app: FastifyInstance,
  runners: JobRunner[],
  mail: MailDispatcher,
  webhooks: WebhookDispatcher,
  handle: DbHandle,
  after: () => Promise<void>,
): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      // A kept-alive connection whose request finishes during the stop would hold the listener open
      // until the client drops it (Fastify closes only the connections idle when the stop began).
      const idle = setInterval(() => app.server.closeIdleConnections(), 100);
      try {
        await Promise.all([app.close(), mail.stop(), webhooks.stop(), ...runners.map((r) => r.stop())]);
      } finally {
        clearInterval(idle);
      }
      await handle.close();
      await after();
    })();
    return stopping;
  };
}

/**
 * Runs the stop on a signal and exits 0 when it completes; exits 1 when it has not completed
 * within the grace period (a request or job that does not end would otherwise hold the process
 * forever, and a supervisor's SIGKILL would come without a word), or on a second signal.
 */
function exitAfter(stop: () => Promise<void>, signal: string, graceMs: number, app: FastifyInstance): void {
  const log = (msg: string) => process.stderr.write(`licensor: ${msg}\n`);
  app.log.info({ signal, graceMs }, "licensor stopping");
  const deadline = setTimeout(() => {
    log(`did not stop within ${graceMs / 1000} s of ${signal} (LICENSOR_SHUTDOWN_GRACE_SECONDS); exiting anyway`);
    process.exit(1);
  }, graceMs);
  const again = () => {
    log(`second signal while stopping; exiting now`);
    process.exit(1);
  };
  process.once("SIGINT", again);
  process.once("SIGTERM", again);
  stop().then(
    () => {
      clearTimeout(deadline);
      process.exit(0);
    },
    (err: unknown) => {
      log(`stopping failed: ${(err as Error).message ?? String(err)}`);
      process.exit(1);
    },
  );
}
