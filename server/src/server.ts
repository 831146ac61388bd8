import type { FastifyInstance } from "fastify";
import { systemContext } from "./actor.js";
import { buildApp } from "./app.js";
import { adminCreator, hasProducerAdmin, publisherEnsurer } from "./commands/bootstrap.js";
import type { Config } from "./config.js";
import { type DbHandle, migrateToLatest, openDatabase } from "./db/connect.js";
import { passwordProblem } from "./domain/passwords.js";
import { AppError } from "./errors.js";
import { JobRunner } from "./jobs/runner.js";

export interface Started {
  app: FastifyInstance;
  handle: DbHandle;
  url: string;
}

/**
 * Opens the database, migrates, makes sure the producer account and a first admin exist, and
 * listens. A generated admin password is printed once on the console, never logged.
 */
export async function startServer(config: Config, print: (line: string) => void = console.log): Promise<Started> {
  if (config.adminPassword) {
    const p = passwordProblem(config.adminPassword, config.adminEmail);
    if (p) throw new Error(`LICENSOR_ADMIN_PASSWORD ${p}`);
  }
  const handle = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize });
  await migrateToLatest(handle.db);
  const publisherId = await publisherEnsurer(handle.db, config.publisherId, config.publisherName);
  // The first admin exists before the port opens, so nobody can reach a server without one.
  const created = (await hasProducerAdmin(handle.db)) ? null : await createFirstAdmin(handle, config, publisherId);
  const jobs = new JobRunner({ db: handle.db, dialect: handle.dialect, config, bulk: handle.bulk });
  const app = await buildApp({ db: handle.db, dialect: handle.dialect, config, bulk: handle.bulk, jobs });
  await jobs.start();
  const address = await app.listen({ port: config.port, host: config.host });
  const url = `http://localhost:${(app.server.address() as { port: number }).port}`;
  const shutdown = async () => {
    await jobs.stop();
    await app.close();
    await handle.close();
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
  app.log.info({ address, database: handle.dialect, location: handle.location }, "licensor listening");
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
  return { app, handle, url };
}

async function createFirstAdmin(handle: DbHandle, config: Config, publisherId: string) {
  const email = config.adminEmail ?? "admin@licensor.local";
  try {
    return await adminCreator(handle.db, systemContext(), publisherId, { email, password: config.adminPassword });
  } catch (err) {
    // Another process starting at the same moment created it first: nothing to print here.
    if (err instanceof AppError && err.code === "already_exists") return null;
    throw err;
  }
}
