import type { Actor } from "../actor.js";
import type { Config } from "../config.js";
import type { BulkConnection, Dialect } from "../db/connect.js";
import type { Db } from "../db/schema.js";
import type { JobRunner } from "../jobs/runner.js";

export interface AppDeps {
  db: Db;
  dialect: Dialect;
  config: Config;
  /** A connection for long bulk writes (key loads). */
  bulk: () => BulkConnection;
  /** Background jobs of this process (absent in tests that run jobs by hand). */
  jobs?: JobRunner;
}

declare module "fastify" {
  interface FastifyInstance {
    deps: AppDeps;
  }
  interface FastifyRequest {
    actor: Actor | null;
    /** Set when a session cookie came with an unsafe method but without the right CSRF header. */
    csrfFailed: boolean;
    authMethod: "session" | "token" | null;
    sessionId: string | null;
    idempotency: { scope: string; key: string } | null;
  }
  interface FastifyContextConfig {
    /** Creating calls that honour `Idempotency-Key`. */
    idempotent?: boolean;
  }
}
