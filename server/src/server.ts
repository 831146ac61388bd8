import type { FastifyInstance } from "fastify";
import { systemContext } from "./actor.js";
import { buildApp } from "./app.js";
import { adminCreator, hasProducerAdmin, publisherEnsurer } from "./commands/bootstrap.js";
import type { Config } from "./config.js";
import { type DbHandle, migrateToLatest, openDatabase } from "./db/connect.js";

export interface Started {
  app: FastifyInstance;
  handle: DbHandle;
  url: string;
}

/**
 * Opens the database, migrates, makes sure the producer account and a first admin exist, and
 * listens. The generated admin password is printed once, never logged.
 */
export async function startServer(config: Config, print: (line: string) => void = console.log): Promise<Started> {
  const handle = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrateToLatest(handle.db);
  const publisherId = await publisherEnsurer(handle.db, config.publisherId, config.publisherName);
  const app = await buildApp({ db: handle.db, dialect: handle.dialect, config });
  const address = await app.listen({ port: config.port, host: config.host });
  const url = `http://localhost:${(app.server.address() as { port: number }).port}`;
  if (!(await hasProducerAdmin(handle.db))) {
    const email = config.adminEmail ?? "admin@licensor.local";
    const created = await adminCreator(handle.db, systemContext(), publisherId, { email, password: config.adminPassword });
    print("");
    print("  Licensor is ready. First producer admin created:");
    print(`    portal:   ${url}`);
    print(`    email:    ${created.email}`);
    print(
      created.generatedPassword
        ? `    password: ${created.generatedPassword}   (shown once; change it under Settings)`
        : "    password: the one in LICENSOR_ADMIN_PASSWORD",
    );
    print("");
  }
  app.log.info({ address, database: handle.dialect, location: handle.location }, "licensor listening");
  const shutdown = async () => {
    await app.close();
    await handle.close();
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
  return { app, handle, url };
}
