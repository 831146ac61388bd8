import { Command, Option } from "commander";
import { ROLES, type Role, roleFitsAccountType } from "../../common/src/enums.js";
import { systemContext } from "../../server/src/actor.js";
import { adminCreator, publisherEnsurer } from "../../server/src/commands/bootstrap.js";
import { tokenCreator } from "../../server/src/commands/tokenCreator.js";
import { checkValue, loadConfig } from "../../server/src/config.js";
import { migrateToLatest, openDatabase } from "../../server/src/db/connect.js";
import { findUserByEmail } from "../../server/src/db/repos/users.js";
import { membershipsOf } from "../../server/src/security/actorLoader.js";
import { startServer } from "../../server/src/server.js";
import { registerBackupCommands } from "./backup.js";
import { registerEventCommands } from "./events.js";
import { registerKeyCommands } from "./keys.js";
import { registerLicenseCommands } from "./license.js";

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
      // --port is checked as PORT is, and stands for it everywhere PORT counts (the default public URL too).
      if (opts.port) checkValue<number>("PORT", opts.port, "--port");
      const config = loadConfig(opts.port ? { ...process.env, PORT: opts.port } : process.env);
      await startServer(config);
    });

  program
    .command("migrate")
    .description("Bring the database schema to the latest version and exit")
    .action(async () => {
      const config = loadConfig();
      const h = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize });
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
      const h = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize });
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

  const token = program.command("token").description("Manage API tokens");
  token
    .command("create")
    .description("Create an API token for a user; prints the secret once")
    .requiredOption("-e, --email <email>", "the user the token belongs to")
    .requiredOption("-r, --role <role>", `role the token acts with (${ROLES.join(", ")})`)
    .option("-a, --account <accountId>", "account the role is held on (default: the user's only account fitting the role)")
    .option("-n, --name <name>", "a name to recognise the token by", "cli")
    .option("--expires <date>", "expiry as an ISO date or timestamp (default: never)")
    .action(async (opts: { email: string; role: string; account?: string; name: string; expires?: string }) => {
      if (!(ROLES as readonly string[]).includes(opts.role)) {
        throw new Error(`--role must be one of ${ROLES.join(", ")}`);
      }
      const config = loadConfig();
      const h = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize });
      try {
        await migrateToLatest(h.db);
        const user = await findUserByEmail(h.db, opts.email);
        if (!user) throw new Error(`no user with email '${opts.email}'`);
        let accountId = opts.account;
        if (!accountId) {
          const fitting = (await membershipsOf(h.db, user.id)).filter((m) =>
            roleFitsAccountType(opts.role as Role, m.accountType),
          );
          const ids = [...new Set(fitting.map((m) => m.accountId))];
          if (ids.length !== 1) {
            throw new Error(
              ids.length === 0
                ? `${opts.email} holds no account where ${opts.role} fits`
                : `--account is needed: one of ${ids.join(", ")}`,
            );
          }
          accountId = ids[0] as string;
        }
        const { row: t, token } = await tokenCreator(h.db, systemContext(), {
          name: opts.name,
          accountId,
          role: opts.role as Role,
          expiresAt: opts.expires ?? null,
          userId: user.id,
        });
        console.log(`created token ${t.id} (${t.role} on ${t.account_id}${t.expires_at ? `, expires ${t.expires_at}` : ""})`);
        console.log(`token: ${token}   (shown once; send as "Authorization: Bearer <token>")`);
      } finally {
        await h.close();
      }
    });

  registerKeyCommands(program);
  registerLicenseCommands(program);
  registerBackupCommands(program);
  registerEventCommands(program);

  return program;
}
