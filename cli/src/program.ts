import { Command, Option } from "commander";
import { systemContext } from "../../server/src/actor.js";
import { adminCreator, publisherEnsurer } from "../../server/src/commands/bootstrap.js";
import { loadConfig } from "../../server/src/config.js";
import { migrateToLatest, openDatabase } from "../../server/src/db/connect.js";
import { startServer } from "../../server/src/server.js";

/** The `licensor` command line. Offline verbs talk to the database named by the same environment as the server. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name("licensor")
    .description(
      "Licensor: entitlement and license back office.\nConfiguration comes from the environment (see README): DATABASE_URL, LICENSOR_DATA_DIR, PORT, ...",
    )
    .showHelpAfterError();

  program
    .command("serve")
    .description("Migrate the database, create the first admin if there is none, and serve the API and portal")
    .option("-p, --port <port>", "port to listen on (default: $PORT or 8080)")
    .action(async (opts: { port?: string }) => {
      const config = loadConfig();
      if (opts.port) config.port = Number(opts.port);
      await startServer(config);
    });

  program
    .command("migrate")
    .description("Bring the database schema to the latest version and exit")
    .action(async () => {
      const config = loadConfig();
      const h = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        const applied = await migrateToLatest(h.db);
        console.log(applied.length ? `applied: ${applied.join(", ")}` : "database is up to date");
        console.log(`database: ${h.dialect} ${h.location}`);
      } finally {
        await h.close();
      }
    });

  const admin = program.command("admin").description("Manage producer admins");
  admin
    .command("create")
    .description("Create a producer admin; prints a generated password once when none is given")
    .requiredOption("-e, --email <email>", "login email")
    .addOption(
      new Option("--password <password>", "password (default: generated); prefer LICENSOR_NEW_PASSWORD").env(
        "LICENSOR_NEW_PASSWORD",
      ),
    )
    .option("--first-name <name>", "first name", "Licensor")
    .option("--last-name <name>", "last name", "Admin")
    .action(async (opts: { email: string; password?: string; firstName: string; lastName: string }) => {
      const config = loadConfig();
      const h = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        await migrateToLatest(h.db);
        const pub = await publisherEnsurer(h.db, config.publisherId, config.publisherName);
        const r = await adminCreator(h.db, systemContext(), pub, {
          email: opts.email,
          password: opts.password,
          firstName: opts.firstName,
          lastName: opts.lastName,
        });
        console.log(`created producer admin ${r.email}`);
        if (r.generatedPassword) console.log(`password: ${r.generatedPassword}   (shown once)`);
      } finally {
        await h.close();
      }
    });

  return program;
}
