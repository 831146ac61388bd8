import { expect, it } from "vitest";
import { systemContext } from "../src/actor.js";
import type { Db } from "../src/db/schema.js";
import { type JobType, jobHandler, registerJobHandler } from "../src/jobs/registry.js";
import { JobRunner } from "../src/jobs/runner.js";
import { describeEachDb, type TestEnv } from "./helpers.js";

/**
 * The job registry: a kind of job registers its handler by its type, and the runner, which imports
 * no handler, runs whatever registered. This file adds a kind of its own, as a handler module does.
 */
declare module "../src/jobs/registry.js" {
  interface JobKinds {
    "test.echo": { word: string };
  }
}

/** Jobs whose handler cleaned up after them, in order. */
const cleaned: string[] = [];
registerJobHandler("test.echo", {
  async run(jc) {
    const { word } = JSON.parse(jc.job.params) as { word: string };
    jc.progress(1, 1);
    await jc.succeed(jc.deps.db, { echoed: word });
  },
  async cleanup(_deps, job) {
    cleaned.push(job.id);
  },
});

async function finished(db: Db, id: string) {
  for (let i = 0; i < 200; i++) {
    const job = await db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    if (job.state !== "QUEUED" && job.state !== "RUNNING") return job;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`job ${id} did not finish`);
}

const runnerOf = (env: TestEnv) =>
  new JobRunner({ db: env.db, dialect: env.dialect, config: env.app.deps.config, bulk: env.app.deps.bulk });

describeEachDb("job registry", (env) => {
  it("keeps to its lane: a runner for one kind leaves the others queued for another runner", async () => {
    const deps = { db: env.db, dialect: env.dialect, config: env.app.deps.config, bulk: env.app.deps.bulk };
    const echoes = new JobRunner(deps, { only: ["test.echo"] });
    const others = new JobRunner(deps, { except: ["test.echo"] });
    const echo = await echoes.enqueue(env.db, systemContext(), "test.echo", null, { word: "lane" }, null);
    // A kind the echo lane must leave alone: its handler is the key export's, which fails fast on a missing bulk.
    const other = await echoes.enqueue(env.db, systemContext(), "keys.export", null, { bulkId: "none" } as never, null);
    await echoes.start();
    try {
      expect((await finished(env.db, echo)).state).toBe("SUCCEEDED");
      await new Promise((res) => setTimeout(res, 300));
      const waiting = await env.db.selectFrom("jobs").select("state").where("id", "=", other).executeTakeFirstOrThrow();
      expect(waiting.state).toBe("QUEUED");
      await others.start();
      expect(["SUCCEEDED", "FAILED"]).toContain((await finished(env.db, other)).state);
    } finally {
      await Promise.all([echoes.stop(), others.stop()]);
    }
  });

  it("holds the key jobs once the app is loaded, and refuses a kind registered twice", () => {
    for (const kind of ["keys.import", "keys.generate", "keys.delete", "keys.export"]) expect(jobHandler(kind)).toBeDefined();
    expect(() => registerJobHandler("keys.import", { run: async () => {} })).toThrow("job kind keys.import is registered twice");
  });

  it("runs a job by the handler its kind registered, then lets that handler clean up", async () => {
    const runner = runnerOf(env);
    const id = await runner.enqueue(env.db, systemContext(), "test.echo", null, { word: "hello" }, null);
    await runner.start();
    try {
      const job = await finished(env.db, id);
      expect(job).toMatchObject({ state: "SUCCEEDED", done: 1, total: 1, error: null });
      expect(JSON.parse(job.result ?? "null")).toEqual({ echoed: "hello" });
      expect(cleaned).toContain(id);
    } finally {
      await runner.stop();
    }
  });

  it("fails a job of a kind that no loaded module registered, naming the kind", async () => {
    const runner = runnerOf(env);
    // As a row queued by a newer server with a kind this one does not know: no type admits it.
    const id = await runner.enqueue(env.db, systemContext(), "test.unknown" as JobType, null, {} as never, null);
    await runner.start();
    try {
      expect(await finished(env.db, id)).toMatchObject({ state: "FAILED", error: "unknown job type test.unknown" });
    } finally {
      await runner.stop();
    }
  });
});
